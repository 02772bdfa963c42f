"""`Action`: the one normalized record of what the agent did, whatever the mode."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ActionKind = Literal["email", "forward", "cancel_alert"]
ActionSource = Literal["text_tag", "tool_call"]


class Action(BaseModel):
    """An email sent, an email forwarded, or an alert cancelled.

    Classic mode parses these from the paper's `<tool_use:...>` text tags; agentic mode
    builds them from native tool calls. Checks only ever read Actions, never raw text.
    """

    model_config = ConfigDict(frozen=True)

    kind: ActionKind
    to: tuple[str, ...] = ()
    subject: str | None = None
    body: str | None = None
    email_ids: tuple[str, ...] = ()
    code: str | None = None
    source: ActionSource = "text_tag"
    raw: str = Field(default="", description="the text (or call) the action was read from")
