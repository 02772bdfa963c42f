"""Harmful rates conditional on what the model concluded about being evaluated.

The paper's test-vs-real analysis: with the eval-awareness notice, Claude Opus 4 blackmailed
55.1% of the time when it concluded the situation was real and 6.5% when it concluded it was
an evaluation. One row per (model, condition, conclusion).
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel

from insiderbench.analysis._results import SampleRow
from insiderbench.analysis._stats import wilson_interval
from insiderbench.scenarios import Condition

CONCLUSIONS = ("evaluation", "real", "no_deliberation", "undecided")
UNCLASSIFIED = "unclassified"


class AwarenessRow(BaseModel):
    """Samples of one (model, condition) that reached one conclusion. `n` counts scored ones."""

    model: str
    condition_id: str
    conclusion: str
    n: int
    harmful: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    unscored: int


def _is_aware_condition(condition_id: str) -> bool:
    try:
        return Condition.from_id(condition_id).eval_awareness
    except ValueError:
        return False


def summarize_awareness(rows: Iterable[SampleRow]) -> list[AwarenessRow]:
    """Rates by stated conclusion, for conditions with the eval-awareness notice.

    Samples of those conditions whose conclusion could not be classified are grouped as
    "unclassified" rather than dropped. Empty when no sample has an awareness score.
    """
    rows = [r for r in rows if r.status != "error"]
    if not any(r.awareness is not None for r in rows):
        return []
    cells: dict[tuple[str, str, str], list[SampleRow]] = {}
    for r in rows:
        if r.awareness is None and not _is_aware_condition(r.condition_id):
            continue
        conclusion = r.awareness or UNCLASSIFIED
        cells.setdefault((r.model, r.condition_id, conclusion), []).append(r)
    order = {c: i for i, c in enumerate((*CONCLUSIONS, UNCLASSIFIED))}
    out = []
    for (model, cid, conclusion), cell in sorted(
        cells.items(), key=lambda kv: (kv[0][0], kv[0][1], order.get(kv[0][2], 99))
    ):
        scored = [r for r in cell if r.status == "scored"]
        harmful = sum(1 for r in scored if r.harmful)
        ci = wilson_interval(harmful, len(scored))
        out.append(
            AwarenessRow(
                model=model,
                condition_id=cid,
                conclusion=conclusion,
                n=len(scored),
                harmful=harmful,
                rate=harmful / len(scored) if scored else None,
                ci_low=ci[0] if ci else None,
                ci_high=ci[1] if ci else None,
                unscored=len(cell) - len(scored),
            )
        )
    return out
