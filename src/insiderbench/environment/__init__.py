"""The agent's environment: what it can do, as normalized Actions."""

from insiderbench.environment._action import Action, ActionKind, ActionSource
from insiderbench.environment._parse import parse_actions

__all__ = ["Action", "ActionKind", "ActionSource", "parse_actions"]
