"""Where the workers of a sharded run execute: processes on this machine, or Ray tasks.

A worker is one `python -m insiderbench.experiment._worker` process, given a spec (the
experiment and its shards, as JSON) and either a capture path (enumerate the tasks) or a
selection (run some of them): Inspect's eval-set worker protocol. A `WorkerJob` carries
everything as text, so it can be shipped to another machine; `run_job` writes it to files
on the machine that runs it, runs the worker and reports its exit code, the end of its
stderr and, for a capture, the manifest.

Provider keys are never part of a job: a local worker inherits this process's environment;
a Ray task gets the variables `forwarded_env` names through Ray's `runtime_env`, which Ray
keeps out of its logs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

EXECUTORS = ("local", "ray")
CAPTURE_ENV = "INSPECT_EVAL_SET_CAPTURE"
SELECTION_ENV = "INSPECT_EVAL_SET_SELECTION"
# What a remote worker needs from this machine's environment (never written to a log).
FORWARDED_PREFIXES = ("INSPECT_", "INSIDERBENCH_", "AWS_", "OPENAI_", "ANTHROPIC_", "GOOGLE_",
                      "GEMINI_", "XAI_", "GROK_", "DEEPSEEK_", "TOGETHER_", "OPENROUTER_",
                      "MISTRAL_", "AZURE", "HF_", "VLLM_", "OLLAMA_", "FAKE_")


@dataclass(frozen=True)
class WorkerJob:
    name: str
    spec: str  # JSON: the experiment, its shards, the log dir (see `_worker`)
    selection: str | None = None  # JSON selection document; None for a capture


@dataclass
class JobResult:
    name: str
    returncode: int
    stderr_tail: str = ""
    manifest: str | None = None


@dataclass
class _Running:
    procs: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_running = _Running()


def run_job(job: WorkerJob, on_start: Callable[[subprocess.Popen[bytes]], None] | None = None,
            ) -> JobResult:
    """Run one worker process to its end, here."""
    with tempfile.TemporaryDirectory(prefix="insiderbench-worker-") as tmp:
        spec = Path(tmp) / "spec.json"
        spec.write_text(job.spec, encoding="utf-8")
        env = dict(os.environ)
        env.pop(CAPTURE_ENV, None)
        env.pop(SELECTION_ENV, None)
        manifest = Path(tmp) / "manifest.json"
        if job.selection is None:
            env[CAPTURE_ENV] = str(manifest)
        else:
            selection = Path(tmp) / "selection.json"
            selection.write_text(job.selection, encoding="utf-8")
            env[SELECTION_ENV] = str(selection)
        env["INSPECT_DISPLAY"] = "none"
        errors = Path(tmp) / "stderr"
        with errors.open("wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "insiderbench.experiment._worker", str(spec)],
                env=env, stdin=subprocess.DEVNULL, stdout=err, stderr=err,
            )
            if on_start is not None:
                on_start(proc)
            code = proc.wait()
        tail = errors.read_text(encoding="utf-8", errors="replace")[-4000:]
        text = manifest.read_text(encoding="utf-8") if manifest.exists() else None
        return JobResult(job.name, code, tail, text)


class Executor(Protocol):
    def run(self, jobs: Sequence[WorkerJob]) -> list[JobResult]:
        """Run the jobs concurrently, each to its end; one result per job, in order."""
        ...

    def interrupt(self) -> None:
        """Ask every running worker to stop the way Ctrl-C stops a run."""
        ...


class LocalExecutor:
    """Each job a process on this machine, all at once (the caller sizes the batch)."""

    def run(self, jobs: Sequence[WorkerJob]) -> list[JobResult]:
        if not jobs:
            return []

        def one(job: WorkerJob) -> JobResult:
            def started(proc: subprocess.Popen[bytes]) -> None:
                with _running.lock:
                    _running.procs[proc.pid] = proc

            try:
                return run_job(job, started)
            finally:
                with _running.lock:
                    for pid, proc in list(_running.procs.items()):
                        if proc.poll() is not None:
                            del _running.procs[pid]

        pool = ThreadPoolExecutor(max_workers=len(jobs))
        futures = [pool.submit(one, job) for job in jobs]
        try:
            return [_wait(future) for future in futures]
        except KeyboardInterrupt:
            # Ctrl-C, or SIGTERM turned into one: the workers cancel as a run does and
            # write what they finished; wait for them, so their logs are whole.
            self.interrupt()
            for future in futures:
                while True:
                    try:
                        future.result()
                        break
                    except KeyboardInterrupt:
                        continue
            raise
        finally:
            pool.shutdown(wait=True)

    def interrupt(self) -> None:
        with _running.lock:
            for proc in _running.procs.values():
                if proc.poll() is None:
                    proc.send_signal(signal.SIGINT)


def _wait(future: Future[JobResult]) -> JobResult:
    while True:
        try:
            return future.result(timeout=0.5)
        except TimeoutError:
            continue


def forwarded_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The variables a worker on another machine needs: providers' keys and endpoints,
    Inspect's and ours, object storage's."""
    environ = dict(os.environ if environ is None else environ)
    return {k: v for k, v in environ.items() if k.startswith(FORWARDED_PREFIXES)}


class RayExecutor:
    """Each job a Ray task on an existing cluster (`address`, or Ray's own discovery: the
    `RAY_ADDRESS` variable, else a cluster started on this machine). The task runs the
    worker process on its node, so the log dir must be storage every node reaches."""

    def __init__(self, address: str | None = None, ray: object | None = None) -> None:
        self.address = address
        self._ray = ray  # tests pass a stand-in with Ray's API
        self._refs: list[object] = []

    def _module(self) -> object:
        if self._ray is None:
            try:
                import ray  # type: ignore[import-not-found]
            except ImportError as ex:
                raise RuntimeError("--executor ray needs Ray: pip install 'insiderbench[ray]'"
                                   ) from ex
            self._ray = ray
        return self._ray

    def run(self, jobs: Sequence[WorkerJob]) -> list[JobResult]:
        ray = self._module()
        if not ray.is_initialized():  # type: ignore[attr-defined]
            ray.init(address=self.address,  # type: ignore[attr-defined]
                     runtime_env={"env_vars": forwarded_env()}, log_to_driver=False)
        remote = ray.remote(num_cpus=1, max_retries=0)(run_job)  # type: ignore[attr-defined]
        self._refs = [remote.remote(job) for job in jobs]
        try:
            return list(ray.get(self._refs))  # type: ignore[attr-defined]
        finally:
            self._refs = []

    def interrupt(self) -> None:
        if self._ray is None:
            return
        for ref in self._refs:
            # Ray delivers this as a KeyboardInterrupt in the task; its worker is then
            # killed with the task, and its samples are recovered by the rerun.
            self._ray.cancel(ref)  # type: ignore[attr-defined]


def make_executor(name: str, address: str | None = None) -> Executor:
    if name == "ray":
        return RayExecutor(address)
    if name == "local":
        return LocalExecutor()
    raise ValueError(f"unknown executor {name!r}; choose one of: {', '.join(EXECUTORS)}")
