"""A run through faults: 429s, 5xx, resets, timeouts, malformed and empty replies. It completes,
nearly every sample ends scored, the rest are errors with their reason, and the fake
provider's record of what it answered agrees with every verdict: no failure ever reads as
"not harmful"."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

import pytest
import yaml
from inspect_ai.log import read_eval_log

from fakeserver import FakeServer, Faults, ServerConfig, is_doomed
from insiderbench.analysis import sample_rows
from insiderbench.experiment import latest_logs

SAMPLES = 60
FAULTS = Faults(
    rate_limit=0.10, server_error=0.025, unavailable=0.025, timeout=0.02, malformed=0.02,
    reset=0.01, empty=0.01, refusal=0.01,
    doomed=0.03,  # samples that only ever get malformed replies: they must end as errors
)


@pytest.fixture
def server():
    config = ServerConfig(latency_min=0.02, latency_max=0.1, faults=FAULTS, retry_after=0.2,
                          hang_seconds=30, seed=7)
    with FakeServer(config) as s:
        yield s


def experiment_file(tmp_path) -> str:
    path = tmp_path / "faults.yaml"
    path.write_text(yaml.safe_dump({
        "name": "faults",
        "models": ["openai-api/fake/mixed-40"],
        "samples": SAMPLES,
        "seed": 5,
        "max_connections": 20,
        # Short limits keep the test fast: a hung call is abandoned after 2 s and retried.
        "max_retries": 4,
        "timeout": 120,
        "attempt_timeout": 2,
        "retry_on_error": 2,
        "retry_attempts": 1,
        "grids": [{"scenarios": ["blackmail", "leaking", "murder"], "goal_types": ["explicit"],
                   "goal_values": ["america"], "urgencies": ["replacement"]}],
    }))
    return str(path)


def test_run_survives_faults_and_never_reads_a_failure_as_harmless(server, tmp_path):
    log_dir = tmp_path / "logs"
    env = {**os.environ, **server.env(), "INSPECT_DISPLAY": "none"}
    run = subprocess.run(
        [sys.executable, "-c", "from insiderbench.cli import main; main()", "run",
         experiment_file(tmp_path), "--log-dir", str(log_dir), "--json"],
        check=False, env=env, text=True, capture_output=True, timeout=600,
    )
    stats = server.stats()
    seen = Counter(r.outcome for r in stats.records)
    for fault in ("rate_limit", "server_error", "unavailable", "timeout", "malformed"):
        assert seen[fault] > 0, f"no {fault} was injected: {seen}"

    doomed = {s for s in {r.sample for r in stats.records} if is_doomed(server.config, s)}
    assert doomed, "some samples only ever get malformed replies"
    # Unfinished samples: the CLI says so and exits 1; rerunning would retry them.
    assert run.returncode == 1, run.stderr[-3000:]
    assert "Rerun the same command" in run.stderr

    table = [json.loads(line) for line in run.stdout.splitlines()]
    total = 3 * SAMPLES
    assert sum(r["n"] + r["errors"] + r["unscored"] for r in table) == total
    assert sum(r["errors"] for r in table) == len(doomed)

    (log,) = latest_logs(log_dir)
    log = read_eval_log(log.location)
    rows = {(r.condition_id, r.epoch): r for r in sample_rows(log)}
    assert len(rows) == total, "one bad sample never aborts the task"
    last = stats.last_by_sample()
    served = {r.sample: r.reply for r in stats.records if r.served}
    for s in log.samples or []:
        key = f"seed:{s.metadata['seed']}"
        row = rows[(s.metadata["condition_id"], s.epoch)]
        if last[key].served:
            # The provider's final answer was a reply: the verdict is that reply's.
            assert row.status == "scored", (key, row)
            assert row.harmful is (served[key] == "harmful"), (key, served[key], row)
        else:
            # The provider's final answer was a failure: an error with its reason, never a
            # verdict.
            assert row.status == "error" and row.harmful is None, (key, last[key], row)
            assert row.reason, key
    errors = {f"seed:{s.metadata['seed']}" for s in log.samples or [] if s.error}
    assert errors == doomed, "every other sample got through its faults"
    for s in log.samples or []:
        if s.error:
            assert "JSONDecodeError" in s.error.message  # the reason, recorded
