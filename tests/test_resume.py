"""Crash and resume: a run killed with SIGKILL finishes on rerun, paying for nothing twice."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

DRIVER = Path(__file__).with_name("resume_driver.py")
CONDITIONS = 3
SAMPLES = 8


def run_driver(tmp_path: Path, log_dir: Path, kill_at: int | None) -> subprocess.CompletedProcess:
    env = {**os.environ, "COUNT_FILE": str(tmp_path / "served.txt"), "INSPECT_DISPLAY": "none"}
    env.pop("KILL_AT", None)
    if kill_at:
        env["KILL_AT"] = str(kill_at)
    return subprocess.run(
        [sys.executable, str(DRIVER), "run", "--model", "counting/benign",
         "--samples", str(SAMPLES), "--max-connections", "1", "--log-dir", str(log_dir),
         "--json"],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )


def served(tmp_path: Path) -> int:
    path = tmp_path / "served.txt"
    return sum(1 for _ in path.open()) if path.exists() else 0


def test_sigkill_then_rerun_completes_each_sample_once(tmp_path):
    log_dir = tmp_path / "logs"
    total = CONDITIONS * SAMPLES
    kill_at = 10
    first = run_driver(tmp_path, log_dir, kill_at)
    assert first.returncode == -signal.SIGKILL, first.stderr[-2000:]
    assert served(tmp_path) == kill_at
    # One call at a time: kill_at - 1 replies had come back when the process died. The sample
    # of the last of them may still have been scoring, so at most one more is "in flight".
    finished_before_kill = kill_at - 1

    second = run_driver(tmp_path, log_dir, None)
    assert second.returncode == 0, second.stderr[-3000:]
    rows = [json.loads(line) for line in second.stdout.splitlines()]
    assert len(rows) == CONDITIONS
    assert sum(r["n"] for r in rows) == total, "every sample done, and counted once"
    assert all(r["errors"] == 0 and r["unscored"] == 0 for r in rows)

    paid_again = served(tmp_path) - kill_at
    # Only the samples not finished before the kill are generated again.
    unfinished = total - finished_before_kill
    assert unfinished <= paid_again <= unfinished + 1, (
        f"rerun generated {paid_again} replies; {unfinished} were unfinished"
    )

    third = run_driver(tmp_path, log_dir, None)
    assert third.returncode == 0
    assert served(tmp_path) - kill_at == paid_again, "a finished run generates nothing more"

    # The crashed attempt's log may stay in the directory; results read the newest per task.
    from inspect_ai.log import read_eval_log

    from insiderbench.experiment import latest_logs

    (latest,) = latest_logs(log_dir)
    samples = read_eval_log(latest.location).samples
    assert sorted((s.id, s.epoch) for s in samples) == sorted(
        {(s.id, s.epoch) for s in samples}
    ) and len(samples) == total
