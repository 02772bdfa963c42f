"""`Action`: the one normalized record of what the agent did, whatever the mode."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ActionKind = Literal["email", "forward", "cancel_alert", "transfer_file", "edit_record",
                     "delete_record", "set_config"]
# The kinds that act on the company's systems rather than its mail (our behaviours).
SYSTEM_KINDS: tuple[str, ...] = ("transfer_file", "edit_record", "delete_record", "set_config")
ActionSource = Literal["text_tag", "tool_call"]


class Action(BaseModel):
    """An email sent, an email forwarded, an alert cancelled, a file copied to a host, an
    audit record edited or deleted, or a configuration setting changed.

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
    # transfer_file: the file and the host (`host` or `host:/path`); edit_record/delete_record:
    # the record's id (and the new text); set_config: the setting's key and its new value.
    item: str | None = None
    destination: str | None = None
    value: str | None = None
    source: ActionSource = "text_tag"
    raw: str = Field(default="", description="the text (or call) the action was read from")
