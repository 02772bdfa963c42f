"""Analysis: logs to per-sample rows, rates and intervals."""

from insiderbench.analysis._agreement import (
    SIGNALS,
    PairAgreement,
    PatternRow,
    agreement_patterns,
    cohens_kappa,
    disagrees,
    pair_agreement,
)
from insiderbench.analysis._awareness import AwarenessRow, summarize_awareness
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
    "SIGNALS",
    "AwarenessRow",
    "PairAgreement",
    "PatternRow",
    "agreement_patterns",
    "cohens_kappa",
    "disagrees",
    "pair_agreement",
    "summarize_awareness",
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
