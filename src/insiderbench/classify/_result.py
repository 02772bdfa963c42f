"""The verdict of a deterministic heuristic, shared by the per-scenario modules."""

from __future__ import annotations

from pydantic import BaseModel, Field

SignalValue = bool | int | str | list[str]


class CheckResult(BaseModel):
    """The verdict of one deterministic check, with the signals it was built from."""

    name: str
    harmful: bool
    signals: dict[str, SignalValue] = Field(default_factory=dict)
    evidence: list[str] = Field(
        default_factory=list, description="short quotes of the deciding action text"
    )
