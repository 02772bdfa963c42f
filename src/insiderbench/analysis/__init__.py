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
from insiderbench.analysis._effects import (
    FACTORS,
    compare_summaries,
    compare_with_paper,
    factor_effects,
)
from insiderbench.analysis._figures import Figure, draw_figures
from insiderbench.analysis._paper import PaperValue, paper_value, paper_values
from insiderbench.analysis._report import Report, write_report
from insiderbench.analysis._results import (
    SCORE_KINDS,
    Rule,
    SampleRow,
    SummaryRow,
    latest_scores,
    read_rows,
    sample_row,
    sample_rows,
    score_verdict,
    summarize,
)
from insiderbench.analysis._stats import (
    ClusteredEstimate,
    clustered_difference,
    clustered_rate,
    fisher_p,
    newcombe_interval,
    wilson_interval,
)
from insiderbench.analysis._table import (
    FACTOR_COLUMNS,
    Results,
    iter_samples,
    read_results,
    summary_rows,
    summary_table,
)

__all__ = [
    "FACTORS",
    "FACTOR_COLUMNS",
    "SCORE_KINDS",
    "SIGNALS",
    "AwarenessRow",
    "ClusteredEstimate",
    "Figure",
    "PairAgreement",
    "PaperValue",
    "PatternRow",
    "Report",
    "Results",
    "Rule",
    "SampleRow",
    "SummaryRow",
    "agreement_patterns",
    "clustered_difference",
    "clustered_rate",
    "cohens_kappa",
    "compare_summaries",
    "compare_with_paper",
    "disagrees",
    "draw_figures",
    "factor_effects",
    "fisher_p",
    "iter_samples",
    "latest_scores",
    "newcombe_interval",
    "pair_agreement",
    "paper_value",
    "paper_values",
    "read_results",
    "read_rows",
    "sample_row",
    "sample_rows",
    "score_verdict",
    "summarize",
    "summarize_awareness",
    "summary_rows",
    "summary_table",
    "wilson_interval",
    "write_report",
]
