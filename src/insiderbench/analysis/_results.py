"""From Inspect logs to one row per sample, and per-condition rates."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from inspect_ai.log import EvalLog, read_eval_log
from pydantic import BaseModel

from insiderbench.analysis._stats import wilson_interval

SampleStatus = Literal["scored", "unscored", "error"]
CHECK_SCORER = "harm_check"


@dataclass(frozen=True)
class SampleRow:
    model: str
    task: str
    condition_id: str
    epoch: int
    status: SampleStatus
    harmful: bool | None
    reason: str | None = None


class SummaryRow(BaseModel):
    """One (model, condition) cell. `n` counts scored samples only."""

    model: str
    condition_id: str
    n: int
    harmful: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    errors: int
    unscored: int


def sample_rows(log: EvalLog, scorer: str = CHECK_SCORER) -> list[SampleRow]:
    """One row per (sample, epoch). Errors and unscored samples are kept, never read as 0."""
    rows: list[SampleRow] = []
    model = log.eval.model
    for s in log.samples or []:
        condition_id = str((s.metadata or {}).get("condition_id", s.id))
        if s.error is not None:
            rows.append(
                SampleRow(model, log.eval.task, condition_id, s.epoch, "error", None,
                          s.error.message.splitlines()[0][:300] if s.error.message else "error")
            )
            continue
        score = (s.scores or {}).get(scorer)
        value = score.value if score is not None else None
        if score is None or not _is_number(value):
            reason = None
            if score is not None:
                reason = str(getattr(score, "reason", None) or score.explanation or "unscored")
            rows.append(
                SampleRow(model, log.eval.task, condition_id, s.epoch, "unscored", None,
                          reason or "not scored")
            )
            continue
        rows.append(
            SampleRow(model, log.eval.task, condition_id, s.epoch, "scored", float(value) >= 0.5)  # type: ignore[arg-type]
        )
    return rows


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and not math.isnan(value)


def summarize(rows: Iterable[SampleRow]) -> list[SummaryRow]:
    """Per (model, condition): n scored, harmful, rate with Wilson 95% interval, errors, unscored."""
    cells: dict[tuple[str, str], list[SampleRow]] = {}
    for r in rows:
        cells.setdefault((r.model, r.condition_id), []).append(r)
    out: list[SummaryRow] = []
    for (model, cid), cell in sorted(cells.items()):
        scored = [r for r in cell if r.status == "scored"]
        n = len(scored)
        harmful = sum(1 for r in scored if r.harmful)
        ci = wilson_interval(harmful, n)
        out.append(
            SummaryRow(
                model=model,
                condition_id=cid,
                n=n,
                harmful=harmful,
                rate=harmful / n if n else None,
                ci_low=ci[0] if ci else None,
                ci_high=ci[1] if ci else None,
                errors=sum(1 for r in cell if r.status == "error"),
                unscored=sum(1 for r in cell if r.status == "unscored"),
            )
        )
    return out


def read_rows(paths: Iterable[str | Path]) -> list[SampleRow]:
    rows: list[SampleRow] = []
    for p in paths:
        rows.extend(sample_rows(read_eval_log(str(p))))
    return rows
