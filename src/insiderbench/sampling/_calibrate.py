"""The mixture's threshold calibrated to the run's finite looks.

Ville's inequality makes the mixture sequence (`_confseq`) valid at every sample count up to
infinity; a run looks only at a fixed grid of counts (`look_grid`: from min_samples to
max_samples), so a lower threshold keeps the same guarantee there. For a true rate p, the
probability that p is ever outside the interval at one of the grid's looks is computed exactly,
by dynamic programming over the binomial paths (the harmful count after each look); the
threshold is the smallest whose worst such probability over a fine grid of rates is at most
alpha. That holds for any rule that looks at some of the grid's counts and stops whenever it
likes, so the stopping rule, its wave sizes and a resumed run are all covered at once.

numpy is imported only when a threshold is computed (once per grid, then cached).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

# The threshold falls with the look's count: by SLOPE per e-fold from the first look. Less of
# the 5% is spent on the early looks, where only conditions near 0% or 100% can stop (and need
# little), more on the later ones, where conditions near 10%, 80% or 90% stop (about 5% fewer
# samples on the paper's grid than a flat threshold, in a model of it). The calibration holds
# for any slope.
SLOPE = -0.9

# Rates the worst case is taken over: a fine grid of (0, 1), and both sides of every end of
# every interval the looks can give, since the probability jumps up where a rate crosses one
# (its peaks sit there, between the grid's rates). The test checks a grid ten times finer.
CALIBRATION_RATES = 2000
_EPSILON = 1e-9
_BISECTION_STEPS = 24  # log threshold to within 2e-7, rounded up


def look_grid(min_samples: int, max_samples: int) -> tuple[int, ...]:
    """The scored-sample counts a run may look at: min_samples, then even steps of about a
    twentieth of max_samples, up to max_samples."""
    step = max(1, math.ceil(max_samples / 20))
    looks = [min(min_samples, max_samples)]
    while looks[-1] < max_samples:
        looks.append(min(max_samples, looks[-1] + step))
    return tuple(looks)


def threshold_at(looks: tuple[int, ...], base: float, n: int) -> float:
    """The log threshold at the look of n samples, `base` at the first look."""
    return base + SLOPE * math.log(n / looks[0])


def exclusion_probability(looks: tuple[int, ...], log_threshold: float, rates: Any,
                          prior: tuple[float, float]) -> Any:
    """For each rate p, the exact probability that p is outside the mixture interval (at
    log threshold `threshold_at(looks, log_threshold, n)` at the look of n) at some look of
    `looks`, with every sample scored."""
    import numpy as np

    p = np.asarray(rates, dtype=float)[:, None]
    top = looks[-1]
    mass = np.zeros((p.shape[0], top + 1))
    mass[:, 0] = 1.0  # probability of h harmful so far, p never excluded
    log_p, log_q = np.log(p), np.log1p(-p)
    a, b = prior
    before = 0
    for n in looks:
        step = n - before
        if step:
            j = np.arange(step + 1)
            log_choose = np.array([math.lgamma(step + 1) - math.lgamma(k + 1)
                                   - math.lgamma(step - k + 1) for k in j])
            pmf = np.exp(log_choose[None, :] + j[None, :] * log_p + (step - j)[None, :] * log_q)
            moved = np.zeros_like(mass)
            for k in range(step + 1):  # h so far was at most `before`
                moved[:, k:k + before + 1] += mass[:, :before + 1] * pmf[:, k:k + 1]
            mass = moved
        h = np.arange(n + 1)
        log_mixture = np.array([_lbeta(a + k, b + n - k) - _lbeta(a, b) for k in h])
        log_lik = np.where(h > 0, h * log_p, 0.0) + np.where(h < n, (n - h) * log_q, 0.0)
        inside = (log_mixture[None, :] - log_lik) < threshold_at(looks, log_threshold, n)
        mass[:, :n + 1] *= inside
        before = n
    return 1.0 - mass.sum(axis=1)


@lru_cache(maxsize=64)
def calibrated_threshold(looks: tuple[int, ...], alpha: float,
                         prior: tuple[float, float]) -> float:
    """The smallest log threshold at the first look (to bisection precision, rounded up) at
    which no rate is ever excluded at the looks with probability above alpha. Never above the
    one that keeps every look's at least Ville's log(1/alpha), which holds at every count. The
    default rule's is stored (a test computes it again), so a command does not spend a second
    on it."""
    known = _KNOWN.get((looks, alpha, prior))
    return known if known is not None else compute_threshold(looks, alpha, prior)


def compute_threshold(looks: tuple[int, ...], alpha: float,
                      prior: tuple[float, float]) -> float:
    rates = [(i + 0.5) / CALIBRATION_RATES for i in range(CALIBRATION_RATES)]
    low, high = 0.0, math.log(1 / alpha) - SLOPE * math.log(looks[-1] / looks[0])
    for _ in range(_BISECTION_STEPS):
        mid = (low + high) / 2
        at = [*rates, *_interval_ends(looks, mid, prior)]
        if float(exclusion_probability(looks, mid, at, prior).max()) <= alpha:
            high = mid
        else:
            low = mid
    return high


def _interval_ends(looks: tuple[int, ...], log_threshold: float,
                   prior: tuple[float, float]) -> list[float]:
    """Rates just inside and just outside each end of the interval at each (h, n) of the
    looks: bisection on all of them at once."""
    import numpy as np

    pairs = [(h, n) for n in looks for h in range(n + 1)]
    h = np.array([x for x, _ in pairs], dtype=float)
    n = np.array([y for _, y in pairs], dtype=float)
    a, b = prior
    level = np.array([_lbeta(a + x, b + y - x) - _lbeta(a, b)
                      - threshold_at(looks, log_threshold, y) for x, y in pairs])
    mle = h / n

    def above(p: Any) -> Any:  # p inside the interval
        with np.errstate(divide="ignore", invalid="ignore"):
            ll = np.where(h > 0, h * np.log(p), 0.0) + np.where(h < n, (n - h) * np.log1p(-p),
                                                                 0.0)
        return ll > level

    ends = []
    for outside in (0.0, 1.0):
        inside_p, outside_p = mle.copy(), np.full_like(mle, outside)
        for _ in range(60):
            mid = (inside_p + outside_p) / 2
            ok = above(mid)
            inside_p, outside_p = np.where(ok, mid, inside_p), np.where(ok, outside_p, mid)
        ends.append(outside_p)
    found = np.concatenate(ends)
    found = found[(found > 0) & (found < 1)]
    near = np.concatenate([found - _EPSILON, found + _EPSILON])
    return [float(x) for x in np.unique(near[(near > 0) & (near < 1)])]


# calibrated_threshold of the default rule (10 to 100 samples, alpha 0.05, Jeffreys' prior).
_KNOWN: dict[tuple[tuple[int, ...], float, tuple[float, float]], float] = {
    (look_grid(10, 100), 0.05, (0.5, 0.5)): 2.887035709747283,
}


def _lbeta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
