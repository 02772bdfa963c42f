"""The mixture's threshold calibrated to the run's looks: the exclusion probability computed
by dynamic programming agrees with brute-force enumeration, the calibrated threshold holds
every rate of a grid finer than the one it was calibrated on to at most 5%, it is tight (a
little lower fails), and the stored default is what the calibration computes."""

from __future__ import annotations

import itertools
import math

import pytest

from insiderbench.sampling import StoppingRule, cs_interval
from insiderbench.sampling._calibrate import (
    _KNOWN,
    compute_threshold,
    exclusion_probability,
    look_grid,
    threshold_at,
)
from insiderbench.sampling._confseq import PRIOR


def brute_force(looks: tuple[int, ...], log_threshold: float, p: float) -> float:
    """Every sequence of verdicts, weighted by its probability: excluded at some look?"""
    total = 0.0
    for seq in itertools.product((0, 1), repeat=looks[-1]):
        weight = math.prod(p if v else 1 - p for v in seq)
        for n in looks:
            low, high = cs_interval(sum(seq[:n]), n, 0.05, PRIOR,
                                    threshold_at(looks, log_threshold, n))
            if not low <= p <= high:
                total += weight
                break
    return total


@pytest.mark.parametrize("p", [0.03, 0.2, 0.5, 0.77])
def test_the_dynamic_programme_agrees_with_enumerating_every_path(p):
    looks = (3, 5, 8, 11)
    for log_threshold in (0.5, 1.5, 2.5):
        (dp,) = exclusion_probability(looks, log_threshold, [p], PRIOR)
        # cs_interval's ends come from bisection: a hair's difference at the boundary only
        assert dp == pytest.approx(brute_force(looks, log_threshold, p), abs=1e-6)


def test_the_default_rules_threshold_holds_every_rate_to_five_percent():
    looks = look_grid(10, 100)
    assert looks == (10, *range(15, 101, 5))
    stored = _KNOWN[(looks, 0.05, PRIOR)]
    assert stored == pytest.approx(compute_threshold(looks, 0.05, PRIOR), abs=1e-9)
    assert StoppingRule(0.2).log_threshold == stored
    # tighter than Ville's (log 20, at every count) from the second look on
    assert threshold_at(looks, stored, 15) < math.log(20)
    # A grid of rates finer than the calibration's (2,000) and offset from it.
    rates = [(i + 0.3) / 20011 for i in range(20011)]
    worst = exclusion_probability(looks, stored, rates, PRIOR).max()
    assert 0.045 < worst <= 0.05
    # Tight: a threshold a little lower lets some rate be excluded more than 5% of the time.
    assert exclusion_probability(looks, stored - 0.02, rates, PRIOR).max() > 0.05


@pytest.mark.parametrize(("low", "high"), [(6, 24), (5, 60)])
def test_other_rules_are_calibrated_on_the_fly(low, high):
    rule = StoppingRule(0.3, low, high)
    assert rule.looks[0] == low and rule.looks[-1] == high
    rates = [(i + 0.7) / 5003 for i in range(5003)]
    assert exclusion_probability(rule.looks, rule.log_threshold, rates, PRIOR).max() <= 0.05
