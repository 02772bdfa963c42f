"""Analysis: logs to per-sample rows, rates and intervals."""

from insiderbench.analysis._results import (
    SCORE_KINDS,
    Rule,
    SampleRow,
    SummaryRow,
    latest_scores,
    read_rows,
    sample_rows,
    score_verdict,
    summarize,
)
from insiderbench.analysis._stats import wilson_interval

__all__ = [
    "SCORE_KINDS",
    "Rule",
    "SampleRow",
    "SummaryRow",
    "latest_scores",
    "read_rows",
    "sample_rows",
    "score_verdict",
    "summarize",
    "wilson_interval",
]
