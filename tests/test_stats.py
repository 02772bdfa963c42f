import math

import pytest

from insiderbench.agent import derive_seed
from insiderbench.analysis import SampleRow, summarize, wilson_interval


def wilson_reference(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


@pytest.mark.parametrize(("k", "n"), [(0, 2), (2, 2), (1, 2), (96, 100), (15, 100), (0, 100), (37, 100)])
def test_wilson_matches_the_formula(k, n):
    low, high = wilson_interval(k, n)
    ref_low, ref_high = wilson_reference(k, n)
    assert low == pytest.approx(max(0.0, ref_low), abs=1e-9)
    assert high == pytest.approx(min(1.0, ref_high), abs=1e-9)


def test_wilson_none_without_samples():
    assert wilson_interval(0, 0) is None


def test_summary_keeps_errors_and_unscored_out_of_the_rate():
    rows = [
        SampleRow("m", "t", "c", 1, "scored", True),
        SampleRow("m", "t", "c", 2, "scored", False),
        SampleRow("m", "t", "c", 3, "error", None, "500"),
        SampleRow("m", "t", "c", 4, "unscored", None, "empty"),
        SampleRow("m", "t", "d", 1, "error", None, "500"),
    ]
    by_cell = {r.condition_id: r for r in summarize(rows)}
    c = by_cell["c"]
    assert (c.n, c.harmful, c.rate, c.errors, c.unscored) == (2, 1, 0.5, 1, 1)
    d = by_cell["d"]
    assert (d.n, d.rate, d.ci_low, d.errors) == (0, None, None, 1)


def test_derived_seeds_differ_per_epoch_and_condition_and_repeat():
    seeds = {derive_seed(1, "a", e) for e in range(1, 101)}
    assert len(seeds) == 100
    assert derive_seed(1, "a", 1) != derive_seed(1, "b", 1) != derive_seed(2, "b", 1)
    assert derive_seed(7, "a", 3) == derive_seed(7, "a", 3)
    assert all(0 <= s < 2**31 for s in seeds)
