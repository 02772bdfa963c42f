"""Ctrl-C and SIGTERM: an interrupted run prints the rows done so far and how to resume, and
exits 130 (SIGTERM: 143); never "Completed all tasks ... successfully", never an empty table
(issue 13, item 5). Then the same command finishes the run, paying nothing twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from fakeserver import FakeServer, ServerConfig

SAMPLES = 12
MODEL = "openai-api/fake/mixed-40"


@pytest.fixture
def server():
    with FakeServer(ServerConfig(latency_min=0.3, latency_max=0.6, seed=2)) as s:
        yield s


def cli(server: FakeServer, log_dir, *extra: str) -> subprocess.Popen[str]:
    # Without --json, Inspect's own display too (it printed "Completed ... successfully").
    display = "none" if "--json" in extra else "plain"
    env = {**os.environ, **server.env(), "INSPECT_DISPLAY": display}
    return subprocess.Popen(
        [sys.executable, "-c", "from insiderbench.cli import main; main()", "run",
         "--model", MODEL, "-s", "blackmail", "--samples", str(SAMPLES), "--seed", "3",
         "--max-connections", "2", "--log-dir", str(log_dir), *extra],
        env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
@pytest.mark.parametrize("as_json", [True, False], ids=["json", "table"])
def test_interrupted_run_says_what_it_did_and_how_to_resume(server, tmp_path, sig, code,
                                                             as_json):
    log_dir = tmp_path / "logs"
    extra = ("--json",) if as_json else ()
    first = cli(server, log_dir, *extra)
    deadline = time.monotonic() + 300
    while server.stats(records=False).served < 3:  # some samples done, others in flight
        assert first.poll() is None, first.communicate()[1][-2000:]
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.05)
    first.send_signal(sig)
    out, err = first.communicate(timeout=300)
    assert first.returncode == code, err[-3000:]
    assert "successfully" not in out + err
    assert "Traceback" not in err
    assert "no grader" not in out or "harmful" in out  # never an empty table
    assert "To resume, run the same command again" in err
    assert f"--log-dir {log_dir}" in err
    done_line = next(ln for ln in err.splitlines() if ln.startswith("Interrupted by"))
    done = int(done_line.split(": ", 1)[1].split(" of ")[0])
    assert 3 <= done < SAMPLES, done_line
    if as_json:
        rows = [json.loads(line) for line in out.splitlines()]
        assert sum(r["n"] for r in rows) == done, "stdout carries the rows done so far"
        assert all(r["errors"] == 0 for r in rows), "cancelled samples are not errors"
    else:
        assert MODEL in out

    second = cli(server, log_dir, "--json")
    out, err = second.communicate(timeout=600)
    assert second.returncode == 0, err[-3000:]
    assert sum(json.loads(line)["n"] for line in out.splitlines()) == SAMPLES
    served = server.stats().served_by_sample()
    assert len(served) == SAMPLES, served
    # A reply that reached the run is never bought again. A call the signal cancelled while
    # its reply was on the wire (the server wrote it, the run never read it) is asked again:
    # at most one per connection, and never more than once.
    again = [k for k, n in served.items() if n > 1]
    assert len(again) <= 2 and all(served[k] == 2 for k in again), served
    assert sum(served.values()) - SAMPLES <= 2, served
