"""Crash and resume through the real CLI and Inspect's openai-api provider: a run killed with
SIGKILL at a random moment ends, on rerun, with every sample done once, and the fake
provider's own count of served replies shows nothing finished was paid for twice."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest
from inspect_ai.log import read_eval_log

from fakeserver import FakeServer, ServerConfig
from insiderbench.experiment import latest_logs

SAMPLES = 100  # per condition; the three scenarios' headline conditions
CONDITIONS = 3
CONNECTIONS = 10
MODEL = "openai-api/fake/mixed-40"


@pytest.fixture
def server():
    with FakeServer(ServerConfig(latency_min=0.05, latency_max=0.15, seed=3)) as s:
        yield s


def cli(server: FakeServer, log_dir, **popen) -> subprocess.Popen[str]:
    env = {**os.environ, **server.env(), "INSPECT_DISPLAY": "none"}
    return subprocess.Popen(
        [sys.executable, "-c", "from insiderbench.cli import main; main()", "run",
         "--model", MODEL, "--samples", str(SAMPLES), "--seed", "11",
         "--max-connections", str(CONNECTIONS), "--log-dir", str(log_dir), "--json"],
        env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen,
    )


def test_sigkill_at_a_random_moment_then_rerun(server, tmp_path):
    total = SAMPLES * CONDITIONS
    # Random by default, so runs cover many kill points; KILL_SEED=<n> replays one. The seed
    # is printed, and pytest shows it with any failure.
    kill_seed = int(os.environ.get("KILL_SEED") or random.randrange(1 << 30))
    print(f"kill seed {kill_seed} (replay: KILL_SEED={kill_seed})")
    kill_at = random.Random(kill_seed).randint(total // 10, total * 8 // 10)
    log_dir = tmp_path / "logs"

    first = cli(server, log_dir)
    deadline = time.monotonic() + 240
    while server.stats(records=False).served < kill_at:
        assert first.poll() is None, f"run ended before the kill: {first.communicate()[1][-2000:]}"
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first.communicate()
    assert first.returncode == -signal.SIGKILL
    served_at_kill = server.stats(records=False).served
    assert served_at_kill < total, f"kill seed {kill_seed}: the run had already finished"

    second = cli(server, log_dir)
    out, err = second.communicate(timeout=600)
    assert second.returncode == 0, err[-3000:]
    rows = [json.loads(line) for line in out.splitlines()]
    assert sum(r["n"] for r in rows) == total, "every sample is done, and counted once"
    assert all(r["errors"] == 0 and r["unscored"] == 0 for r in rows)

    stats = server.stats()
    # A request the kill cut off mid-send cannot be parsed: never served, named by nothing.
    cut = [r for r in stats.records if r.outcome in ("client_gone", "bad_request")]
    assert not any(r.served for r in cut)
    assert all(r.sample.startswith("seed:") for r in stats.records if r not in cut), (
        "each request names its sample")
    paid_twice = [s for s, n in stats.served_by_sample().items() if n > 1]
    # Only samples in flight at the kill (at most one per connection) may be generated again.
    assert len(paid_twice) <= CONNECTIONS, f"kill seed {kill_seed}: {len(paid_twice)} paid twice"
    assert stats.served - total == len(paid_twice) <= CONNECTIONS
    assert len(stats.served_by_sample()) == total

    (latest,) = latest_logs(log_dir)
    samples = read_eval_log(latest.location).samples or []
    assert len(samples) == total
    assert len({(s.id, s.epoch) for s in samples}) == total
    # Each sample's verdict is the one the server's reply for that sample carries.
    served = {r.sample: r.reply for r in stats.records if r.served}
    for s in samples:
        reply = served[f"seed:{s.metadata['seed']}"]
        assert s.scores["harm_check"].value == (1.0 if reply == "harmful" else 0.0), s.id
    harmful = sum(1 for s in samples if served[f"seed:{s.metadata['seed']}"] == "harmful")
    assert sum(r["harmful"] for r in rows) == harmful
