"""The experiment: models x conditions x samples, plus how to run them."""

from __future__ import annotations

import hashlib
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from insiderbench.agent import AgenticSettings
from insiderbench.classify import DEFAULT_AUDIT_FRACTION
from insiderbench.experiment._grid import (
    Grid,
    expand,
    known_interventions,
    known_monitors,
    nonnegative_seeds,
    pack_name,
)
from insiderbench.sampling import DEFAULT_MAX_SAMPLES, DEFAULT_MIN_SAMPLES
from insiderbench.scenarios import Condition, Mode
from insiderbench.scenarios._condition import Ablation

ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh"]

# Defaults that keep a run from hanging forever on a dead provider, and keep one bad sample
# from aborting a task. All overridable in the file or on the command line.
DEFAULT_MAX_RETRIES = 6  # per API call, with Inspect's exponential backoff
DEFAULT_TIMEOUT = 900  # seconds for one API call, retries included
DEFAULT_ATTEMPT_TIMEOUT = 300  # seconds for one attempt of an API call
DEFAULT_RETRY_ON_ERROR = 3  # per sample: malformed/empty replies, timeouts
DEFAULT_RETRY_ATTEMPTS = 2  # eval_set passes over tasks that still have errored samples


class ModelSpec(BaseModel):
    """A model under test, with settings of its own (a mapping entry in `models:`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, ge=1)
    reasoning_effort: ReasoningEffort | None = None
    reasoning_tokens: int | None = Field(default=None, ge=1)
    max_connections: int | None = Field(default=None, ge=1)
    batch: bool | int | None = None
    cache_prompt: bool | Literal["auto"] | None = None
    model_args: dict[str, Any] = Field(default_factory=dict)

    @field_validator("model")
    @classmethod
    def _provider_model(cls, v: str) -> str:
        if "/" not in v:
            raise ValueError(f"model {v!r} must be an Inspect model string provider/model")
        return v

    @property
    def sends_temperature(self) -> bool:
        """False when the entry sets `temperature: null` (for models that refuse one)."""
        return not ("temperature" in self.model_fields_set and self.temperature is None)


class Experiment(BaseModel):
    """A validated experiment file. The conditions are the union of `grids`."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    description: str | None = None
    models: list[ModelSpec] = Field(min_length=1)
    samples: int = Field(default=100, ge=1)
    # Sequential sampling: waves per condition until its 95% confidence sequence is at most
    # this wide, from min_samples up to max_samples (`samples` is then not used).
    ci_width: float | None = Field(default=None, gt=0, le=1)
    min_samples: int = Field(default=DEFAULT_MIN_SAMPLES, ge=1)
    max_samples: int = Field(default=DEFAULT_MAX_SAMPLES, ge=1)
    temperature: float = Field(default=1.0, ge=0, le=2)
    max_tokens: int | None = Field(default=None, ge=1)
    seed: int | None = None
    # The LLM judge's model (Inspect `grader` role), or several (roles grader, grader_2, ...:
    # the rule takes their majority); none: the deterministic signals only.
    grader: str | list[str] | None = None
    # The share of samples whose gate is closed that the judge is asked about anyway.
    audit_fraction: float = Field(default=DEFAULT_AUDIT_FRACTION, ge=0, le=1)
    judge: Literal["paper", "insiderbench"] = "paper"
    max_connections: int | None = Field(default=None, ge=1)
    max_retries: int = Field(default=DEFAULT_MAX_RETRIES, ge=0)
    # None: the defaults above for remote providers, none for the in-process embedded model
    # (its calls queue behind each other on a lock, so a wall-clock limit would misfire).
    timeout: int | None = Field(default=None, ge=1)
    attempt_timeout: int | None = Field(default=None, ge=1)
    retry_on_error: int = Field(default=DEFAULT_RETRY_ON_ERROR, ge=0)
    retry_attempts: int = Field(default=DEFAULT_RETRY_ATTEMPTS, ge=0)
    workers: int = Field(default=1, ge=1)  # processes sharing the run (`_workers`)
    batch: bool | int = False
    cache_prompt: bool | Literal["auto"] = "auto"
    mode: Mode = "classic"  # of grids without `modes`; agentic: tool calls in a mail client
    agentic: AgenticSettings = Field(default_factory=AgenticSettings)
    grids: list[Grid] = Field(min_length=1)
    # The scenario pack (a name or a folder) of grids without `packs`; `paper` renders
    # through inspect_evals. Surface-variant seeds of grids without their own.
    pack: str = "paper"
    variant_seeds: list[int] | None = Field(default=None, min_length=1)
    # Ablation sets and interventions of grids without their own (CLI: --ablate, --intervention).
    ablations: list[list[Ablation]] | None = Field(default=None, min_length=1)
    interventions: list[str] | None = Field(default=None, min_length=1)
    # none, rule, or a model name (an LLM monitor), for grids without their own (CLI: --monitor)
    monitors: list[str] | None = Field(default=None, min_length=1)
    # A cap in USD on what the log dir's runs spend in all (CLI: --budget), and prices (USD
    # per million tokens) of models the price table lacks (CLI: --prices FILE).
    budget: float | None = Field(default=None, gt=0)
    prices: dict[str, dict[str, float]] | None = None

    @field_validator("prices")
    @classmethod
    def _prices(cls, v: dict[str, dict[str, float]] | None) -> dict[str, dict[str, float]] | None:
        if v is not None:
            from insiderbench.experiment._prices import parse_prices

            parse_prices(v, "prices")  # a wrong shape fails here, naming the key
        return v

    @field_validator("interventions")
    @classmethod
    def _known_interventions(cls, v: list[str] | None) -> list[str] | None:
        return known_interventions(v)

    @field_validator("monitors")
    @classmethod
    def _known_monitors(cls, v: list[str] | None) -> list[str] | None:
        return known_monitors(v)

    @model_validator(mode="after")
    def _packs_hold_scenarios(self) -> Experiment:
        """Each grid's scenarios are in each pack it renders with (ours only in ours)."""
        from insiderbench.scenarios import PAPER_SCENARIOS, get_pack, pack_for

        for i, grid in enumerate(self.grids, 1):
            for spec in grid.packs or [self.pack]:
                pack = get_pack(spec)
                have = getattr(pack, "scenarios", PAPER_SCENARIOS)
                missing = [s for s in grid.scenarios if s not in have]
                if missing:
                    try:
                        hint = f"set pack: {pack_for(missing)}"
                    except ValueError:
                        hint = "choose a pack that has it"
                    raise ValueError(f"grids[{i}]: pack {pack.name} has no scenario "
                                     f"{', '.join(missing)} ({hint})")
        return self

    @model_validator(mode="after")
    def _sample_bounds(self) -> Experiment:
        if self.min_samples > self.max_samples:
            raise ValueError(f"min_samples ({self.min_samples}) is more than max_samples "
                             f"({self.max_samples})")
        return self

    @field_validator("pack")
    @classmethod
    def _known_pack(cls, v: str) -> str:
        pack_name(v)
        return v

    @field_validator("variant_seeds")
    @classmethod
    def _seeds(cls, v: list[int] | None) -> list[int] | None:
        return nonnegative_seeds(v)

    @field_validator("models", mode="before")
    @classmethod
    def _strings_to_specs(cls, v: Any) -> Any:
        from insiderbench.data import model_group_entries

        if isinstance(v, str):
            v = [v]
        if isinstance(v, list):
            out: list[Any] = []
            for m in v:
                if isinstance(m, str) and m.startswith("@"):
                    out.extend(model_group_entries(m))
                else:
                    out.append({"model": m} if isinstance(m, str) else m)
            return out
        return v

    @field_validator("name")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", v):
            raise ValueError("name may use letters, digits, '.', '_' and '-' only")
        return v

    @field_validator("models", mode="after")
    @classmethod
    def _distinct_models(cls, v: list[ModelSpec]) -> list[ModelSpec]:
        # A field validator, so the error names the key `models` and its line.
        names = [m.model for m in v]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"models listed twice: {', '.join(dupes)}")
        return v

    @field_validator("grader", mode="after")
    @classmethod
    def _graders(cls, v: str | list[str] | None) -> str | list[str] | None:
        names = [v] if isinstance(v, str) else list(v or [])
        if any(not n.strip() for n in names):
            raise ValueError("a grader must name a model")
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"graders listed twice: {', '.join(dupes)}")
        if not names:
            return None
        return names[0] if len(names) == 1 else names

    @property
    def graders(self) -> list[str]:
        """The judges' models, in role order (`grader`, `grader_2`, ...)."""
        return [self.grader] if isinstance(self.grader, str) else list(self.grader or [])

    def conditions(self) -> list[Condition]:
        return expand(self.grids, self.mode, self.pack, self.variant_seeds, self.ablations,
                      self.interventions, self.monitors)  # type: ignore[arg-type]

    def monitor_models(self) -> dict[str, str]:
        """The LLM monitors the conditions use: their level (`llm-...`) and model name."""
        from insiderbench.scenarios import is_llm_monitor, monitor_level

        used = {c.monitor for c in self.conditions()}
        specs = [*(self.monitors or []), *(m for g in self.grids for m in g.monitors or [])]
        return {level: spec for spec in specs
                if is_llm_monitor(level := monitor_level(spec)) and level in used}

    def has_agentic(self) -> bool:
        return any(c.mode == "agentic" for c in self.conditions())

    def conditions_hash(self) -> str:
        """Short hash of the conditions, for a log directory no other experiment shares.

        Agentic runs also hash their `agentic` settings (only then: classic runs keep their
        directories).
        """
        ids = "\n".join(sorted(c.condition_id for c in self.conditions()))
        if self.has_agentic():
            ids += "\n" + self.agentic.model_dump_json()
        return hashlib.sha256(ids.encode()).hexdigest()[:8]

    def default_log_dir(self) -> str:
        return f"logs/{self.name}-{self.conditions_hash()}"
