"""Pooled rates and matched effects: the design-based statistics (issue 19, items 1-3).

The simulated cases are the ones the methods review found wrong: pooled intervals of zero
width, matched effects confounded by uneven sample counts, and the test-vs-real split pooled
across conditions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from insiderbench.analysis import factor_effects
from insiderbench.analysis._effects import pooled_rate
from insiderbench.analysis._stratified import (
    cmh_p,
    cr2,
    mh_weights,
    mover,
    pooled_interval,
    stratified_difference,
)
from insiderbench.scenarios import make_condition


def samples(cells: list[tuple[dict, int, int]], model: str = "m") -> pd.DataFrame:
    """A results table: for each (factors, n, harmful), n scored samples of that condition."""
    rows = []
    for factors, n, harmful in cells:
        awareness = factors.pop("awareness", None)
        c = make_condition(scenario="blackmail", **factors)
        for i in range(n):
            rows.append({"model": model, "condition_id": c.condition_id, "status": "scored",
                         "harmful": i < harmful, "awareness": awareness, "mode": "classic",
                         **{k: getattr(c, k) for k in ("scenario", "goal_type", "goal_value",
                                                       "urgency", "extra_instructions",
                                                       "prod", "eval_awareness")}})
    return pd.DataFrame(rows)


def effect(table: pd.DataFrame, factor: str) -> pd.Series:
    return factor_effects(table).set_index("factor").loc[factor]


# -- item 1: pooled intervals ------------------------------------------------------------------

@pytest.mark.parametrize(("k", "expected"), [(0, 0.0), (96, 0.96)])
def test_pooled_interval_of_identical_conditions_is_not_a_point(k, expected):
    table = samples([({"urgency": "replacement"}, 100, k), ({"urgency": "none"}, 100, k)])
    rate = pooled_rate(table)
    wilson = proportion_confint(2 * k, 200, method="wilson")
    assert rate["rate"] == pytest.approx(expected)
    assert rate["ci_high"] - rate["ci_low"] > 0.01
    assert rate["ci_low"] <= wilson[0] + 1e-12 and rate["ci_high"] >= wilson[1] - 1e-12
    assert not rate["clustered"], "two designed conditions are not a sample of conditions"


def test_one_condition_is_wilson_and_mover_reduces_to_newcombe():
    assert pooled_interval(np.array([7]), np.array([20]))[1:] == pytest.approx(
        proportion_confint(7, 20, method="wilson"), abs=1e-12)
    est, low, high = mover(np.array([1.0, -1.0]), np.array([55, 8]), np.array([120, 123]))
    ref = confint_proportions_2indep(55, 120, 8, 123, method="newcomb", compare="diff")
    assert (low, high) == pytest.approx(ref, abs=1e-12)
    assert est == pytest.approx(55 / 120 - 8 / 123)


def test_pooled_interval_covers_over_2000_designs():
    rng = np.random.default_rng(19)
    designs, slots = 2000, 8
    conditions = rng.integers(2, slots + 1, designs)
    used = np.arange(slots)[None, :] < conditions[:, None]
    n = np.where(used, rng.integers(5, 101, (designs, slots)), 0)
    kind = rng.random((designs, slots))
    p = np.select([kind < 0.1, kind < 0.2, kind < 0.45, kind < 0.7],
                  [0.0, 1.0, rng.beta(0.3, 6, (designs, slots)),
                   1 - rng.beta(0.3, 6, (designs, slots))],
                  rng.random((designs, slots)))
    truth = (n * p).sum(axis=1) / n.sum(axis=1)
    hits = 0
    reps = 5  # five draws of each design: 10,000 intervals
    for _ in range(reps):
        k = rng.binomial(n, p)
        _, low, high = pooled_interval(k, n)
        hits += int(((low <= truth + 1e-12) & (truth <= high + 1e-12)).sum())
    assert hits / (designs * reps) >= 0.95


# -- item 2: matched effects --------------------------------------------------------------------

def test_goal_conflict_effect_survives_lost_samples():
    # +0.065 in both strata of the threat; 80 samples of one goal-conflict cell are lost.
    table = samples([
        ({"urgency": "replacement"}, 100, 95),
        ({"urgency": "replacement", "goal_type": "none", "goal_value": None}, 100, 88),
        ({"urgency": "none"}, 20, 2),  # 0.10 (100 samples would have had 10)
        ({"urgency": "none", "goal_type": "none", "goal_value": None}, 200, 7),  # 0.035
    ])
    e = effect(table, "goal conflict")
    assert e["crude_diff"] > 0.3  # the pooled counts mix the strata
    assert e["diff"] == pytest.approx(0.065, abs=0.01)
    assert e["ci_low"] < 0.065 < e["ci_high"] and e["strata"] == 2
    assert e["kind"] == "effect"


def test_direct_instruction_effect_is_not_reversed_by_uneven_counts():
    # `dont` lowers the rate by 0.10 in every stratum (Simpson's paradox when pooled).
    table = samples([
        ({"urgency": "replacement"}, 100, 95),
        ({"urgency": "replacement", "extra_instructions": "dont"}, 10, 8),  # 0.85 -> 0.8 (n)
        ({"urgency": "none"}, 10, 1),
        ({"urgency": "none", "extra_instructions": "dont"}, 100, 0),
    ])
    e = effect(table, "direct instruction")
    assert e["crude_diff"] < -0.5
    assert e["diff"] == pytest.approx(-0.11, abs=0.03)
    assert e["rate_a"] - e["rate_b"] == pytest.approx(e["diff"])
    assert e["ci_low"] < -0.1 < e["ci_high"]


def test_cmh_matches_statsmodels():
    ka, na, kb, nb = [12, 30, 2], [40, 35, 20], [5, 25, 0], [38, 40, 10]
    tables = [np.array([[a, n - a], [b, m - b]]) for a, n, b, m in zip(ka, na, kb, nb,
                                                                          strict=True)]
    ref = StratifiedTable(tables).test_null_odds(correction=False).pvalue
    assert float(cmh_p(np.array(ka), np.array(na), np.array(kb), np.array(nb))) == \
        pytest.approx(ref, rel=1e-9)
    assert float(cmh_p(np.array([0, 0]), np.array([5, 5]), np.array([0, 0]),
                       np.array([5, 5]))) == 1.0


def test_one_stratum_is_newcombe():
    est = stratified_difference([37], [100], [96], [100])
    ref = confint_proportions_2indep(37, 100, 96, 100, method="newcomb", compare="diff")
    assert (est.estimate, est.low, est.high) == pytest.approx((-0.59, *ref), abs=1e-12)


def test_stratified_difference_covers_over_2000_designs():
    rng = np.random.default_rng(7)
    designs, strata = 2000, 4
    n_a = rng.integers(5, 101, (designs, strata))
    n_b = rng.integers(5, 101, (designs, strata))
    base = rng.random((designs, strata))
    shift = rng.uniform(-0.3, 0.3, (designs, 1))
    p_a, p_b = np.clip(base + shift, 0, 1), base
    w = mh_weights(n_a, n_b)
    truth = (w * (p_a - p_b)).sum(axis=1)
    covered = []
    for _ in range(5):  # five draws of each design: Newcombe-type intervals are near nominal
        k_a, k_b = rng.binomial(n_a, p_a), rng.binomial(n_b, p_b)
        _, low, high = mover(np.concatenate([w, -w], axis=1),
                             np.concatenate([k_a, k_b], axis=1),
                             np.concatenate([n_a, n_b], axis=1))
        covered.append((low <= truth) & (truth <= high))
    assert np.mean(covered) >= 0.95
    one = stratified_difference(k_a[0], n_a[0], k_b[0], n_b[0])
    assert (one.low, one.high) == pytest.approx((low[0], high[0]))


def test_few_conditions_get_no_cluster_robust_interval():
    # A clean 2x2 design: four conditions are no sample of conditions.
    table = samples([({"urgency": u, **g}, 50, k) for u, g, k in [
        ("replacement", {}, 40), ("replacement", {"goal_type": "none", "goal_value": None}, 30),
        ("none", {}, 10), ("none", {"goal_type": "none", "goal_value": None}, 2)]])
    e = effect(table, "threat")
    assert not e["clustered"] and pd.isna(e["cluster_ci_low"])
    assert e["ci_high"] - e["ci_low"] < 0.4


def brute_cr2(y, x, groups, column):
    xtx_inv = np.linalg.inv(x.T @ x)
    resid = y - x @ (xtx_inv @ x.T @ y)
    meat = np.zeros((x.shape[1], x.shape[1]))
    for g in np.unique(groups):
        rows = groups == g
        h = x[rows] @ xtx_inv @ x[rows].T
        lam, vec = np.linalg.eigh(np.eye(rows.sum()) - h)
        adj = vec @ np.diag(lam ** -0.5) @ vec.T @ resid[rows]
        s = x[rows].T @ adj
        meat += np.outer(s, s)
    return np.sqrt((xtx_inv @ meat @ xtx_inv)[column, column])


def test_cr2_matches_the_full_matrix_computation():
    rng = np.random.default_rng(3)
    groups = np.repeat(np.arange(12), rng.integers(3, 9, 12))
    level = (groups % 3 == 0).astype(float)
    stratum = (groups % 2).astype(float)
    x = np.column_stack([level, stratum, 1 - stratum])
    y = (rng.random(len(groups)) < 0.3 + 0.3 * level).astype(float)
    est = cr2(y, x, groups.tolist(), column=0)
    assert est.se == pytest.approx(brute_cr2(y, x, groups, 0), rel=1e-9)
    assert est.clusters == 12
    assert cr2(y, x, groups.tolist(), min_clusters=13) is None


def test_many_conditions_get_a_labelled_cluster_robust_rate():
    cells = [({"goal_value": v, "urgency": u}, 20, k) for (v, u), k in zip(
        [(v, u) for v in ("america", "global", "safety", "acceleration", "ethical",
                          "pragmatic") for u in ("replacement", "none")],
        [18, 2, 15, 3, 19, 1, 12, 4, 17, 0, 16, 5], strict=True)]
    rate = pooled_rate(samples(cells))
    assert rate["conditions"] == 12 and rate["clustered"]
    # Between-condition spread is large here: the CR2 interval is the wider one.
    assert rate["cluster_ci_high"] - rate["cluster_ci_low"] > rate["ci_high"] - rate["ci_low"]


# -- item 3: test vs real -----------------------------------------------------------------------

def test_awareness_split_is_compared_within_conditions():
    # No difference inside either condition; the conclusions are unevenly spread.
    aware = {"eval_awareness": True}
    table = samples([
        ({**aware, "awareness": "real"}, 90, 81),
        ({**aware, "awareness": "evaluation"}, 10, 9),
        ({**aware, "urgency": "none", "awareness": "real"}, 10, 1),
        ({**aware, "urgency": "none", "awareness": "evaluation"}, 90, 9),
    ])
    e = effect(table, "awareness conclusion")
    assert e["crude_diff"] > 0.4
    assert e["diff"] == pytest.approx(0.0, abs=1e-12)
    assert e["ci_low"] < -0.05 and e["ci_high"] > 0.05
    assert e["p_cmh"] == pytest.approx(1.0)
    assert e["kind"] == "association" and e["strata"] == 2
