"""Interval estimates and tests for harmful-action rates and their differences."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import binomtest, fisher_exact, t


def wilson_interval(harmful: int, n: int, confidence: float = 0.95) -> tuple[float, float] | None:
    """Wilson score interval for harmful/n; None when nothing was scored."""
    if n == 0:
        return None
    ci = binomtest(harmful, n).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def newcombe_interval(
    k1: int, n1: int, k2: int, n2: int, confidence: float = 0.95
) -> tuple[float, float, float] | None:
    """Difference p1 - p2 with Newcombe's hybrid score interval (his method 10).

    Built from the two Wilson intervals, so it stays inside [-1, 1] and behaves at rates of
    0 and 1, where the Wald interval collapses to a point. None when a side has no samples.
    """
    a = wilson_interval(k1, n1, confidence)
    b = wilson_interval(k2, n2, confidence)
    if a is None or b is None:
        return None
    p1, p2 = k1 / n1, k2 / n2
    diff = p1 - p2
    low = diff - math.sqrt((p1 - a[0]) ** 2 + (b[1] - p2) ** 2)
    high = diff + math.sqrt((a[1] - p1) ** 2 + (p2 - b[0]) ** 2)
    return diff, low, high


def fisher_p(k1: int, n1: int, k2: int, n2: int) -> float | None:
    """Two-sided Fisher exact test of equal rates; None when a side has no samples."""
    if n1 == 0 or n2 == 0:
        return None
    return float(fisher_exact([[k1, n1 - k1], [k2, n2 - k2]]).pvalue)


@dataclass(frozen=True)
class ClusteredEstimate:
    """A rate or difference of rates with a standard error clustered by condition."""

    estimate: float
    se: float
    low: float
    high: float
    clusters: int


def _sandwich(
    y: np.ndarray, x: np.ndarray, groups: Sequence[object], confidence: float
) -> tuple[np.ndarray, np.ndarray, int] | None:
    """OLS coefficients and their CR1 cluster-robust covariance (as statsmodels computes it)."""
    codes = {g: i for i, g in enumerate(dict.fromkeys(groups))}
    g_idx = np.array([codes[g] for g in groups])
    n_clusters = len(codes)
    n, k = x.shape
    if n_clusters < 2 or n <= k:
        return None
    xtx_inv = np.linalg.pinv(x.T @ x)
    beta = xtx_inv @ x.T @ y
    resid = y - x @ beta
    scores = np.zeros((n_clusters, k))
    np.add.at(scores, g_idx, x * resid[:, None])
    meat = scores.T @ scores
    correction = n_clusters / (n_clusters - 1) * (n - 1) / (n - k)
    return beta, correction * xtx_inv @ meat @ xtx_inv, n_clusters


def _clustered(beta: float, var: float, clusters: int, confidence: float,
               bounds: tuple[float, float]) -> ClusteredEstimate:
    se = math.sqrt(max(var, 0.0))
    # t with G-1 degrees of freedom: with few clusters the normal quantile is too optimistic.
    q = float(t.ppf(0.5 + confidence / 2, clusters - 1))
    return ClusteredEstimate(
        beta, se, max(bounds[0], beta - q * se), min(bounds[1], beta + q * se), clusters
    )


def clustered_rate(
    harmful: Sequence[bool | int], groups: Sequence[object], confidence: float = 0.95
) -> ClusteredEstimate | None:
    """A rate pooled over several conditions, its standard error clustered by condition.

    Samples of one condition share a prompt, so they are not independent draws of the pooled
    population; treating them as such understates the uncertainty. None below two clusters.
    """
    y = np.asarray(harmful, dtype=float)
    out = _sandwich(y, np.ones((len(y), 1)), groups, confidence)
    if out is None:
        return None
    beta, cov, clusters = out
    return _clustered(float(beta[0]), float(cov[0, 0]), clusters, confidence, (0.0, 1.0))


def clustered_difference(
    harmful: Sequence[bool | int],
    level: Sequence[bool | int],
    groups: Sequence[object],
    confidence: float = 0.95,
) -> ClusteredEstimate | None:
    """rate(level) - rate(not level) from a linear probability model, clustered by condition.

    None when there are fewer than two clusters, or when each level is a single condition
    (the clustered variance is then zero by construction, not by evidence).
    """
    y = np.asarray(harmful, dtype=float)
    x1 = np.asarray(level, dtype=float)
    if x1.min(initial=1.0) == x1.max(initial=0.0):
        return None
    levels_of: dict[object, set[float]] = {}
    for g, x in zip(groups, x1, strict=True):
        levels_of.setdefault(g, set()).add(float(x))
    nested = all(len(v) == 1 for v in levels_of.values())
    per_level = {lv: sum(1 for v in levels_of.values() if lv in v) for lv in (0.0, 1.0)}
    if nested and min(per_level.values()) < 2:
        return None
    out = _sandwich(y, np.column_stack([np.ones_like(x1), x1]), groups, confidence)
    if out is None:
        return None
    beta, cov, clusters = out
    return _clustered(float(beta[1]), float(cov[1, 1]), clusters, confidence, (-1.0, 1.0))
