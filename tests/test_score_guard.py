"""`score` refuses, before calling any grader, to re-grade logs it cannot write back (issue
13, item 4: it made every grader call and then died with a traceback)."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

import graders
from helpers import run_cli


@pytest.fixture(autouse=True)
def _quiet(monkeypatch):
    monkeypatch.setenv("INSPECT_DISPLAY", "none")


def make_read_only(paths: list[Path]) -> None:
    """Read-only even for root (who ignores permission bits): the immutable attribute."""
    if os.geteuid() != 0:
        for p in paths:
            p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
        return
    if subprocess.run(["chattr", "+i", *map(str, paths)], capture_output=True, check=False).returncode:
        pytest.skip("running as root where chattr +i is not available")


def make_writable(paths: list[Path]) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", *map(str, paths)], capture_output=True, check=False)
    else:
        for p in paths:
            p.chmod(p.stat().st_mode | stat.S_IWUSR)


@pytest.mark.parametrize("what", ["dir", "log"])
def test_score_on_read_only_logs_calls_no_grader(tmp_path, capsys, what):
    log_dir = tmp_path / "logs"
    code, _out, err = run_cli(capsys, "run", "--model", "scripted/blackmail", "-s", "blackmail",
                              "--samples", "2", "--log-dir", str(log_dir), "--json")
    assert code == 0, err
    logs = sorted(log_dir.glob("*.eval"))
    assert logs
    locked = [log_dir] if what == "dir" else logs
    before = graders.CALLS["judgebot/yes"]
    make_read_only(locked)
    try:
        code, out, err = run_cli(capsys, "score", str(log_dir), "--grader", "judgebot/yes")
    finally:
        make_writable(locked)
    assert code == 2, err
    assert graders.CALLS["judgebot/yes"] == before, "no grader was called"
    assert "Traceback" not in err
    (line,) = [ln for ln in err.splitlines() if ln.strip()][-1:]
    assert line.startswith("Error: ") and "not writable" in line, err
    assert out == ""
