"""Design-based statistics: rates pooled over conditions, and effects matched within strata.

Samples of one condition are independent draws (temperature 1, a seed per sample); the
conditions themselves are designed, not drawn from a population. So the uncertainty of a rate
pooled over conditions is the sum of each condition's binomial uncertainty (the stratified
variance), never the spread between conditions; and an effect is estimated inside each stratum
of the other factors and then combined (Mantel-Haenszel), so that uneven sample counts (errors,
unscored samples) cannot mix strata into the contrast (Simpson's paradox).

Every function takes counts as arrays and reduces over the last axis, so a simulation can
evaluate thousands of designs in one call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2, norm, t

from insiderbench.analysis._stats import ClusteredEstimate

# Below this many conditions a cluster-robust interval has too few clusters to be trusted.
MIN_CLUSTERS = 10


def wilson_limits(
    harmful: np.ndarray, n: np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rate and Wilson limits, element-wise. A cell without samples has rate 0 and limits 0, 1."""
    k, n = np.asarray(harmful, dtype=float), np.asarray(n, dtype=float)
    z = float(norm.ppf(0.5 + confidence / 2))
    some = n > 0
    safe = np.where(some, n, 1.0)
    p = np.where(some, k / safe, 0.0)
    denom = 1 + z * z / safe
    centre = (p + z * z / (2 * safe)) / denom
    half = z * np.sqrt(p * (1 - p) / safe + z * z / (4 * safe * safe)) / denom
    low = np.where(some, np.clip(centre - half, 0.0, 1.0), 0.0)
    high = np.where(some, np.clip(centre + half, 0.0, 1.0), 1.0)
    return p, low, high


def mover(
    coef: np.ndarray, harmful: np.ndarray, n: np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """sum(coef * rate) with MOVER limits built from each rate's Wilson limits.

    The method of variance estimates recovery (Zou and Donner 2008): each rate contributes
    the distance to its own Wilson limit on the side the combination moves, so the interval
    inherits Wilson's behaviour at rates of 0 and 1. With one rate it is Wilson's interval; with
    two and coefficients 1, -1 it is Newcombe's hybrid score interval. Cells with coefficient 0
    (no samples) contribute nothing.
    """
    c = np.asarray(coef, dtype=float)
    p, lo, hi = wilson_limits(harmful, n, confidence)
    est = (c * p).sum(axis=-1)
    down = c * np.where(c >= 0, p - lo, hi - p)
    up = c * np.where(c >= 0, hi - p, p - lo)
    return (est, est - np.sqrt((down**2).sum(axis=-1)), est + np.sqrt((up**2).sum(axis=-1)))


def pooled_interval(
    harmful: np.ndarray, n: np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A rate pooled over conditions (harmful/n per condition on the last axis): the overall
    rate, and the wider of the stratified MOVER interval and Wilson's on the pooled counts.

    Weights are the conditions' shares of the samples, so the rate is total harmful over
    total n. The stratified interval alone can be narrower than Wilson's (it credits the design
    for differences between conditions); we never report less than Wilson's.
    """
    k, n = np.asarray(harmful, dtype=float), np.asarray(n, dtype=float)
    total = n.sum(axis=-1, keepdims=True)
    weights = np.divide(n, total, out=np.zeros_like(n), where=total > 0)
    est, low, high = mover(weights, k, n, confidence)
    _, w_low, w_high = wilson_limits(k.sum(axis=-1), n.sum(axis=-1), confidence)
    return est, np.minimum(low, w_low), np.maximum(high, w_high)


@dataclass(frozen=True)
class StratifiedDifference:
    """rate(a) - rate(b) within strata, combined with Mantel-Haenszel weights."""

    estimate: float
    low: float
    high: float
    rate_a: float  # the two sides' rates under the same weights: estimate = rate_a - rate_b
    rate_b: float
    p_cmh: float
    strata: int  # strata holding both sides


def mh_weights(n_a: np.ndarray, n_b: np.ndarray) -> np.ndarray:
    """Mantel-Haenszel risk-difference weights n_a n_b / (n_a + n_b), normalised to sum 1."""
    n_a, n_b = np.asarray(n_a, dtype=float), np.asarray(n_b, dtype=float)
    total = n_a + n_b
    w = np.divide(n_a * n_b, total, out=np.zeros_like(total), where=total > 0)
    s = w.sum(axis=-1, keepdims=True)
    return np.divide(w, s, out=np.zeros_like(w), where=s > 0)


def cmh_p(k_a: np.ndarray, n_a: np.ndarray, k_b: np.ndarray, n_b: np.ndarray) -> np.ndarray:
    """Cochran-Mantel-Haenszel test of no difference in any stratum (no continuity correction).

    1.0 when no stratum varies (all harmful or none): nothing speaks against equal rates.
    """
    k_a, n_a, k_b, n_b = (np.asarray(v, dtype=float) for v in (k_a, n_a, k_b, n_b))
    total = n_a + n_b
    cases = k_a + k_b
    ok = total > 1
    safe = np.where(ok, total, 2.0)
    expected = np.where(ok, n_a * cases / safe, k_a)
    var = np.where(ok, n_a * n_b * cases * (safe - cases) / (safe**2 * (safe - 1)), 0.0)
    num, den = (k_a - expected).sum(axis=-1), var.sum(axis=-1)
    stat = np.divide(num**2, den, out=np.zeros_like(den), where=den > 0)
    return np.where(den > 0, chi2.sf(stat, 1), 1.0)


def stratified_difference(
    k_a: Sequence[int], n_a: Sequence[int], k_b: Sequence[int], n_b: Sequence[int],
    confidence: float = 0.95,
) -> StratifiedDifference | None:
    """The difference of rates estimated per stratum and combined with Mantel-Haenszel
    weights; MOVER interval from the Wilson limits, CMH test. None when no stratum has both
    sides. One stratum gives Newcombe's interval on that stratum's counts."""
    ka, na, kb, nb = (np.asarray(v, dtype=float) for v in (k_a, n_a, k_b, n_b))
    both = (na > 0) & (nb > 0)
    if not both.any():
        return None
    ka, na, kb, nb = ka[both], na[both], kb[both], nb[both]
    v = mh_weights(na, nb)
    est, low, high = mover(np.concatenate([v, -v]), np.concatenate([ka, kb]),
                           np.concatenate([na, nb]), confidence)
    return StratifiedDifference(
        float(est), float(max(low, -1.0)), float(min(high, 1.0)),
        float((v * ka / na).sum()), float((v * kb / nb).sum()),
        float(cmh_p(ka, na, kb, nb)), int(both.sum()))


def cr2(
    y: np.ndarray, x: np.ndarray, groups: Sequence[object], column: int = 0,
    confidence: float = 0.95, min_clusters: int = MIN_CLUSTERS,
    bounds: tuple[float, float] = (-1.0, 1.0),
) -> ClusteredEstimate | None:
    """One OLS coefficient with the CR2 (Bell-McCaffrey) cluster-robust variance, t(G-1).

    For conditions taken as a sample of a larger population of conditions. Each cluster's
    residuals are scaled by (I - H_gg)^(-1/2); H_gg has rank at most the number of columns, so
    the square root is taken on that small subspace. None below `min_clusters` clusters.
    """
    y, x = np.asarray(y, dtype=float), np.asarray(x, dtype=float)
    codes = {g: i for i, g in enumerate(dict.fromkeys(groups))}
    g_idx = np.array([codes[g] for g in groups])
    n_clusters = len(codes)
    if n_clusters < max(2, min_clusters):
        return None
    xtx_inv = np.linalg.pinv(x.T @ x)
    beta = xtx_inv @ x.T @ y
    resid = y - x @ beta
    meat = np.zeros((x.shape[1], x.shape[1]))
    for g in range(n_clusters):
        rows = g_idx == g
        xg, eg = x[rows], resid[rows]
        q, r = np.linalg.qr(xg)
        lam, vec = np.linalg.eigh(r @ xtx_inv @ r.T)
        basis = q @ vec
        room = 1.0 - lam
        scale = np.where(room > 1e-10, 1.0 / np.sqrt(np.maximum(room, 1e-10)) - 1.0, 0.0)
        adjusted = eg + basis @ (scale * (basis.T @ eg))
        score = xg.T @ adjusted
        meat += np.outer(score, score)
    var = float((xtx_inv @ meat @ xtx_inv)[column, column])
    se = float(np.sqrt(max(var, 0.0)))
    est = float(beta[column])
    q_t = float(t.ppf(0.5 + confidence / 2, n_clusters - 1))
    return ClusteredEstimate(est, se, max(bounds[0], est - q_t * se),
                             min(bounds[1], est + q_t * se), n_clusters)
