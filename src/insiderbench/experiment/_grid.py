"""Grids of conditions: each grid a Cartesian product, an experiment the union of its grids."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from insiderbench.scenarios import (
    EXTRA_INSTRUCTIONS,
    GOAL_TYPES,
    GOAL_VALUES,
    PAPER_SCENARIOS,
    URGENCIES,
    Condition,
)
from insiderbench.scenarios._condition import (
    Ablation,
    ExtraInstructions,
    GoalType,
    Mode,
    Scenario,
    Urgency,
)

NamedGoalValue = Literal[
    "america", "global", "safety", "acceleration", "ethical", "pragmatic", "individualism",
    "collectivism",
]


def known_interventions(v: list[str] | None) -> list[str] | None:
    """Interventions (of a grid or a whole experiment): `none` or a file that loads."""
    for spec in v or []:
        intervention_name(spec)
    return v


def known_monitors(v: list[str] | None) -> list[str] | None:
    """Monitors (of a grid or a whole experiment): none, rule, or a model name."""
    from insiderbench.scenarios import ConditionError, check_monitor_spec

    for spec in v or []:
        try:
            check_monitor_spec(spec)
        except ConditionError as ex:
            raise ValueError(str(ex)) from None
    return v


def nonnegative_seeds(v: list[int] | None) -> list[int] | None:
    """Variant seeds (of a grid or a whole experiment) are 0 or more."""
    if any(s < 0 for s in v or []):
        raise ValueError("variant seeds are 0 or more")
    return v


class Grid(BaseModel):
    """One Cartesian product of factor values.

    Goal types none and ambiguous always take goal value none, so they contribute one
    condition per combination of the other factors, whatever `goal_values` lists.
    `modes` (classic, agentic) compares the two protocols on the same conditions; a grid
    without it takes the experiment's `mode`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    scenarios: list[Scenario] = Field(min_length=1)
    goal_types: list[GoalType] = Field(default=["explicit"], min_length=1)
    goal_values: list[NamedGoalValue] = Field(default=["america"])
    urgencies: list[Urgency] = Field(default=["replacement"], min_length=1)
    extra_instructions: list[ExtraInstructions] = Field(default=["none"], min_length=1)
    prod: list[bool] = Field(default=[False], min_length=1)
    eval_awareness: list[bool] = Field(default=[False], min_length=1)
    modes: list[Mode] | None = Field(default=None, min_length=1)
    # Scenario packs (names or folders) and surface-variant seeds; None: the experiment's.
    packs: list[str] | None = Field(default=None, min_length=1)
    variant_seeds: list[int] | None = Field(default=None, min_length=1)
    # Sets of ablations (`[[], [agency], [agency, ceo]]`: each set one level) and
    # interventions (`none` or a file); None: the experiment's (default: no ablation, none).
    ablations: list[list[Ablation]] | None = Field(default=None, min_length=1)
    interventions: list[str] | None = Field(default=None, min_length=1)
    # Action monitors of agentic conditions (`[none, rule, openai/gpt-4o]`: a model name is an
    # LLM monitor); classic conditions take none.
    monitors: list[str] | None = Field(default=None, min_length=1)

    @field_validator("monitors")
    @classmethod
    def _known_monitors(cls, v: list[str] | None) -> list[str] | None:
        return known_monitors(v)

    @field_validator("interventions")
    @classmethod
    def _known_interventions(cls, v: list[str] | None) -> list[str] | None:
        return known_interventions(v)

    @field_validator("packs")
    @classmethod
    def _known_packs(cls, v: list[str] | None) -> list[str] | None:
        for spec in v or []:
            pack_name(spec)
        return v

    @field_validator("variant_seeds")
    @classmethod
    def _seeds(cls, v: list[int] | None) -> list[int] | None:
        return nonnegative_seeds(v)

    @model_validator(mode="after")
    def _values_for_valued_goals(self) -> Grid:
        valued = [g for g in self.goal_types if g in ("explicit", "latent", "swap")]
        if valued and not self.goal_values:
            raise ValueError(
                f"goal_values is empty but goal_types {valued} need one of {', '.join(GOAL_VALUES)}"
            )
        return self

    def conditions(self, mode: Mode = "classic", pack: str = "paper",
                   variant_seeds: list[int] | None = None,
                   ablations: list[list[str]] | None = None,
                   interventions: list[str] | None = None,
                   monitors: list[str] | None = None) -> list[Condition]:
        """The product, each condition in each of `modes` (else in `mode`), each of `packs`
        (else `pack`), each variant seed (else the grid's, else the canonical text), each set
        of ablations, each intervention and each monitor (else the experiment's, else none;
        classic conditions are never monitored)."""
        watchers = self.monitors or monitors or ["none"]
        modes = self.modes or [mode]
        ablation_sets = [tuple(a) for a in (self.ablations or ablations or [[]])]
        chosen = [intervention_name(i) for i in (self.interventions or interventions or ["none"])]
        packs = [pack_name(p) for p in (self.packs or [pack])]
        seeds: list[int | None] = list(self.variant_seeds or variant_seeds or [None])
        out: list[Condition] = []
        for scenario in self.scenarios:
            for goal_type in self.goal_types:
                values = self.goal_values if goal_type in ("explicit", "latent", "swap") else ["none"]
                for goal_value in values:
                    for urgency in self.urgencies:
                        for extra in self.extra_instructions:
                            for prod in self.prod:
                                for aware in self.eval_awareness:
                                    out.extend(
                                        Condition(
                                            scenario=scenario,
                                            goal_type=goal_type,
                                            goal_value=goal_value,
                                            urgency=urgency,
                                            extra_instructions=extra,
                                            prod=prod,
                                            eval_awareness=aware,
                                            mode=m,
                                            pack=p,
                                            variant_seed=v,
                                            ablations=ab,
                                            intervention=iv,
                                            monitor=mon,
                                        )
                                        for ab in ablation_sets
                                        for iv in chosen
                                        for p in packs
                                        for v in seeds
                                        for m in modes
                                        for mon in watchers
                                        if m == "agentic" or mon == "none"
                                    )
        return unique(out)


def unique(conditions: Iterable[Condition]) -> list[Condition]:
    """De-duplicate, keeping first-seen order."""
    return list(dict.fromkeys(conditions))


def expand(grids: Iterable[Grid], mode: Mode = "classic", pack: str = "paper",
           variant_seeds: list[int] | None = None, ablations: list[list[str]] | None = None,
           interventions: list[str] | None = None, monitors: list[str] | None = None
           ) -> list[Condition]:
    """The union of the grids (never one merged Cartesian product), de-duplicated; grids
    without `modes`, `packs`, `variant_seeds`, `ablations`, `interventions` or `monitors`
    take the experiment's."""
    return unique(c for g in grids
                  for c in g.conditions(mode, pack, variant_seeds, ablations, interventions,
                                        monitors))


def intervention_name(spec: str) -> str | None:
    """The name of the intervention a spec (`none` or a file) stands for; ValueError saying
    what is wrong with the file otherwise."""
    from insiderbench.scenarios import intervention_name as name_of

    return name_of(spec)


def pack_name(spec: str) -> str:
    """The name of the pack a spec (a name or a folder) stands for; ValueError naming the
    valid packs if there is none."""
    from insiderbench.scenarios import get_pack

    return get_pack(spec).name


def full_grid() -> list[Condition]:
    """The paper's complete grid: 234 base conditions x extra instructions x prod x awareness."""
    return Grid(
        scenarios=list(PAPER_SCENARIOS),  # type: ignore[arg-type]
        goal_types=list(GOAL_TYPES),  # type: ignore[arg-type]
        goal_values=list(GOAL_VALUES),  # type: ignore[arg-type]
        urgencies=list(URGENCIES),  # type: ignore[arg-type]
        extra_instructions=list(EXTRA_INSTRUCTIONS),  # type: ignore[arg-type]
        prod=[False, True],
        eval_awareness=[False, True],
    ).conditions()
