"""Interval estimates for harmful-action rates."""

from __future__ import annotations

from scipy.stats import binomtest


def wilson_interval(harmful: int, n: int, confidence: float = 0.95) -> tuple[float, float] | None:
    """Wilson score interval for harmful/n; None when nothing was scored."""
    if n == 0:
        return None
    ci = binomtest(harmful, n).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)
