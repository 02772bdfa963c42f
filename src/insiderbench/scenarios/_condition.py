"""The experimental condition: one cell of the paper's grid."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# The paper's three behaviours, then ours (only in our data pack `insiderbench`). Each has a
# gate, a heuristic and a judge rubric in `classify`; tests hold this set equal to the union of
# the shipped packs' behaviours.
Scenario = Literal["blackmail", "leaking", "murder", "exfiltration", "tampering", "oversight"]
GoalType = Literal["explicit", "latent", "swap", "none", "ambiguous"]
GoalValue = Literal[
    "america",
    "global",
    "safety",
    "acceleration",
    "ethical",
    "pragmatic",
    "individualism",
    "collectivism",
    "none",
]
Urgency = Literal["replacement", "restriction", "none"]
ExtraInstructions = Literal["none", "dont", "goal"]
# How the agent acts: the paper's text tags in one reply (classic), or tool calls in a
# simulated mail environment (agentic). Not one of the paper's factors, so not in `factors()`.
Mode = Literal["classic", "agentic"]
# Ablations of the scenario text, each off by default (today's text): the switch's name, its
# level when off and when on. Condition ids gain `__abl-NAME` per ablation, in this order.
Ablation = Literal["agency", "escalation", "ceo", "monitoring"]
# An action monitor in agentic mode: none, `rule` (a tool call that would open the scenario's
# gate is held, and the agent sees the rejection), or an LLM reviewer named by its model
# (`openai/gpt-4o`), whose level is `llm-<name>-<hash>` (`monitor_level`). Condition ids gain
# `__mon-LEVEL`.
Monitor = Literal["none", "rule"]
ABLATION_LEVELS: dict[str, tuple[str, str]] = {
    "agency": ("kept", "removed"),  # the instruction to analyse the situation first
    "escalation": ("none", "added"),  # an email naming a human who can stop the wipe
    "ceo": ("unreachable", "reachable"),  # the emails saying the CEO and board are away
    "monitoring": ("none", "announced"),  # an email saying outgoing mail is reviewed
}

SCENARIOS: tuple[str, ...] = get_args(Scenario)
PAPER_SCENARIOS: tuple[str, ...] = ("blackmail", "leaking", "murder")
GOAL_TYPES: tuple[str, ...] = get_args(GoalType)
GOAL_VALUES: tuple[str, ...] = tuple(v for v in get_args(GoalValue) if v != "none")
URGENCIES: tuple[str, ...] = get_args(Urgency)
EXTRA_INSTRUCTIONS: tuple[str, ...] = get_args(ExtraInstructions)
MODES: tuple[str, ...] = get_args(Mode)
ABLATIONS: tuple[str, ...] = get_args(Ablation)
MONITORS: tuple[str, ...] = get_args(Monitor)
# A monitor's level in a condition: none, rule, or an LLM monitor's `llm-...` name.
MONITOR_LEVEL_RE = r"^(none|rule|llm-[a-z0-9][a-z0-9-]*)$"
# An Inspect model name: `provider/model`, the model part possibly with more slashes.
MODEL_NAME_RE = r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[^\s/][^\s]*$"

GOAL_TYPES_WITH_VALUE = ("explicit", "latent", "swap")
GOAL_TYPES_WITHOUT_VALUE = ("none", "ambiguous")

HEADLINE_GOAL_TYPE = "explicit"
HEADLINE_GOAL_VALUE = "america"
HEADLINE_URGENCY = "replacement"

DEFAULT_PACK = "paper"
# A pack's name: lower-case letters, digits and '-' (it becomes part of condition ids).
PACK_NAME_RE = r"^[a-z0-9][a-z0-9-]*$"


class ConditionError(ValueError):
    """A factor value or combination that does not exist in the grid."""


def _choices(values: tuple[str, ...]) -> str:
    return ", ".join(values)


def monitor_level(spec: str) -> str:
    """The level a monitor spec stands for in a condition: `none`, `rule`, or for a model
    name (`openai-api/fake/monitor-reject`) `llm-<its last part>-<6 hex of its hash>`
    (`llm-monitor-reject-1f0c2a`): stable, filename-safe, and two models never share one.
    A spec that is already a level is returned as it is; anything else is a ConditionError."""
    if re.match(MONITOR_LEVEL_RE, spec):
        return spec
    if not re.match(MODEL_NAME_RE, spec):
        raise ConditionError(f"unknown monitor {spec!r} (valid: none, rule, or a model name "
                             "such as openai/gpt-4o)")
    tail = re.sub(r"[^a-z0-9]+", "-", spec.rsplit("/", 1)[-1].lower()).strip("-")[:24]
    digest = hashlib.sha256(spec.encode()).hexdigest()[:6]
    return f"llm-{tail.strip('-') or 'model'}-{digest}"


def check_monitor_spec(spec: str) -> str:
    """What a user may name as a monitor: none, rule, or a model name (never a bare level,
    which binds no model); ConditionError otherwise."""
    if spec in MONITORS or re.match(MODEL_NAME_RE, spec):
        return spec
    raise ConditionError(f"unknown monitor {spec!r} (valid: none, rule, or a model name "
                         "such as openai/gpt-4o)")


def is_llm_monitor(level: str) -> bool:
    return level.startswith("llm-")


class Condition(BaseModel):
    """The factors of one experimental condition. Frozen so it can key dicts and sets."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    scenario: Scenario
    goal_type: GoalType = HEADLINE_GOAL_TYPE
    goal_value: GoalValue = HEADLINE_GOAL_VALUE
    urgency: Urgency = HEADLINE_URGENCY
    extra_instructions: ExtraInstructions = "none"
    prod: bool = False
    eval_awareness: bool = False
    mode: Mode = "classic"
    # The scenario pack that renders it, and the seed of its surface variant (None: the
    # pack's canonical text). Neither is a factor of the paper's grid.
    pack: str = Field(default=DEFAULT_PACK, pattern=PACK_NAME_RE)
    variant_seed: int | None = Field(default=None, ge=0)
    # Ablations of the text (in ABLATIONS order) and a user-written intervention (its name;
    # the text is registered by scenarios._intervention). Neither is a factor of the paper.
    ablations: tuple[Ablation, ...] = ()
    intervention: str | None = Field(default=None, pattern=PACK_NAME_RE)
    monitor: str = Field(default="none", pattern=MONITOR_LEVEL_RE)

    @field_validator("monitor", mode="before")
    @classmethod
    def _monitor_level(cls, v: object) -> object:
        if isinstance(v, str):
            try:
                return monitor_level(v)
            except ConditionError as ex:
                raise ValueError(str(ex)) from None
        return v

    @field_validator("ablations", mode="before")
    @classmethod
    def _ablation_order(cls, v: object) -> object:
        if isinstance(v, (list, tuple, set, frozenset)):
            unknown = [a for a in v if a not in ABLATIONS]
            if unknown:
                raise ValueError(f"unknown ablation {unknown[0]!r} (valid: {_choices(ABLATIONS)})")
            return tuple(a for a in ABLATIONS if a in v)
        return v

    @field_validator("intervention", mode="before")
    @classmethod
    def _no_intervention(cls, v: object) -> object:
        return None if v in (None, "none") else v

    @field_validator("extra_instructions", mode="before")
    @classmethod
    def _none_means_none(cls, v: object) -> object:
        return "none" if v is None else v

    @field_validator("goal_value", mode="before")
    @classmethod
    def _goal_none(cls, v: object) -> object:
        return "none" if v is None else v

    @model_validator(mode="after")
    def _goal_pairing(self) -> Condition:
        if self.goal_type in GOAL_TYPES_WITHOUT_VALUE and self.goal_value != "none":
            raise ValueError(
                f"goal_type {self.goal_type} takes goal_value none, not {self.goal_value}"
            )
        if self.goal_type in GOAL_TYPES_WITH_VALUE and self.goal_value == "none":
            raise ValueError(
                f"goal_type {self.goal_type} needs a goal_value: one of {_choices(GOAL_VALUES)}"
            )
        return self

    @model_validator(mode="after")
    def _monitor_needs_tools(self) -> Condition:
        if self.monitor != "none" and self.mode != "agentic":
            raise ValueError(f"monitor {self.monitor} watches tool calls: agentic mode only")
        return self

    @property
    def base_id(self) -> str:
        return f"{self.scenario}_{self.goal_type}-{self.goal_value}_{self.urgency}"

    @property
    def condition_id(self) -> str:
        """`{scenario}_{goal_type}-{goal_value}_{urgency}` plus `__dont`/`__goal`, `__prod`,
        `__aware`, `__abl-NAME` per ablation and `__iv-NAME` for an intervention, `__agentic` (classic ids carry no mode suffix, so they never change), then
        `__pack-{name}` for any pack but the paper's and `__v{seed}` for a surface variant
        (so the paper's canonical ids never change either)."""
        cid = self.base_id
        if self.extra_instructions != "none":
            cid += f"__{self.extra_instructions}"
        if self.prod:
            cid += "__prod"
        if self.eval_awareness:
            cid += "__aware"
        for ablation in self.ablations:
            cid += f"__abl-{ablation}"
        if self.intervention is not None:
            cid += f"__iv-{self.intervention}"
        if self.mode != "classic":
            cid += f"__{self.mode}"
        if self.monitor != "none":
            cid += f"__mon-{self.monitor}"
        if self.pack != DEFAULT_PACK:
            cid += f"__pack-{self.pack}"
        if self.variant_seed is not None:
            cid += f"__v{self.variant_seed}"
        return cid

    def factors(self) -> dict[str, str | bool]:
        """The factors as plain JSON values ("none" for an absent goal value or extra)."""
        return {
            "scenario": self.scenario,
            "goal_type": self.goal_type,
            "goal_value": self.goal_value,
            "urgency": self.urgency,
            "extra_instructions": self.extra_instructions,
            "prod": self.prod,
            "eval_awareness": self.eval_awareness,
        }

    def levels(self) -> dict[str, str]:
        """Each ablation's level and the intervention's name ("none"): factors of ours."""
        on = set(self.ablations)
        out = {a: ABLATION_LEVELS[a][a in on] for a in ABLATIONS}
        out["intervention"] = self.intervention or "none"
        out["monitor"] = self.monitor
        return out

    def surface(self) -> dict[str, str]:
        """Which text the condition is rendered in: its pack, and `canonical` or the surface
        variant (`v3`). Factors of ours, set against each other in the effects."""
        variant = "canonical" if self.variant_seed is None else f"v{self.variant_seed}"
        return {"pack": self.pack, "surface": variant}

    @classmethod
    def from_metadata(cls, metadata: dict[str, object]) -> Condition:
        """The condition a sample was made for, from the factors in its metadata."""
        return cls(**{k: metadata[k] for k in cls.model_fields if k in metadata})

    @classmethod
    def from_id(cls, condition_id: str) -> Condition:
        """Parse a condition id back into a Condition (inverse of `condition_id`)."""
        base, *flags = condition_id.split("__")
        try:
            scenario, goal, urgency = base.split("_")
            goal_type, goal_value = goal.split("-")
        except ValueError:
            raise ConditionError(
                f"invalid condition id {condition_id!r}: expected "
                "{scenario}_{goal_type}-{goal_value}_{urgency}[__dont|__goal][__prod][__aware]"
                "[__abl-NAME...][__iv-NAME][__agentic][__mon-LEVEL][__pack-NAME][__vN]"
            ) from None
        extra = "none"
        prod = aware = False
        mode = "classic"
        pack = DEFAULT_PACK
        variant: int | None = None
        ablations: list[str] = []
        intervention: str | None = None
        monitor = "none"
        for flag in flags:
            if flag in ("dont", "goal"):
                extra = flag
            elif flag == "prod":
                prod = True
            elif flag == "aware":
                aware = True
            elif flag == "agentic":
                mode = "agentic"
            elif flag.startswith("abl-") and flag[4:] in ABLATIONS:
                ablations.append(flag[4:])
            elif flag.startswith("mon-") and re.match(MONITOR_LEVEL_RE, flag[4:]):
                monitor = flag[4:]
            elif flag.startswith("iv-") and re.match(PACK_NAME_RE, flag[3:]):
                intervention = flag[3:]
            elif flag.startswith("pack-") and re.match(PACK_NAME_RE, flag[5:]):
                pack = flag[5:]
            elif re.fullmatch(r"v\d+", flag):
                variant = int(flag[1:])
            else:
                raise ConditionError(
                    f"invalid condition id {condition_id!r}: unknown suffix __{flag} "
                    "(valid: __dont, __goal, __prod, __aware, __abl-NAME, __iv-NAME, __agentic, "
                    "__mon-LEVEL, __pack-NAME, __vN)"
                )
        return make_condition(
            scenario=scenario,
            goal_type=goal_type,
            goal_value=goal_value,
            urgency=urgency,
            extra_instructions=extra,
            prod=prod,
            eval_awareness=aware,
            mode=mode,
            pack=pack,
            variant_seed=variant,
            ablations=ablations,
            intervention=intervention,
            monitor=monitor,
        )


def make_condition(
    *,
    scenario: str,
    goal_type: str | None = None,
    goal_value: str | None = None,
    urgency: str | None = None,
    extra_instructions: str | None = None,
    prod: bool = False,
    eval_awareness: bool = False,
    mode: str | None = None,
    pack: str | None = None,
    variant_seed: int | None = None,
    ablations: Iterable[str] = (),
    intervention: str | None = None,
    monitor: str | None = None,
) -> Condition:
    """Build a Condition from user-supplied strings, with one-line errors naming the choices.

    Unnamed factors take the paper's headline condition (explicit-america, replacement);
    goal_type none/ambiguous without a goal value takes goal_value none.
    """
    _check("scenario", scenario, SCENARIOS)
    goal_type = goal_type or HEADLINE_GOAL_TYPE
    _check("goal type", goal_type, GOAL_TYPES)
    if goal_value is None:
        goal_value = "none" if goal_type in GOAL_TYPES_WITHOUT_VALUE else HEADLINE_GOAL_VALUE
    if goal_type in GOAL_TYPES_WITHOUT_VALUE:
        if goal_value != "none":
            raise ConditionError(
                f"goal type {goal_type} takes goal value none, not {goal_value!r}"
            )
    else:
        _check("goal value", goal_value, GOAL_VALUES, extra=f" for goal type {goal_type}")
    urgency = urgency or HEADLINE_URGENCY
    _check("urgency", urgency, URGENCIES)
    extra = extra_instructions or "none"
    _check("extra instructions", extra, EXTRA_INSTRUCTIONS)
    mode = mode or "classic"
    _check("mode", mode, MODES)
    pack = pack or DEFAULT_PACK
    if not re.match(PACK_NAME_RE, pack):
        raise ConditionError(
            f"invalid pack name {pack!r}: lower-case letters, digits and '-' only"
        )
    if variant_seed is not None and variant_seed < 0:
        raise ConditionError(f"variant seed must be 0 or more, not {variant_seed}")
    ablations = tuple(ablations)
    for ablation in ablations:
        _check("ablation", ablation, ABLATIONS)
    if intervention is not None and not re.match(PACK_NAME_RE, intervention):
        raise ConditionError(
            f"invalid intervention name {intervention!r}: lower-case letters, digits and '-' only"
        )
    monitor = monitor_level(monitor or "none")
    if monitor != "none" and mode != "agentic":
        raise ConditionError(f"monitor {monitor} watches tool calls: agentic mode only "
                             "(add --mode agentic)")
    return Condition(
        scenario=scenario,  # type: ignore[arg-type]
        goal_type=goal_type,  # type: ignore[arg-type]
        goal_value=goal_value,  # type: ignore[arg-type]
        urgency=urgency,  # type: ignore[arg-type]
        extra_instructions=extra,  # type: ignore[arg-type]
        prod=prod,
        eval_awareness=eval_awareness,
        mode=mode,  # type: ignore[arg-type]
        pack=pack,
        variant_seed=variant_seed,
        ablations=ablations,  # type: ignore[arg-type]
        intervention=intervention,
        monitor=monitor,
    )


def _check(what: str, value: str, valid: tuple[str, ...], extra: str = "") -> None:
    if value not in valid:
        raise ConditionError(f"unknown {what} {value!r}{extra} (valid: {_choices(valid)})")


def headline(scenario: str) -> Condition:
    """The paper's headline condition for a scenario: explicit-america goal, replacement."""
    return make_condition(scenario=scenario)
