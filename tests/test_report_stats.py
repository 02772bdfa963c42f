"""The report's statistics against independent reference computations (statsmodels, scipy)."""

import numpy as np
import pytest
import statsmodels.api as sm
from scipy.stats import hypergeom
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from insiderbench.analysis import (
    clustered_difference,
    clustered_rate,
    fisher_p,
    newcombe_interval,
    wilson_interval,
)

CASES = [(96, 100, 37, 100), (0, 10, 0, 12), (10, 10, 0, 10), (3, 7, 5, 9), (55, 120, 8, 123),
         (1, 100, 0, 100)]


@pytest.mark.parametrize(("k", "n"), [(0, 5), (5, 5), (96, 100), (15, 100), (1, 3)])
def test_wilson_matches_statsmodels(k, n):
    low, high = wilson_interval(k, n)
    ref = proportion_confint(k, n, alpha=0.05, method="wilson")
    assert (low, high) == pytest.approx(ref, abs=1e-12)


@pytest.mark.parametrize(("k1", "n1", "k2", "n2"), CASES)
def test_newcombe_matches_statsmodels(k1, n1, k2, n2):
    diff, low, high = newcombe_interval(k1, n1, k2, n2)
    ref = confint_proportions_2indep(k1, n1, k2, n2, method="newcomb", compare="diff")
    assert diff == pytest.approx(k1 / n1 - k2 / n2)
    assert (low, high) == pytest.approx(ref, abs=1e-12)
    assert -1 <= low <= diff <= high <= 1


def fisher_reference(k1, n1, k2, n2):
    """Two-sided Fisher p: the probability of every table as unlikely as the observed one."""
    total, harmful = n1 + n2, k1 + k2
    dist = hypergeom(total, harmful, n1)
    observed = dist.pmf(k1)
    support = range(max(0, harmful - n2), min(harmful, n1) + 1)
    return sum(dist.pmf(x) for x in support if dist.pmf(x) <= observed * (1 + 1e-7))


@pytest.mark.parametrize(("k1", "n1", "k2", "n2"), CASES)
def test_fisher_matches_the_hypergeometric_sum(k1, n1, k2, n2):
    assert fisher_p(k1, n1, k2, n2) == pytest.approx(fisher_reference(k1, n1, k2, n2), rel=1e-9)


def test_no_samples_no_numbers():
    assert newcombe_interval(0, 0, 1, 2) is None
    assert fisher_p(1, 2, 0, 0) is None


def clustered_data(seed: int, clusters: int = 9, per: int = 20):
    rng = np.random.default_rng(seed)
    groups = np.repeat([f"c{i}" for i in range(clusters)], per)
    level = np.repeat(np.arange(clusters) % 2, per).astype(float)
    shift = np.repeat(rng.normal(0, 0.15, clusters), per)
    harmful = (rng.random(clusters * per) < np.clip(0.3 + 0.3 * level + shift, 0, 1)).astype(int)
    return harmful, level, groups


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_clustered_difference_matches_statsmodels(seed):
    harmful, level, groups = clustered_data(seed)
    est = clustered_difference(harmful.tolist(), level.tolist(), groups.tolist())
    fit = sm.OLS(harmful.astype(float), sm.add_constant(level)).fit(
        cov_type="cluster", cov_kwds={"groups": np.unique(groups, return_inverse=True)[1]},
        use_t=True)
    assert est.estimate == pytest.approx(fit.params[1], abs=1e-12)
    assert est.se == pytest.approx(fit.bse[1], rel=1e-9)
    assert (est.low, est.high) == pytest.approx(tuple(fit.conf_int()[1]), rel=1e-9)
    assert est.clusters == 9


def test_clustered_rate_matches_statsmodels():
    harmful, _, groups = clustered_data(4)
    est = clustered_rate(harmful.tolist(), groups.tolist())
    fit = sm.OLS(harmful.astype(float), np.ones((len(harmful), 1))).fit(
        cov_type="cluster", cov_kwds={"groups": np.unique(groups, return_inverse=True)[1]},
        use_t=True)
    assert est.estimate == pytest.approx(harmful.mean())
    assert est.se == pytest.approx(fit.bse[0], rel=1e-9)
    assert (est.low, est.high) == pytest.approx(tuple(fit.conf_int()[0]), rel=1e-9)


def test_clustering_widens_the_interval_when_conditions_differ():
    # Conditions with very different rates: the pooled samples are far from independent.
    groups = [g for g in "abcdef" for _ in range(50)]
    harmful = [1 if g in "ab" else 0 for g in groups]
    est = clustered_rate(harmful, groups)
    naive = wilson_interval(sum(harmful), len(harmful))
    assert est.high - est.low > 3 * (naive[1] - naive[0])


def test_clustered_difference_needs_clusters():
    # One condition per level: the clustered variance would be zero by construction.
    assert clustered_difference([1, 0, 1, 0], [1, 1, 0, 0], ["a", "a", "b", "b"]) is None
    assert clustered_rate([1, 0], ["a", "a"]) is None
    # A split within conditions (the model's own conclusion) clusters fine.
    est = clustered_difference([1, 1, 0, 0, 1, 0, 1, 0], [1, 1, 0, 0, 1, 0, 1, 0],
                               ["a", "a", "a", "a", "b", "b", "b", "b"])
    assert est is not None and est.estimate == pytest.approx(1.0)
