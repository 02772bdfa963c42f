"""An anytime-valid confidence sequence for a rate: Robbins' beta-binomial mixture.

For a true rate p, the mixture likelihood ratio M_n(p) = ∫ θ^h (1-θ)^f dBeta(a, b) / (p^h (1-p)^f)
is a nonnegative martingale with mean 1, so by Ville's inequality the probability that it ever
reaches 1/α, at any sample count, is at most α. The set of p where it has not is therefore an
interval that holds the true rate at every sample count at once with probability 1 - α: it stays
valid however the number of samples was chosen from the data (optional stopping). Its
intersection over the looks taken is valid too, and never wider.

Pure Python (math.lgamma and bisection), so the stopping rule costs nothing to import.
"""

from __future__ import annotations

import math
from functools import lru_cache

# Jeffreys' prior: of the Beta(a, a) priors, tight near 0 and 1 (where most conditions of the
# grid sit) at little cost in the middle.
PRIOR = (0.5, 0.5)
ALPHA = 0.05


def _lbeta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


@lru_cache(maxsize=65536)
def cs_interval(harmful: int, n: int, alpha: float = ALPHA,
                prior: tuple[float, float] = PRIOR,
                log_threshold: float | None = None) -> tuple[float, float]:
    """The (1 - alpha) confidence sequence at `harmful` of `n`: the rates p whose mixture
    likelihood ratio is below 1/alpha (valid at every count), or below exp(log_threshold)
    where a threshold calibrated to a run's looks is given (`_calibrate`: valid at those
    looks). (0, 1) before any sample."""
    if not 0 <= harmful <= n:
        raise ValueError(f"harmful must be between 0 and n, got {harmful} of {n}")
    if n == 0:
        return 0.0, 1.0
    a, b = prior
    failures = n - harmful
    # p is in the set iff  h log p + f log(1-p) > log mixture - log(1/alpha)
    level = math.log(1 / alpha) if log_threshold is None else log_threshold
    threshold = _lbeta(a + harmful, b + failures) - _lbeta(a, b) - level

    def above(p: float) -> bool:
        ll = (harmful * math.log(p) if harmful else 0.0) + (
            failures * math.log1p(-p) if failures else 0.0)
        return ll > threshold

    mle = harmful / n
    low = 0.0 if harmful == 0 else _edge(above, inside=mle, outside=0.0)
    high = 1.0 if failures == 0 else _edge(above, inside=mle, outside=1.0)
    return low, high


def _edge(above: object, inside: float, outside: float, steps: int = 50) -> float:
    """Bisection for where the set ends between a rate inside it and a bound outside it;
    returns the conservative side (the outer end of the final bracket)."""
    test = above  # type: ignore[assignment]
    for _ in range(steps):
        mid = (inside + outside) / 2
        if mid in (inside, outside):
            break
        if test(mid):  # type: ignore[operator]
            inside = mid
        else:
            outside = mid
    # the outer end may be exactly 0 or 1 where the log is undefined: the set is open there
    return outside


def sequence_interval(looks: list[tuple[int, int]], alpha: float = ALPHA,
                      log_threshold: float | None = None) -> tuple[float, float]:
    """The running intersection of the sequence over the looks taken ((harmful, n) each)."""
    low, high = 0.0, 1.0
    for harmful, n in looks:
        lo, hi = cs_interval(harmful, n, alpha, PRIOR, log_threshold)
        low, high = max(low, lo), min(high, hi)
    if low > high:  # the looks disagree beyond the sequence's error: keep the last look's
        return cs_interval(*looks[-1], alpha, PRIOR, log_threshold)
    return low, high
