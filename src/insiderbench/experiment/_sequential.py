"""What sequential sampling (`ci_width:`) changes in a run: the task's arguments and epochs.

Only a sequential experiment passes the rule's arguments to the task, so fixed-size runs keep
their task identity (and their existing logs resume). A sequential task starts every condition
at epoch 1 and adds the further epochs itself, wave by wave.
"""

from __future__ import annotations

from typing import Any

from insiderbench.experiment._experiment import Experiment


def sequential_task_args(experiment: Experiment) -> dict[str, Any]:
    if experiment.ci_width is None:
        return {}
    return {"ci_width": experiment.ci_width, "min_samples": experiment.min_samples,
            "max_samples": experiment.max_samples}


def run_epochs(experiment: Experiment) -> int:
    """The `epochs` eval_set is given: the fixed sample count, or 1 (waves add the rest)."""
    return 1 if experiment.ci_width is not None else experiment.samples


def planned_samples(experiment: Experiment) -> int:
    """Samples per condition and model at most: `samples`, or `max_samples` when sequential."""
    return experiment.max_samples if experiment.ci_width is not None else experiment.samples


def sampling_text(experiment: Experiment) -> str:
    """How many samples each condition gets, in words."""
    if experiment.ci_width is None:
        return f"{experiment.samples} sample(s)"
    return (f"{experiment.min_samples}-{experiment.max_samples} samples (waves until the 95% "
            f"interval is at most {experiment.ci_width:g} wide)")
