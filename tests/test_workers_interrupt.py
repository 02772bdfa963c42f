"""SIGTERM to a run shared by two workers: the workers are stopped the way Ctrl-C stops a
run, the command prints the rows done so far and how to resume and exits 143; the same
command then finishes, every sample served once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from fakeserver import FakeServer, ServerConfig
from insiderbench.experiment import latest_logs

SAMPLES = 8  # per condition; two conditions, so two shards, one per worker
MODEL = "openai-api/fake/mixed-40"


@pytest.fixture
def server():
    with FakeServer(ServerConfig(latency_min=0.3, latency_max=0.6, seed=2)) as s:
        yield s


def cli(server: FakeServer, log_dir) -> subprocess.Popen[str]:
    env = {**os.environ, **server.env(), "INSPECT_DISPLAY": "none"}
    experiment = log_dir.parent / "experiment.yaml"
    experiment.write_text(f"name: two\nmodels: [{MODEL}]\nworkers: 2\ngrids:\n"
                          "  - scenarios: [blackmail]\n"
                          "    urgencies: [replacement, restriction]\n")
    return subprocess.Popen(
        [sys.executable, "-c", "from insiderbench.cli import main; main()", "run",
         str(experiment), "--samples", str(SAMPLES), "--seed", "3", "--max-connections", "4",
         "--log-dir", str(log_dir), "--json"],
        env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def test_sigterm_stops_the_workers_and_the_rerun_finishes(server, tmp_path):
    total = 2 * SAMPLES
    log_dir = tmp_path / "logs"
    first = cli(server, log_dir)
    deadline = time.monotonic() + 300
    while server.stats(records=False).served < 3:
        assert first.poll() is None, first.communicate()[1][-2000:]
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.05)
    first.send_signal(signal.SIGTERM)
    out, err = first.communicate(timeout=300)
    assert first.returncode == 143, err[-3000:]
    assert "Traceback" not in err
    assert "To resume, run the same command again" in err
    done_line = next(ln for ln in err.splitlines() if ln.startswith("Interrupted by"))
    done = int(done_line.split(": ", 1)[1].split(" of ")[0])
    assert 3 <= done < total, done_line
    rows = [json.loads(line) for line in out.splitlines()]
    assert sum(r["n"] for r in rows) == done
    assert all(r["errors"] == 0 for r in rows), "cancelled samples are not errors"

    second = cli(server, log_dir)
    out, err = second.communicate(timeout=600)
    assert second.returncode == 0, err[-3000:]
    assert sum(json.loads(line)["n"] for line in out.splitlines()) == total
    served = server.stats().served_by_sample()
    assert len(served) == total, served
    # As in one process (test_interrupt): a reply that reached a worker is never bought
    # again; a call the signal cancelled while its reply was on the wire is asked again, at
    # most once, and at most one per connection (4 across the two workers).
    again = [k for k, n in served.items() if n > 1]
    assert len(again) <= 4 and all(served[k] == 2 for k in again), served
    assert sum(served.values()) - total <= 4, served
    assert len(latest_logs(log_dir)) == 2, "one log per shard"
