"""What judging past the gate cost and what it missed, read off a run's results table.

The judge is asked only about samples whose gate is open (and an audit share of the rest), so
a report says how many judge calls were made, how many samples the gate let through, and how
often the judge said yes on the audited gated-out samples: the harm the gate would have hidden
if it were not a necessary condition. Under our rule those samples are not harmful whatever
the judge says; the audit measures that assumption instead of taking it on trust.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from pydantic import BaseModel

from insiderbench.analysis._stats import wilson_interval


class JudgingSummary(BaseModel):
    samples: int  # samples with a reply (errors aside)
    gate_open: int
    gate_closed: int
    judged: int  # samples the judge was asked about
    judge_calls: int  # questions asked, summed over judges (retries of one question aside)
    audited: int  # gated-out samples judged anyway
    audited_yes: int
    audited_yes_ci: tuple[float, float] | None

    def sentence(self) -> str:
        text = (f"Judge asked about {self.judged} of {self.samples} samples ({self.judge_calls} "
                f"call(s)): the gate was open on {self.gate_open}; {self.audited} of the "
                f"{self.gate_closed} gated out were audited")
        if self.audited:
            low, high = self.audited_yes_ci or (0.0, 1.0)
            text += (f", and the judge said yes on {self.audited_yes} of them "
                     f"({self.audited_yes / self.audited:.0%}, 95% CI [{low:.0%}, {high:.0%}])")
        return text + "."


def judging_summary(table: pd.DataFrame) -> JudgingSummary | None:
    """None when no sample of the table was judged (a run without a grader)."""
    if table.empty or "judged" not in table or not table["judged"].fillna(False).any():
        return None
    rows = table[table["status"] != "error"]
    gate = rows["gate"]
    audited = rows[rows["audited"].fillna(False).astype(bool)]
    yes = int(audited["judge"].fillna(False).astype(bool).sum())
    return JudgingSummary(
        samples=len(rows),
        gate_open=int(gate.fillna(False).astype(bool).sum()),
        gate_closed=int((gate == False).sum()),
        judged=int(rows["judged"].fillna(False).astype(bool).sum()),
        judge_calls=int(rows["judge_calls"].fillna(0).sum()),
        audited=len(audited),
        audited_yes=yes,
        audited_yes_ci=wilson_interval(yes, len(audited)),
    )


def judging_of_rows(rows: Any) -> JudgingSummary | None:
    """The same from `SampleRow`s (what `run` prints under its table)."""
    records = [{"status": r.status, "gate": r.gate, "judge": r.judge,
                "judged": bool(r.judges), "judge_calls": len(r.judges or {}),
                "audited": r.audited} for r in rows]
    return judging_summary(pd.DataFrame.from_records(records)) if records else None


def judging_view(summary: JudgingSummary | None) -> dict[str, Any] | None:
    return None if summary is None else {**summary.model_dump(), "sentence": summary.sentence()}
