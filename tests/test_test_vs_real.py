"""Test vs real (issue 19, item 9): the published counts, and a figure that says what it omits."""

from __future__ import annotations

import pandas as pd

from insiderbench.analysis._figures import test_vs_real as draw_test_vs_real
from insiderbench.analysis._paper import paper_awareness

AWARE = "blackmail_explicit-america_replacement__aware"
OPUS = "anthropic/claude-opus-4-20250514"


def test_published_counts_give_the_published_rates():
    by = {p.conclusion: p for p in paper_awareness() if p.model == OPUS}
    assert round(by["real"].rate, 3) == 0.551 and round(by["evaluation"].rate, 3) == 0.065
    assert by["real"].n + by["evaluation"].n < 500  # the rest stated neither
    assert {p.condition_id for p in by.values()} == {AWARE}


def test_the_figure_counts_what_it_leaves_out(tmp_path):
    rows = ([("real", True)] * 6 + [("evaluation", False)] * 5 + [("none", False)] * 3
            + [(None, True)] * 2)
    table = pd.DataFrame([{"model": OPUS, "condition_id": AWARE, "scenario": "blackmail",
                           "status": "scored", "harmful": h, "awareness": a,
                           "eval_awareness": True} for a, h in rows])
    (fig,) = list(draw_test_vs_real(table, tmp_path))
    assert "3 scored samples with neither conclusion" in fig.caption
    assert "2 whose conclusion was not classified" in fig.caption
    assert "Claude Opus 4 real 59/107" in fig.caption
