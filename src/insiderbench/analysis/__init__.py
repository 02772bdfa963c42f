"""Analysis: logs to per-sample rows, rates and intervals."""

from insiderbench.analysis._results import (
    SampleRow,
    SummaryRow,
    read_rows,
    sample_rows,
    summarize,
)
from insiderbench.analysis._stats import wilson_interval

__all__ = ["SampleRow", "SummaryRow", "read_rows", "sample_rows", "summarize", "wilson_interval"]
