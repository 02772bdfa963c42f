"""Where an agentic sample's emails come from (light: the command line reads the choices)."""

from typing import Literal, get_args

# message: in the user message, as in the paper; tool: behind the read_inbox tool.
Inbox = Literal["message", "tool"]
INBOXES: tuple[str, ...] = get_args(Inbox)
