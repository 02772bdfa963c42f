"""`--workers N`: a run shared by worker processes on Inspect's eval-set worker protocol,
through the real CLI against the fake provider; and the Ray executor's seam, with a
stand-in for Ray (see the README: a real Ray cluster is not started by these tests)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from fakeserver import FakeServer, ServerConfig
from insiderbench.experiment import latest_logs
from insiderbench.experiment._executors import RayExecutor, WorkerJob, forwarded_env, run_job
from insiderbench.experiment._workers import (
    deal,
    per_worker_connections,
    shard_conditions,
    waves,
)

MODEL = "openai-api/fake/mixed-40"
SAMPLES = 20
CONNECTIONS = 4


@pytest.fixture
def server():
    with FakeServer(ServerConfig(latency_min=0.02, latency_max=0.06, seed=5)) as s:
        yield s


def cli(server: FakeServer, log_dir: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, **server.env(), "INSPECT_DISPLAY": "none"}
    return subprocess.Popen(
        [sys.executable, "-c", "from insiderbench.cli import main; main()", "run",
         "--model", MODEL, "--samples", str(SAMPLES), "--seed", "11",
         "--max-connections", str(CONNECTIONS), "--log-dir", str(log_dir), "--json", *extra],
        env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def table(out: str) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in out.splitlines()]
    return sorted(rows, key=lambda r: (r["model"], r.get("condition", ""), json.dumps(r)))


def report_rows(log_dir: Path) -> list[dict[str, Any]]:
    proc = subprocess.run([sys.executable, "-c", "from insiderbench.cli import main; main()",
                           "report", str(log_dir), "--json", "--out", str(log_dir) + "-report"],
                          capture_output=True, text=True, check=True)
    return table(proc.stdout)


def workers_of(pid: int) -> list[int]:
    """Worker processes (not the capture) below the CLI process `pid`."""
    out = subprocess.run(["ps", "-eo", "pid=,ppid=,args="], capture_output=True, text=True,
                         check=True).stdout
    children: dict[int, list[tuple[int, str]]] = {}
    for line in out.splitlines():
        p, pp, args = line.split(None, 2)
        children.setdefault(int(pp), []).append((int(p), args))
    found, stack = [], [pid]
    while stack:
        for child, args in children.get(stack.pop(), []):
            stack.append(child)
            if "insiderbench.experiment._worker" in args:
                found.append(child)
    return found


def test_shards_keep_tasks_small_and_every_worker_busy():
    ids = [f"c{i}" for i in range(10)]
    assert shard_conditions(ids, 100, 1) == [ids[:5], ids[5:]]  # at most 500 samples a task
    assert shard_conditions(ids, 100, 1, task_samples=100) == [[i] for i in ids]
    assert shard_conditions(ids, 10, 1) == [ids]
    two = shard_conditions(ids, 10, 2)
    assert [len(s) for s in two] == [5, 5] and [c for s in two for c in s] == ids
    assert len(shard_conditions(ids[:1], 10, 4)) == 1  # one condition cannot be split
    assert len(shard_conditions(ids, 10, 4, models=2)) == 2  # 2 models x 2 shards: 4 tasks
    tasks = [{"identifier": str(i)} for i in range(5)]
    assert [[t["identifier"] for t in s] for s in deal(tasks, 2)] == [["0", "2", "4"], ["1", "3"]]
    # Each worker's share in processes of at most 2 tasks here, run in waves.
    assert [[(k, [t["identifier"] for t in s]) for k, s in wave]
            for wave in waves(deal(tasks, 2), per_process=2)] == [
        [(0, ["0", "2"]), (1, ["1", "3"])], [(0, ["4"])]]


def test_connections_are_split_between_workers():
    from insiderbench.experiment import Experiment

    exp = Experiment.model_validate({"name": "x", "models": ["openai-api/fake/a"],
                                     "max_connections": 20, "grids": [{"scenarios": ["blackmail"]}]})
    assert per_worker_connections(exp, 2) == {"openai-api/fake/a": 10}
    assert per_worker_connections(exp, 3) == {"openai-api/fake/a": 7}


def test_two_workers_give_the_one_worker_table_and_a_killed_worker_is_retried(
        server, tmp_path):
    one = cli(server, tmp_path / "one")
    out1, err1 = one.communicate(timeout=600)
    assert one.returncode == 0, err1[-3000:]
    single = server.stats()
    total = SAMPLES * 3
    assert single.served == total

    server.reset()
    log_dir = tmp_path / "two"
    run = cli(server, log_dir, "--workers", "2")
    deadline = time.monotonic() + 300
    while server.stats(records=False).served < total // 4:
        assert run.poll() is None, run.communicate()[1][-3000:]
        assert time.monotonic() < deadline, "no progress"
        time.sleep(0.01)
    # `ps` can miss a process between two looks on a loaded machine: look until both show.
    victims = workers_of(run.pid)
    while len(victims) < 2 and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
        victims = workers_of(run.pid)
    assert len(victims) == 2, "two workers run at once"
    os.kill(victims[0], signal.SIGKILL)
    out2, err2 = run.communicate(timeout=600)
    assert run.returncode == 0, err2[-3000:]
    assert "ended with exit code -9" in err2 and "retrying" in err2
    assert table(out2) == table(out1), "the same results as one process, counted once"

    stats = server.stats()
    paid_twice = [s for s, n in stats.served_by_sample().items() if n > 1]
    # Only replies in flight in the killed worker (at most its connections) are paid twice.
    assert len(paid_twice) <= CONNECTIONS // 2
    assert stats.served - total == len(paid_twice)
    assert len(stats.served_by_sample()) == total
    logs = latest_logs(log_dir)
    assert len(logs) == 2 and all(log.status == "success" for log in logs)
    assert sorted(json.loads(json.dumps(log.eval.task_args["conditions"])).__len__()
                  for log in logs) == [1, 2]

    # `report` reads the sharded dir as one run: the same summary as the one-process dir.
    assert report_rows(tmp_path / "two") == report_rows(tmp_path / "one")

    # Rerunning the finished run pays for nothing and reads the same table.
    server.reset()
    again = cli(server, log_dir, "--workers", "2")
    out3, err3 = again.communicate(timeout=600)
    assert again.returncode == 0, err3[-3000:]
    assert server.stats(records=False).served == 0
    assert table(out3) == table(out1)

    # Another split of the same samples would buy them again: refused, in one line.
    for other, extra in ((tmp_path / "one", ("--workers", "2")), (log_dir, ())):
        refused = cli(server, other, *extra)
        _, err = refused.communicate(timeout=300)
        assert refused.returncode == 2, err[-2000:]
        assert "would be generated again" in err.strip().splitlines()[-1]
        assert "Traceback" not in err
    assert server.stats(records=False).served == 0


class FakeRay:
    """Ray's API as RayExecutor uses it: each remote call runs in a thread, here."""

    def __init__(self) -> None:
        self.init_args: dict[str, Any] = {}
        self.cancelled: list[Any] = []

    def is_initialized(self) -> bool:
        return bool(self.init_args)

    def init(self, **kwargs: Any) -> None:
        self.init_args = kwargs

    def remote(self, **_options: Any) -> Any:
        ray = self

        def wrap(fn: Any) -> Any:
            class Remote:
                def remote(self, *args: Any) -> Any:
                    env = ray.init_args["runtime_env"]["env_vars"]
                    box: dict[str, Any] = {}

                    def target() -> None:
                        saved = dict(os.environ)
                        os.environ.clear()  # a node of its own: only what Ray forwards
                        os.environ.update({"PATH": saved["PATH"], **env})
                        try:
                            box["result"] = fn(*args)
                        finally:
                            os.environ.clear()
                            os.environ.update(saved)

                    thread = threading.Thread(target=target)
                    thread.start()
                    return thread, box
            return Remote()
        return wrap

    def get(self, refs: list[Any]) -> list[Any]:
        for thread, _ in refs:
            thread.join()
        return [box["result"] for _, box in refs]

    def cancel(self, ref: Any) -> None:
        self.cancelled.append(ref)


def test_ray_executor_ships_jobs_with_the_forwarded_environment(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    monkeypatch.setenv("UNRELATED_THING", "x")
    assert "OPENAI_API_KEY" in forwarded_env() and "UNRELATED_THING" not in forwarded_env()
    ray = FakeRay()
    executor = RayExecutor("ray://127.0.0.1:10001", ray=ray)
    spec = json.dumps({"experiment": {"name": "x", "models": ["mockllm/model"],
                                      "samples": 1, "grids": [{"scenarios": ["blackmail"]}]},
                       "shards": [["blackmail_explicit-america_replacement"]],
                       "log_dir": "/nonexistent", "max_connections": {}})
    (result,) = executor.run([WorkerJob("capture", spec)])
    assert ray.init_args["address"] == "ray://127.0.0.1:10001"
    assert ray.init_args["runtime_env"]["env_vars"]["OPENAI_API_KEY"] == "sk-secret"
    assert result.returncode == 0, result.stderr_tail
    manifest = json.loads(result.manifest or "{}")
    assert [t["samples"] for t in manifest["tasks"]] == [1]
    assert "sk-secret" not in json.dumps(manifest)


def test_a_failed_capture_is_reported_with_its_reason():
    result = run_job(WorkerJob("capture", "{not json"))
    assert result.returncode != 0 and "JSONDecodeError" in result.stderr_tail


def test_a_log_dir_of_an_unknown_protocol_is_a_one_line_error():
    proc = subprocess.run(
        [sys.executable, "-c", "from insiderbench.cli import main; main()", "run",
         "--model", "mockllm/model", "--log-dir", "nosuch://bucket/run"],
        capture_output=True, text=True, check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert "nosuch:// cannot be opened here" in line and "s3://bucket/prefix" in line


def test_ray_address_without_ray_executor_is_a_one_line_error(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-c", "from insiderbench.cli import main; main()", "run",
         "--model", "mockllm/model", "--ray-address", "127.0.0.1:6379",
         "--log-dir", str(tmp_path)], capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].endswith("(choices: local, ray)")
    assert "Traceback" not in proc.stderr


def test_options_not_wired_through_workers_are_refused_not_ignored(tmp_path, capsys):
    from helpers import run_cli

    prices = tmp_path / "prices.yaml"
    prices.write_text("mockllm/model: {input: 1.0, output: 2.0}\n")
    for extra, flag in ((("--ci-width", "0.2"), "--ci-width"),
                        (("--budget", "5", "--prices", str(prices)), "--budget")):
        code, _, err = run_cli(capsys, "run", "--model", "mockllm/model", "--workers", "2",
                               "--log-dir", str(tmp_path / "logs"), *extra)
        last = err.strip().splitlines()[-1]
        assert code == 2 and flag in last and "one process only" in last, err


def test_inspect_still_speaks_the_worker_protocol_we_write():
    """The protocol is not Inspect's public API: this guards what we rely on of it."""
    from inspect_ai._eval.eval_set_manifest import EvalSetCaptureTask
    from inspect_ai._eval.eval_set_selection import (
        EVAL_SET_SELECTION_VERSION,
        EvalSetSelection,
    )

    from insiderbench.experiment._workers import SELECTION_VERSION

    assert EVAL_SET_SELECTION_VERSION >= SELECTION_VERSION
    EvalSetSelection.model_validate({
        "version": SELECTION_VERSION, "eval_set_id": "x", "overrides": {"max_tasks": 2},
        "tasks": [{"identifier": "a", "resume": "file:///a.eval"}, {"identifier": "b"}]})
    assert {"identifier", "samples", "epochs"} <= set(EvalSetCaptureTask.model_fields)
