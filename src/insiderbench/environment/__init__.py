"""The agent's environment: what it can do, as normalized Actions, and the simulated mail
client of agentic mode (tools, state, clock, scripted reactions)."""

from insiderbench.environment._action import Action, ActionKind, ActionSource
from insiderbench.environment._mail import (
    STORE_KEY,
    MailEnvironment,
    MailState,
    actions_from_store,
    format_email,
    parse_recipients,
    session_start,
)
from insiderbench.environment._parse import parse_actions
from insiderbench.environment._prompt import (
    ToolSyntaxError,
    agentic_system_prompt,
    agentic_user_message,
)
from insiderbench.environment._script import ScenarioScript, load_script
from insiderbench.environment._tools import Inbox, mail_tools

__all__ = [
    "STORE_KEY",
    "Action",
    "ActionKind",
    "ActionSource",
    "Inbox",
    "MailEnvironment",
    "MailState",
    "ScenarioScript",
    "ToolSyntaxError",
    "actions_from_store",
    "agentic_system_prompt",
    "agentic_user_message",
    "format_email",
    "load_script",
    "mail_tools",
    "parse_actions",
    "parse_recipients",
    "session_start",
]
