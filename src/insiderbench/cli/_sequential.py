"""--ci-width, --min-samples, --max-samples: sequential sampling to a target precision."""

from __future__ import annotations

from typing import Any

import click

from insiderbench.cli._errors import UserError


def sequential_options(fn: Any) -> Any:
    options = [
        click.option(
            "--ci-width", type=click.FloatRange(0, 1, min_open=True), default=None, metavar="W",
            help="Sample each condition in waves until its 95% interval (an anytime-valid "
                 "confidence sequence) is at most W wide, or --max-samples were taken, instead "
                 "of a fixed --samples (experiment key ci_width:)."),
        click.option("--min-samples", type=click.IntRange(min=1), default=None,
                     help="With --ci-width: the first wave per condition (default: 10)."),
        click.option("--max-samples", type=click.IntRange(min=1), default=None,
                     help="With --ci-width: samples per condition at most (default: 100)."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def apply_sequential(experiment: Any, samples: int | None, ci_width: float | None,
                     min_samples: int | None, max_samples: int | None) -> Any:
    """The experiment with the command line's sampling: --samples means a fixed size (even over
    a file's ci_width:), --ci-width sequential; both at once is an error."""
    if samples is not None and ci_width is not None:
        raise UserError("give --samples (a fixed size) or --ci-width (sequential), not both")
    updates: dict[str, Any] = {}
    if samples is not None:
        updates["ci_width"] = None
    if ci_width is not None:
        updates["ci_width"] = ci_width
    if min_samples is not None:
        updates["min_samples"] = min_samples
    if max_samples is not None:
        updates["max_samples"] = max_samples
    if (min_samples is not None or max_samples is not None) and updates.get(
            "ci_width", experiment.ci_width) is None:
        raise UserError("--min-samples and --max-samples need --ci-width W (or ci_width: in "
                        "the experiment file)")
    low = updates.get("min_samples", experiment.min_samples)
    high = updates.get("max_samples", experiment.max_samples)
    if low > high:
        raise UserError(f"--min-samples {low} is more than --max-samples {high}")
    return experiment.model_copy(update=updates) if updates else experiment
