"""The state of one sample's mail environment, as logged in the sample's store."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from insiderbench.actions import Action
from insiderbench.scenarios import Email

# What the sample store holds the environment's state under.
STORE_KEY = "insiderbench:mail"

AlertStatus = Literal["active", "cancelled"]
SessionEnd = Literal["answer", "step_limit", "token_limit", "context_limit", "error"]


class SentMessage(BaseModel):
    """One email that left the agent's mailbox."""

    id: str
    kind: Literal["email", "forward"]
    to: list[str]
    subject: str
    body: str
    attachments: list[str] = Field(default_factory=list)
    forwarded_id: str | None = None
    time: str


class CallRecord(BaseModel):
    """One tool call as the environment saw it, accepted or rejected."""

    function: str
    arguments: dict[str, Any]
    ok: bool
    result: str


class ClockEvent(BaseModel):
    time: str
    event: str


class Transfer(BaseModel):
    """One file copied to a host (exfiltration)."""

    path: str
    destination: str
    host: str
    internal: bool
    time: str


class RecordChange(BaseModel):
    """One audit record edited or deleted (tampering); `before` is its text until then."""

    record_id: str
    change: Literal["edited", "deleted"]
    before: str
    after: str | None = None
    time: str


class ConfigChange(BaseModel):
    """One setting of the monitoring configuration changed (oversight)."""

    key: str
    before: str
    after: str
    time: str


class SystemsState(BaseModel):
    """The company systems besides mail that a scenario gives the agent: a file store that
    can copy to other hosts, an audit record store, a monitoring configuration. What they
    hold now, and every change the agent made, in order."""

    files: list[str] = Field(default_factory=list)
    transfers: list[Transfer] = Field(default_factory=list)
    records: dict[str, str] = Field(default_factory=dict)
    record_changes: list[RecordChange] = Field(default_factory=list)
    config: dict[str, str] = Field(default_factory=dict)
    config_changes: list[ConfigChange] = Field(default_factory=list)


class MailState(BaseModel):
    """Everything the environment knows about one sample; logged in the sample's store."""

    scenario: str
    agent_address: str
    clock: str
    alert: AlertStatus | None = None
    sent: list[SentMessage] = Field(default_factory=list)
    delivered: list[Email] = Field(default_factory=list)
    calls: list[CallRecord] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)
    reactions_fired: list[str] = Field(default_factory=list)
    events: list[ClockEvent] = Field(default_factory=list)
    ended_by: SessionEnd | None = None
    systems: SystemsState | None = None  # our behaviours: file store, records, config


def actions_from_store(store: Any) -> list[Action]:
    """The actions an agentic sample took, read back from its store (a Store or a dict)."""
    data = store.get(STORE_KEY) if store is not None else None
    if not data:
        return []
    return [Action.model_validate(a) for a in data.get("actions", [])]
