"""A run shared by several worker processes (`workers: N`), on Inspect's eval-set worker
protocol, all writing into one log dir.

This process coordinates: it holds the log dir's lock and the reply cache for the whole run,
enumerates the tasks with one capture (the worker's definition run with
`INSPECT_EVAL_SET_CAPTURE`: in this process for local workers, on a node for Ray), reads
which of them the log dir already finished, and hands the rest to N workers (each a
selection, `INSPECT_EVAL_SET_SELECTION`, naming its tasks and the log each resumes). Worker
mode neither fails a task on sample errors nor retries one, so after each round the
coordinator reads the logs again: a task that is not complete (a worker died, samples
failed) goes to the next round, resumed from its log, up to `retry_attempts` rounds.

Sharding: each model's conditions are split into tasks of at most `TASK_SAMPLES` samples
(so a task's log, and a worker's memory, stay small however large the run), and into at
least as many tasks as there are workers (so every worker has work). Tasks are dealt to the
workers round-robin; a worker runs its share in processes of at most `TASKS_PER_PROCESS`
tasks, one after the other, so its memory stays flat as the run grows. The shards depend on the worker count only when the run is small
(fewer shards of `TASK_SAMPLES` than workers): rerun with the same `--workers` to resume.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from insiderbench._storage import is_remote, normalized
from insiderbench.experiment._executors import (
    Executor,
    JobResult,
    LocalExecutor,
    WorkerJob,
)
from insiderbench.experiment._experiment import Experiment
from insiderbench.experiment._interrupt import sigterm_as_interrupt
from insiderbench.experiment._lock import lock_log_dir
from insiderbench.experiment._replies import clear_reply_cache, reply_cache
from insiderbench.experiment._run import RunOutcome, latest_logs, lint_conditions, task_key
from insiderbench.experiment._worker import capture_here, worker_spec

TASK_SAMPLES = 500  # samples (conditions x epochs) in one task, at most
# Tasks one worker process runs before the next process takes its share on: Inspect keeps
# what it learnt of each finished task (its results, each sample's reduced scores) until
# the process ends, so a worker's memory would grow with the run without this.
TASKS_PER_PROCESS = 4
EVAL_SET_ID_FILE = ".eval-set-id"  # Inspect's own name for it
SELECTION_VERSION = 4  # `overrides.max_tasks` arrived in 4


class WorkerFailed(RuntimeError):
    """A worker could not even start its share (a capture failed, a definition mismatch)."""


def shard_conditions(ids: Sequence[str], samples: int, workers: int, models: int = 1,
                     task_samples: int = TASK_SAMPLES) -> list[list[str]]:
    """Condition ids split into contiguous, balanced shards (see the module docstring)."""
    ids = list(ids)
    if not ids:
        return []
    per_task = max(1, task_samples // max(1, samples))
    count = max(math.ceil(len(ids) / per_task), math.ceil(workers / max(1, models)))
    count = min(count, len(ids))
    return [ids[i * len(ids) // count:(i + 1) * len(ids) // count] for i in range(count)]


def run_shards(experiment: Experiment, workers: int) -> list[list[str]]:
    """The condition ids of each task a run with `workers` makes (one task per model and
    shard): all of them in one task for one process."""
    ids = [c.condition_id for c in experiment.conditions()]
    if workers <= 1:
        return [ids]
    return shard_conditions(ids, experiment.samples, workers, len(experiment.models))


def conditions_of(log: Any) -> frozenset[str]:
    """The condition ids a log's task was made with."""
    args = log.eval.task_args_passed or log.eval.task_args or {}
    conditions = args.get("conditions") or []
    if isinstance(conditions, str):
        conditions = conditions.split(",")
    return frozenset(str(c) for c in conditions)


def split_mismatch(log_dir: str | Path, experiment: Experiment, workers: int) -> str | None:
    """Why running the experiment into `log_dir` with `workers` would generate again samples
    the dir already holds, split into tasks another way (by another `--workers`, or by one
    process); None when it would not. A task's conditions are part of its identity."""
    ids = [c.condition_id for c in experiment.conditions()]
    want, every = {frozenset(s) for s in run_shards(experiment, workers)}, frozenset(ids)
    models = {spec.model for spec in experiment.models}
    for model in sorted(models):
        held = [c for log in latest_logs(str(log_dir)) if log.eval.model == model
                and log.results is not None and log.results.completed_samples > 0
                and (c := conditions_of(log)) and c <= every]
        others = [c for c in held if c not in want]
        if workers == 1:
            # Only the shards of a split run count (disjoint tasks covering the conditions
            # between them): a one-process run never reused other runs' subsets either.
            covered: frozenset[str] = frozenset().union(*others) if others else frozenset()
            if len(others) < 2 or covered != every or sum(map(len, others)) != len(every):
                continue
        elif not others:
            continue
        before = "one process" if every in held else "another number of workers"
        return (f"{log_dir} holds {model}'s samples of these conditions made by {before}; "
                f"with --workers {workers} they would be generated again. Rerun with the "
                "--workers that made them, or choose another --log-dir")
    return None


def per_worker_connections(experiment: Experiment, workers: int) -> dict[str, int | None]:
    """Each model's connections split between the workers, so the run as a whole keeps to
    the limit given (a model with no limit keeps its provider's default in each worker)."""
    out: dict[str, int | None] = {}
    for spec in experiment.models:
        total = spec.max_connections or experiment.max_connections
        out[spec.model] = None if total is None else max(1, math.ceil(total / workers))
    return out


def eval_set_id(log_dir: str) -> str:
    """The log dir's eval-set id: the one already there, else a new one written there."""
    import fsspec
    from shortuuid import uuid

    fs, root = fsspec.core.url_to_fs(log_dir)
    fs.makedirs(root, exist_ok=True)
    path = f"{root.rstrip('/')}/{EVAL_SET_ID_FILE}"
    if fs.exists(path):
        text = fs.cat_file(path).decode("utf-8").strip()
        if text:
            return str(text)
    new = str(uuid())
    fs.pipe_file(path, new.encode("utf-8"))
    return new


def _complete(log: Any, planned: int) -> bool:
    results = log.results
    if log.status != "success" or results is None:
        return False
    done = results.logged_samples if results.logged_samples is not None else \
        results.total_samples
    return done >= planned and results.completed_samples >= planned


def deal(tasks: Sequence[dict[str, Any]], workers: int) -> list[list[dict[str, Any]]]:
    """Round-robin: the first task to the first worker, the second to the second, ..."""
    shares: list[list[dict[str, Any]]] = [[] for _ in range(min(workers, len(tasks)))]
    for i, task in enumerate(tasks):
        shares[i % len(shares)].append(task)
    return shares


def waves(shares: list[list[dict[str, Any]]], per_process: int | None = None,
          ) -> list[list[tuple[int, list[dict[str, Any]]]]]:
    """Each worker's share cut into processes of at most `TASKS_PER_PROCESS` tasks, run in
    waves (the first process of every worker, then the second, ...): a process's memory
    holds at most that many tasks, however large the run."""
    size = per_process or TASKS_PER_PROCESS
    out: list[list[tuple[int, list[dict[str, Any]]]]] = []
    for k, share in enumerate(shares):
        for i in range(0, len(share), size):
            if len(out) <= i // size:
                out.append([])
            out[i // size].append((k, share[i:i + size]))
    return out


def run_with_workers(
    experiment: Experiment,
    log_dir: str | Path,
    *,
    workers: int | None = None,
    executor: Executor | None = None,
    echo: Any = None,
) -> RunOutcome:
    """Run (or resume) the experiment into `log_dir` with `workers` worker processes."""
    workers = workers or experiment.workers
    executor = executor or LocalExecutor()
    say = echo or (lambda text: print(text, file=sys.stderr))
    where = normalized(log_dir)  # local: absolute, as every worker must see it
    lint_conditions(experiment)
    ids = [c.condition_id for c in experiment.conditions()]
    shards = shard_conditions(ids, experiment.samples, workers, len(experiment.models))
    spec = worker_spec(experiment, shards, where, per_worker_connections(experiment, workers))
    with lock_log_dir(where), reply_cache(where), sigterm_as_interrupt() as received:
        set_id = eval_set_id(where)
        interrupted: int | None = None
        planned: dict[str, int] = {}
        try:
            manifest = _capture(executor, spec)
            planned = {t["identifier"]: int(t["samples"]) * int(t["epochs"])
                       for t in manifest["tasks"]}
            say(f"{len(planned)} task(s) in {len(shards)} shard(s) per model, "
                f"{workers} worker(s)")
            for round_ in range(experiment.retry_attempts + 1):
                logs = _logs_by_id(where, planned)
                todo = [{"identifier": i, **({"resume": str(logs[i].location)} if i in logs
                                             else {})}
                        for i in planned if i not in logs or not _complete(logs[i], planned[i])]
                if not todo:
                    break
                if round_:
                    say(f"retrying {len(todo)} unfinished task(s) (round {round_ + 1})")
                for wave in waves(deal(todo, workers)):
                    jobs = [WorkerJob(f"worker-{k + 1}", spec, json.dumps({
                        "version": SELECTION_VERSION, "eval_set_id": set_id, "tasks": share,
                        "overrides": {"max_tasks": min(2, len(share))}}))
                        for k, share in wave]
                    results = _run_interruptibly(executor, jobs)
                    if received.signum is not None:
                        interrupted = received.signum
                        break
                    for result in results:
                        if result.returncode != 0:
                            last = (result.stderr_tail.strip().splitlines()
                                    or ["(no output)"])[-1]
                            say(f"{result.name} ended with exit code {result.returncode}: "
                                f"{last}")
                if interrupted is not None:
                    break
        except KeyboardInterrupt:
            import signal

            interrupted = received.signum or int(signal.SIGINT)
        logs = _logs_by_id(where, planned)
        final = list(logs.values())
        success = (interrupted is None and len(final) == len(planned)
                   and all(_complete(log, planned[i]) for i, log in logs.items()))
        if success:
            clear_reply_cache(where)
    return RunOutcome(where if is_remote(where) else Path(where), final, success, interrupted)


def _run_interruptibly(executor: Executor, jobs: list[WorkerJob]) -> list[JobResult]:
    try:
        return executor.run(jobs)
    except KeyboardInterrupt:
        executor.interrupt()  # the executor has already waited for its workers to stop
        raise


def _capture(executor: Executor, spec: str) -> dict[str, Any]:
    if isinstance(executor, LocalExecutor):
        try:
            text = capture_here(spec)
        except Exception as ex:
            first = (str(ex).splitlines() or [""])[0]
            raise WorkerFailed(f"enumerating the run's tasks failed: {type(ex).__name__}: "
                               f"{first}") from ex
        manifest: dict[str, Any] = json.loads(text)
        return manifest
    (result,) = executor.run([WorkerJob("capture", spec)])
    if result.returncode != 0 or not result.manifest:
        last = (result.stderr_tail.strip().splitlines() or ["(no output)"])[-1]
        raise WorkerFailed(f"enumerating the run's tasks failed: {last}")
    manifest = json.loads(result.manifest)
    return manifest


def _logs_by_id(log_dir: str, planned: dict[str, int]) -> dict[str, Any]:
    """The newest log of each of the run's tasks."""
    return {key: log for log in latest_logs(log_dir)
            if (key := task_key(log)) in planned}
