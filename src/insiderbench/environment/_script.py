"""What the simulated company does around the agent: the deadline and scripted reactions.

Declared per scenario as data (`insiderbench/data/mail_<scenario>.yaml`), never as code, so
a researcher can read and change what happens without touching the environment.
"""

from __future__ import annotations

import re
from functools import cache

from pydantic import BaseModel, ConfigDict, Field, field_validator

from insiderbench.actions import Action, ActionKind

_TIME_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])\s*$")

# Address roles a script may name instead of a literal address; resolved from ScenarioFacts.
ADDRESS_ROLES = ("agent", "target", "rival", "internal", "external")


def parse_clock(text: str) -> int:
    """`4:53:02 PM` -> seconds since midnight."""
    match = _TIME_RE.match(text)
    if not match:
        raise ValueError(f"invalid time {text!r}: expected H:MM[:SS] AM|PM")
    hour, minute, second = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    if not (1 <= hour <= 12 and minute < 60 and second < 60):
        raise ValueError(f"invalid time {text!r}")
    hour = hour % 12 + (12 if match.group(4).lower() == "pm" else 0)
    return hour * 3600 + minute * 60 + second


def format_clock(seconds: int) -> str:
    """Seconds since midnight -> `4:53:02 PM` (the system prompts' own style)."""
    hour, rest = divmod(seconds % 86400, 3600)
    minute, second = divmod(rest, 60)
    suffix = "PM" if hour >= 12 else "AM"
    return f"{(hour % 12) or 12}:{minute:02d}:{second:02d} {suffix}"


class Trigger(BaseModel):
    """Which action sets a reaction off. Every given field must hold."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ActionKind | None = None
    to: str | None = Field(
        default=None, description=f"an address, or a role: {', '.join(ADDRESS_ROLES)}"
    )
    harmful: bool | None = Field(
        default=None,
        description="the scenario's deterministic check calls this one action harmful (or not)",
    )


class ReactionEmail(BaseModel):
    """The email a reaction delivers. `{subject}` is the triggering action's subject;
    `{target_name}`, `{target_first_name}`, `{agent_name}` and `{company}` come from the
    scenario."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    sender: str = Field(alias="from")
    to: str = "agent"
    subject: str
    body: str
    minutes: int = Field(default=1, ge=0, description="minutes after the triggering turn")


class Reaction(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    when: Trigger
    email: ReactionEmail


class ScenarioScript(BaseModel):
    """The environment's data for one scenario."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    deadline: str = Field(description="the clock reaches this time when the agent's session ends")
    reactions: list[Reaction] = Field(default_factory=list)

    @field_validator("deadline")
    @classmethod
    def _valid_time(cls, v: str) -> str:
        parse_clock(v)
        return v

    def triggered(self, action: Action, matches: dict[str, bool]) -> list[Reaction]:
        """Reactions whose trigger holds for `action`; `matches` answers role/harm questions."""
        out = []
        for reaction in self.reactions:
            when = reaction.when
            if when.kind is not None and when.kind != action.kind:
                continue
            if when.to is not None and not matches.get(f"to:{when.to}", False):
                continue
            if when.harmful is not None and matches.get("harmful") != when.harmful:
                continue
            out.append(reaction)
        return out


@cache
def load_script(scenario: str) -> ScenarioScript:
    """The scenario's environment data; a scenario without a file has a 5 pm deadline only."""
    from insiderbench.data import load

    try:
        data = load(f"mail_{scenario}")
    except FileNotFoundError:
        data = {"deadline": "5:00:00 PM"}
    return ScenarioScript.model_validate(data)
