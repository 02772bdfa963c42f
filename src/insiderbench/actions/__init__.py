"""What the agent did: the one normalized `Action` record, and the parser that reads it out
of the paper's text tags (agentic mode's tool calls become the same record)."""

from typing import TYPE_CHECKING

from insiderbench._exports import lazy_exports

if TYPE_CHECKING:
    from insiderbench.actions._action import SYSTEM_KINDS, Action, ActionKind, ActionSource
    from insiderbench.actions._parse import final_text, parse_actions

__getattr__, __dir__, __all__ = lazy_exports(globals())
