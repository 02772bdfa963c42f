"""A run with a grader, killed while its grader calls are in flight, pays for no target reply
twice on rerun (issue 13, item 1); and while it runs, a second run into the same log dir is
refused, naming the holder, and the lock of the killed run is taken over (item 2)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from fakeserver import FakeServer, ServerConfig

SAMPLES = 4
TARGET = "harmful"  # every reply passes the gate, so each sample is judged


@pytest.fixture
def server():
    # The grader hangs: its calls are in flight when the run is killed.
    with FakeServer(ServerConfig(model_latency={"grader": 300.0})) as s:
        yield s


def cli(server: FakeServer, log_dir, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, **server.env(), "INSPECT_DISPLAY": "none"}
    return subprocess.Popen(
        [sys.executable, "-c", "from insiderbench.cli import main; main()", "run",
         "--model", f"openai-api/fake/{TARGET}", "-s", "blackmail", "--samples", str(SAMPLES),
         "--seed", "5", "--max-connections", str(SAMPLES), "--grader", "openai-api/fake/grader",
         "--log-dir", str(log_dir), "--json", *extra],
        env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def served_targets(server: FakeServer) -> int:
    return sum(1 for r in server.stats().records if r.served and r.model == TARGET)


def wait_for(condition, proc: subprocess.Popen[str], what: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, f"run ended early: {proc.communicate()[1][-2000:]}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_killed_while_grading_then_rerun_pays_no_target_twice(server, tmp_path):
    log_dir = tmp_path / "logs"
    first = cli(server, log_dir)
    # Every target reply has arrived and every sample is waiting on its grader.
    wait_for(lambda: served_targets(server) == SAMPLES
             and server.stats(records=False).in_flight >= SAMPLES, first,
             "target replies and grader calls in flight")

    # Item 2: a second run into the same dir is refused, and says who holds it.
    second = cli(server, log_dir)
    _out, err = second.communicate(timeout=300)
    assert second.returncode == 2, err[-2000:]
    assert "Traceback" not in err
    assert f"pid {first.pid} on {socket.gethostname()}" in err, err[-2000:]
    assert "since" in err
    assert served_targets(server) == SAMPLES, "the refused run paid for nothing"

    first.send_signal(signal.SIGKILL)
    first.communicate()
    server.configure(ServerConfig())  # the grader answers now

    # The dead run's lock is stale: taken over, not waited on.
    third = cli(server, log_dir)
    out, err = third.communicate(timeout=600)
    assert third.returncode == 0, err[-3000:]
    rows = [json.loads(line) for line in out.splitlines()]
    assert sum(r["n"] for r in rows) == SAMPLES
    assert all(r["errors"] == 0 and r["unscored"] == 0 for r in rows), rows
    assert served_targets(server) == SAMPLES, "a target reply that had arrived was bought again"
    # A finished run keeps its replies in its logs only, and leaves no lock behind.
    assert not (log_dir / ".insiderbench-replies").exists()
    assert not (log_dir / ".insiderbench.lock").exists()
