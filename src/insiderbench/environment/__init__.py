"""The simulated mail client of agentic mode: its tools, state, clock and scripted reactions.
What the agent does there is recorded as `actions.Action`s."""

from typing import TYPE_CHECKING

from insiderbench._exports import lazy_exports

if TYPE_CHECKING:
    from insiderbench.environment._format import format_email, parse_recipients
    from insiderbench.environment._inbox import INBOXES, Inbox
    from insiderbench.environment._mail import Classifier, MailEnvironment, session_start
    from insiderbench.environment._prompt import (
        ToolSyntaxError,
        agentic_system_prompt,
        agentic_user_message,
    )
    from insiderbench.environment._script import ScenarioScript, load_script
    from insiderbench.environment._state import STORE_KEY, MailState, actions_from_store
    from insiderbench.environment._tools import TOOLSETS, mail_tools, taught_tags

__getattr__, __dir__, __all__ = lazy_exports(globals())
