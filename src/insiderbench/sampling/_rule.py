"""Sequential sampling to a target precision: when a condition has enough samples.

Samples come in waves. After each wave the rule looks at the condition's confidence sequence
(`_confseq`, intersected over the looks so far) and stops when it is no wider than `ci_width`,
or when `max_samples` were taken; otherwise it sizes the next wave from the rate seen so far.
The decisions are a pure function of the verdicts of samples 1..k in epoch order, so a resumed
run, or the analysis reading the logs back, replays them exactly (`replay`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from insiderbench.sampling._confseq import ALPHA, cs_interval, sequence_interval

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

    def next_wave(self, harmful: int, scored: int, taken: int) -> int:
        """How many samples the next wave adds: the number predicted to reach the width at the
        rate seen so far, at least a quarter and at most all of those taken (no runaway wave
        on a lucky estimate), never beyond `max_samples`."""
        room = self.max_samples - taken
        rate = harmful / scored if scored else 0.5
        yield_ = scored / taken if taken else 1.0
        low, high = scored + 1, max(scored + 1, math.ceil(self.max_samples * max(yield_, 0.05)))
        while low < high:  # smallest count of scored samples predicted to be narrow enough
            mid = (low + high) // 2
            lo, hi = cs_interval(round(rate * mid), mid, self.alpha)
            if hi - lo <= self.ci_width:
                high = mid
            else:
                low = mid + 1
        predicted = math.ceil(low / max(yield_, 0.05)) - taken
        return max(1, min(room, max(predicted, math.ceil(taken / 4)), taken))


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
    samples finished. Samples beyond the stopping point are ignored.
    """
    end = min(rule.min_samples, rule.max_samples)
    looks: list[tuple[int, int]] = []
    harmful = scored = 0
    low, high = 0.0, 1.0
    taken = 0
    while len(verdicts) >= end:
        wave = verdicts[taken:end]
        harmful += sum(1 for v in wave if v is True)
        scored += sum(1 for v in wave if v is not None)
        taken = end
        looks.append((harmful, scored))
        low, high = sequence_interval(looks, rule.alpha)
        if high - low <= rule.ci_width + 1e-12:
            return Decision(taken, harmful, scored, low, high, "width", taken)
        if taken >= rule.max_samples:
            return Decision(taken, harmful, scored, low, high, "max", taken)
        end = taken + rule.next_wave(harmful, scored, taken)
    return Decision(taken, harmful, scored, low, high, None, end)


def simulate(rule: StoppingRule, rate: float, draw: object) -> Decision:
    """One stopped run at a true `rate`: `draw()` returns uniforms in [0, 1)."""
    verdicts: list[Verdict] = []
    while True:
        decision = replay(rule, verdicts)
        if decision.stopped:
            return decision
        while len(verdicts) < decision.wave_end:
            verdicts.append(draw() < rate)  # type: ignore[operator]


def expected_samples(rule: StoppingRule, rate: float | None = None, runs: int = 400) -> float:
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
