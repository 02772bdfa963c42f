"""`run` refuses to generate a sharded run's samples again just to judge them differently,
as it does for a one-process run (`check_judging_matches` reads each shard's log)."""

from __future__ import annotations

from helpers import run_cli
from insiderbench.experiment import latest_logs


def test_a_sharded_dir_is_not_regenerated_to_change_the_judge(tmp_path, capsys):
    log_dir = str(tmp_path / "logs")
    args = ("run", "--model", "mockllm/model", "-s", "blackmail", "-s", "leaking",
            "--samples", "1", "--workers", "2", "--log-dir", log_dir)
    code, _, err = run_cli(capsys, *args)
    assert code == 0, err
    made = sorted(str(log.location) for log in latest_logs(log_dir))
    assert len(made) == 2, "one log per shard"

    code, _, err = run_cli(capsys, *args, "--grader", "mockllm/model")
    last = err.strip().splitlines()[-1]
    assert code == 2, err
    assert "made without a judge" in last and "insiderbench score" in last
    assert sorted(str(log.location) for log in latest_logs(log_dir)) == made, "nothing ran"
