"""Analysis: logs to per-sample rows, rates and intervals."""

from typing import TYPE_CHECKING

from insiderbench._exports import lazy_exports

if TYPE_CHECKING:
    from insiderbench.analysis._agreement import (
        SIGNALS,
        PairAgreement,
        PatternRow,
        agreement_patterns,
        cohens_kappa,
        disagrees,
        judge_agreement,
        pair_agreement,
    )
    from insiderbench.analysis._awareness import (
        AwarenessRow,
        summarize_awareness,
    )
    from insiderbench.analysis._calibration import (
        CALIBRATED_COLUMNS,
        Calibration,
        calibrate,
        calibrate_rows,
    )
    from insiderbench.analysis._effects import (
        FACTORS,
        compare_summaries,
        compare_with_paper,
        factor_effects,
    )
    from insiderbench.analysis._figures import (
        Figure,
        draw_figures,
    )
    from insiderbench.analysis._judging import (
        JudgingSummary,
        judging_of_rows,
        judging_summary,
        judging_view,
    )
    from insiderbench.analysis._labeller import (
        LabelSession,
        bind,
        serve,
    )
    from insiderbench.analysis._labels import (
        LABEL_VALUES,
        Label,
        LabelsError,
        append_label,
        read_labels,
    )
    from insiderbench.analysis._pairing import compare_runs, differing_factor
    from insiderbench.analysis._paper import (
        PaperValue,
        paper_value,
        paper_values,
    )
    from insiderbench.analysis._report import (
        Report,
        write_report,
    )
    from insiderbench.analysis._results import (
        SampleRow,
        SummaryRow,
        read_rows,
        sample_row,
        sample_rows,
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
    from insiderbench.analysis._validity import (
        labeller_agreement,
        signal_validity,
        validity_report,
    )
    from insiderbench.analysis._visible import visible_controls
    from insiderbench.analysis._words import describe_condition

__getattr__, __dir__, __all__ = lazy_exports(globals())
