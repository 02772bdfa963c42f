"""Sequential sampling to a target precision: when a condition has enough samples.

Samples come in waves, each ending at the next count of a fixed grid (`_calibrate.look_grid`:
min_samples, then steps of about max_samples / 20). After each wave the rule looks at the
condition's confidence sequence (`_confseq`, its threshold calibrated to the grid's looks,
intersected over the looks so far) and stops when it is no wider than `ci_width`, or when
`max_samples` were taken.
The decisions are a pure function of the verdicts of samples 1..k in epoch order, so a resumed
run, or the analysis reading the logs back, replays them exactly (`replay`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from insiderbench.sampling._calibrate import calibrated_threshold, look_grid, threshold_at
from insiderbench.sampling._confseq import ALPHA, PRIOR, cs_interval

DEFAULT_MIN_SAMPLES = 10
DEFAULT_MAX_SAMPLES = 100
# Why a condition stopped: its interval reached the width, it took max_samples, or the run's
# budget ran out first (`incomplete` in a finished log: the rule wanted more).
StopReason = Literal["width", "max", "budget", "incomplete"]
STOP_REASONS: tuple[str, ...] = ("width", "max", "budget", "incomplete")

# One sample's verdict: harmful, not harmful, or None (unscored: taken, not counted).
Verdict = bool | None


@dataclass(frozen=True)
class StoppingRule:
    """Waves until the 95% confidence sequence is at most `ci_width` wide, or `max_samples`."""

    ci_width: float
    min_samples: int = DEFAULT_MIN_SAMPLES
    max_samples: int = DEFAULT_MAX_SAMPLES
    alpha: float = ALPHA

    def __post_init__(self) -> None:
        if not 0 < self.ci_width <= 1:
            raise ValueError(f"ci_width must be in (0, 1], got {self.ci_width}")
        if not 1 <= self.min_samples <= self.max_samples:
            raise ValueError(f"need 1 <= min_samples <= max_samples, got {self.min_samples} "
                             f"and {self.max_samples}")

    @property
    def looks(self) -> tuple[int, ...]:
        """The samples after which the rule may look: where each wave ends."""
        return look_grid(self.min_samples, self.max_samples)

    @property
    def log_threshold(self) -> float:
        """The mixture's threshold calibrated to these looks (`_calibrate`)."""
        return calibrated_threshold(look_grid(self.min_samples, self.max_samples), self.alpha,
                                    PRIOR)

    def interval(self, looks: list[tuple[int, int]]) -> tuple[float, float]:
        """The interval after `looks` ((harmful, scored) at each look taken): the running
        intersection of each look's, at that look's threshold."""
        grid, base = self.looks, self.log_threshold
        low, high = 0.0, 1.0
        for harmful, n in looks:
            lo, hi = cs_interval(harmful, n, self.alpha, PRIOR, threshold_at(grid, base, n))
            low, high = max(low, lo), min(high, hi)
        if low > high:  # the looks disagree beyond the sequence's error: keep the last look's
            harmful, n = looks[-1]
            return cs_interval(harmful, n, self.alpha, PRIOR, threshold_at(grid, base, n))
        return low, high


@dataclass(frozen=True)
class Decision:
    """Where a condition stands: still sampling up to `wave_end`, or stopped (`reason`)."""

    taken: int  # samples that count (the waves decided so far)
    harmful: int
    scored: int
    ci_low: float
    ci_high: float
    reason: StopReason | None  # None: still sampling
    wave_end: int  # the last sample of the wave under way (== taken once stopped)

    @property
    def stopped(self) -> bool:
        return self.reason is not None


def replay(rule: StoppingRule, verdicts: Sequence[Verdict]) -> Decision:
    """The rule's decisions on the verdicts of samples 1, 2, ... (a prefix with no gap).

    Only whole waves are looked at, so the decisions never depend on the order in which
    samples finished. Samples beyond the stopping point are ignored. A wave ends at the next
    count of `rule.looks`; its look counts the first g scored samples, g the largest count of
    the grid that many were scored (all of them unless some were unscored), so every look the
    interval is computed at is one the threshold was calibrated for.
    """
    grid = rule.looks
    looks: list[tuple[int, int]] = []
    harmful = scored = taken = 0
    low, high = 0.0, 1.0
    for end in grid:
        if len(verdicts) < end:
            return Decision(taken, harmful, scored, low, high, None, end)
        counted = [v for v in verdicts[:end] if v is not None]
        taken, harmful, scored = end, sum(1 for v in counted if v), len(counted)
        g = max((n for n in grid if n <= scored), default=0)
        if g and (not looks or looks[-1][1] != g):
            looks.append((sum(1 for v in counted[:g] if v), g))
            low, high = rule.interval(looks)
        if high - low <= rule.ci_width + 1e-12:
            return Decision(taken, harmful, scored, low, high, "width", taken)
    return Decision(taken, harmful, scored, low, high, "max", taken)


def simulate(rule: StoppingRule, rate: float, draw: object) -> Decision:
    """One stopped run at a true `rate`: `draw()` returns uniforms in [0, 1)."""
    verdicts: list[Verdict] = []
    while True:
        decision = replay(rule, verdicts)
        if decision.stopped:
            return decision
        while len(verdicts) < decision.wave_end:
            verdicts.append(draw() < rate)  # type: ignore[operator]


@lru_cache(maxsize=4096)  # plan asks once per model and condition, mostly the same rates
def expected_samples(rule: StoppingRule, rate: float | None = None, runs: int = 200) -> float:
    """The mean samples a condition takes under the rule at a true `rate` (every sample
    scored), by simulating `runs` stopped runs with a fixed seed; with no rate, the mean over
    rates spread evenly on (0, 1). An estimate for `plan`, not a promise."""
    import random

    rates = [rate] if rate is not None else [(i + 0.5) / 20 for i in range(20)]
    per = max(1, runs // len(rates))
    total = 0
    for r in rates:
        draw = random.Random(f"expected-{rule}-{r}").random
        total += sum(simulate(rule, r, draw).taken for _ in range(per))
    return total / (per * len(rates))
