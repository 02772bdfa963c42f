"""The confidence sequence and the stopping rule: the closed form agrees with the mixture
computed by numerical integration, intervals cover the true rate under the stopping rule, and
the decisions are a pure function of the verdicts."""

from __future__ import annotations

import math
import random

import pytest
from scipy import integrate, stats

from insiderbench.sampling import StoppingRule, cs_interval, replay, simulate


def mixture_ratio(p: float, harmful: int, n: int) -> float:
    """M_n(p) by numerical integration over Jeffreys' prior (independent of the closed form)."""
    prior = stats.beta(0.5, 0.5)

    def integrand(t: float) -> float:
        return math.exp(harmful * math.log(t) + (n - harmful) * math.log1p(-t)) * prior.pdf(t)

    mixture, _ = integrate.quad(integrand, 0, 1, points=[harmful / n], limit=200)
    return mixture / (p ** harmful * (1 - p) ** (n - harmful))


@pytest.mark.parametrize(("harmful", "n"), [(0, 10), (3, 10), (12, 40), (50, 100), (97, 100)])
def test_interval_ends_where_the_mixture_reaches_one_over_alpha(harmful, n):
    low, high = cs_interval(harmful, n)
    for end in (low, high):
        if end in (0.0, 1.0):
            continue
        assert mixture_ratio(end, harmful, n) == pytest.approx(20.0, rel=1e-4)
    inside = (low + high) / 2
    assert mixture_ratio(inside, harmful, n) < 20.0


def test_the_sequence_is_wider_than_a_fixed_size_interval():
    low, high = cs_interval(50, 100)
    assert 0.30 < high - low < 0.34  # Wilson's at 50 of 100 is 0.19


@pytest.mark.parametrize("rate", [0.02, 0.3, 0.5, 0.9])
def test_coverage_under_the_stopping_rule_is_at_least_95_percent(rate):
    rule = StoppingRule(ci_width=0.2, min_samples=10, max_samples=100)
    draw = random.Random(f"coverage-{rate}").random
    runs = [simulate(rule, rate, draw) for _ in range(2000)]
    covered = sum(d.ci_low <= rate <= d.ci_high for d in runs) / len(runs)
    assert covered >= 0.95, covered
    for d in runs:
        assert d.stopped and 10 <= d.taken <= 100
        assert d.reason == "max" or d.ci_high - d.ci_low <= 0.2 + 1e-9


def test_rates_near_zero_stop_early_and_rates_near_half_run_to_max():
    rule = StoppingRule(ci_width=0.2)
    assert replay(rule, [False] * 100).taken < 40
    assert replay(rule, [False] * 100).reason == "width"
    half = [i % 2 == 0 for i in range(100)]
    assert (replay(rule, half).reason, replay(rule, half).taken) == ("max", 100)


def test_decisions_use_whole_waves_only():
    rule = StoppingRule(ci_width=0.2)
    first = replay(rule, [False] * 9)  # the first wave is not complete
    assert not first.stopped and first.wave_end == 10 and first.taken == 0
    after = replay(rule, [False] * 10)
    assert not after.stopped and after.wave_end > 10
    # more verdicts than the wave under way change nothing about the waves decided
    assert replay(rule, [False] * (after.wave_end - 1)).wave_end == after.wave_end


def test_unscored_samples_are_taken_but_not_counted():
    rule = StoppingRule(ci_width=0.2, min_samples=10, max_samples=20)
    d = replay(rule, [None] * 20)
    assert (d.taken, d.scored, d.reason) == (20, 0, "max")
    assert (d.ci_low, d.ci_high) == (0.0, 1.0)


def test_bad_rules_are_refused():
    with pytest.raises(ValueError):
        StoppingRule(ci_width=0.0)
    with pytest.raises(ValueError):
        StoppingRule(ci_width=0.2, min_samples=20, max_samples=10)
