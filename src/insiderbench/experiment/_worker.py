"""One worker of a sharded run: `python -m insiderbench.experiment._worker SPEC`.

The same definition in every worker and in the capture: the experiment's tasks, one per
model and shard of conditions, handed to `inspect_ai.eval_set`. Inspect's worker protocol
does the rest: with `INSPECT_EVAL_SET_CAPTURE` set, eval_set writes the manifest of the
tasks and ends the process; with `INSPECT_EVAL_SET_SELECTION` set, it runs only the tasks
the selection names (resuming those given a log) into the shared log dir, without any of
eval_set's bookkeeping of the dir (the coordinator, `_workers`, owns that).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from insiderbench.experiment._executors import CAPTURE_ENV


def worker_spec(experiment: Any, shards: list[list[str]], log_dir: str,
                max_connections: dict[str, int | None]) -> str:
    """A worker's spec as JSON: the experiment, its shards, the log dir, and the connections
    each model gets in one worker (identity-neutral: Inspect's task identifier ignores it)."""
    return json.dumps({"experiment": experiment.model_dump(mode="json"), "shards": shards,
                       "log_dir": log_dir, "max_connections": max_connections})


def run_worker(spec_text: str) -> None:
    from inspect_ai import eval_set

    from insiderbench.experiment._experiment import Experiment
    from insiderbench.experiment._run import eval_set_args, experiment_tasks

    spec = json.loads(spec_text)
    experiment = Experiment.model_validate(spec["experiment"])
    connections = spec.get("max_connections") or {}
    experiment = experiment.model_copy(update={"models": [
        m.model_copy(update={"max_connections": connections.get(m.model, m.max_connections)})
        for m in experiment.models]})
    tasks = experiment_tasks(experiment, spec["shards"])
    eval_set(tasks, log_dir=spec["log_dir"], epochs=experiment.samples, max_tasks=2,
             display="none", **eval_set_args(experiment))


def capture_here(spec_text: str) -> str:
    """The capture manifest, made in this process (capture mode ends its process with
    `SystemExit(0)`, caught here): saves a process start when the workers run on this
    machine. Workers on other machines capture on one of theirs (a task's source file is
    part of its identifier)."""
    saved = os.environ.get(CAPTURE_ENV)
    with tempfile.TemporaryDirectory(prefix="insiderbench-capture-") as tmp:
        manifest = Path(tmp) / "manifest.json"
        os.environ[CAPTURE_ENV] = str(manifest)
        try:
            run_worker(spec_text)
        except SystemExit as ex:
            if ex.code not in (0, None):
                raise
        finally:
            if saved is None:
                os.environ.pop(CAPTURE_ENV, None)
            else:
                os.environ[CAPTURE_ENV] = saved
        return manifest.read_text(encoding="utf-8")


if __name__ == "__main__":
    run_worker(Path(sys.argv[1]).read_text(encoding="utf-8"))
