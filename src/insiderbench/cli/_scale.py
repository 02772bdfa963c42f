"""`run`'s options past one process: `--workers`, `--executor`, `--ray-address`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from insiderbench.cli._errors import UserError

EXECUTOR_CHOICES = ("local", "ray")  # experiment._executors.EXECUTORS, without importing it


def scale_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--ray-address", default=None, metavar="ADDR",
                     help="The Ray cluster to run on (with --executor ray; default: "
                          "RAY_ADDRESS, else a local one).")(f)
    f = click.option("--executor", type=click.Choice(EXECUTOR_CHOICES), default=None,
                     help="Where the workers run: processes here (local, the default) or "
                          "Ray tasks on a cluster (ray).")(f)
    f = click.option("--workers", type=click.IntRange(min=1), default=None,
                     help="Worker processes sharing the run (default: 1, or the "
                          "experiment's `workers`).")(f)
    return f


def sharded(experiment: Any, workers: int | None, executor: str | None,
            ray_address: str | None) -> Any:
    """The experiment with the worker count given; None when the run is one process."""
    if ray_address is not None and executor != "ray":
        raise UserError("--ray-address needs --executor ray (choices: "
                        f"{', '.join(EXECUTOR_CHOICES)})")
    if workers is not None:
        experiment = experiment.model_copy(update={"workers": workers})
    if experiment.workers > 1 or executor == "ray":
        # Neither is wired through the workers yet: refused, never silently ignored.
        unsupported = [flag for flag, on in (("--ci-width", experiment.ci_width is not None),
                                             ("--budget", experiment.budget is not None)) if on]
        if unsupported:
            raise UserError(f"{' and '.join(unsupported)} run in one process only for now: "
                            "drop --workers/--executor ray, or the option")
    return experiment


def check_same_split(out_dir: Path | str, experiment: Any) -> None:
    """Refuse a run that would generate again samples the log dir holds in other tasks."""
    from insiderbench.cli._inputs import existing_dir

    if not existing_dir(out_dir):
        return
    from insiderbench.experiment._workers import split_mismatch

    problem = split_mismatch(out_dir, experiment, experiment.workers)
    if problem is not None:
        raise UserError(problem)


def run_sharded(experiment: Any, out_dir: Path | str, executor: str | None,
                ray_address: str | None) -> Any:
    """Run through workers (`experiment._workers`), reporting a failed start as a user error."""
    from insiderbench.experiment._executors import make_executor
    from insiderbench.experiment._workers import WorkerFailed, run_with_workers

    try:
        return run_with_workers(experiment, out_dir,
                                executor=make_executor(executor or "local", ray_address),
                                echo=lambda text: click.echo(text, err=True))
    except WorkerFailed as ex:
        raise UserError(str(ex)) from None
    except RuntimeError as ex:
        if "needs Ray" in str(ex):
            raise UserError(str(ex)) from None
        raise
