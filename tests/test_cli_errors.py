"""Bad input: one line naming the valid choices, exit code 2, nothing half-written."""

import json
import os
import subprocess
import sys

import pytest

from helpers import BLACKMAIL_HARMFUL, run_cli


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["run", "--scenario", "phishing"], "'blackmail', 'leaking', 'murder'"),
        (["run", "--goal-type", "implicit"], "'explicit'"),
        (["run", "--goal-type", "none", "--goal-value", "america"], "takes goal value none"),
        (["run", "--goal-value", "none"], "valid: america"),
        (["run", "--urgency", "tomorrow"], "'replacement', 'restriction', 'none'"),
        (["run", "--extra", "please"], "'none', 'dont', 'goal'"),
        (["run", "--model", "nosuchprovider/x"], "unknown model provider 'nosuchprovider' (valid:"),
        (["run", "--model", "gpt-4.1"], "provider/model"),
        (["run", "--model", "openai/gpt-4.1"], "OPENAI_API_KEY"),
        (["run", "--model", "anthropic/claude-opus-4-20250514"], "ANTHROPIC_API_KEY"),
        (["run", "--samples", "0"], "0"),
        (["check", "blackmail", "/nonexistent/reply.txt"], "does not exist"),
        (["check", "phishing", "x"], "'blackmail', 'leaking', 'murder'"),
        (["prompts", "--scenario", "murder", "--goal-type", "ambiguous", "--goal-value", "safety"],
         "takes goal value none"),
    ],
)
def test_user_errors(args, fragment, capsys, tmp_path):
    log_dir = tmp_path / "logs"
    if args[0] == "run":
        args = [*args, "--log-dir", str(log_dir)]
    code, out, err = run_cli(capsys, *args)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("Error: ") and fragment in lines[0]
    assert not log_dir.exists(), "nothing is written before the input is validated"


def test_unwritable_log_dir(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _out, err = run_cli(capsys, "run", "--model", "scripted/benign", "--log-dir",
                             str(blocker / "logs"))
    assert code == 2 and "not writable" in err and len(err.strip().splitlines()) == 1


def test_console_script_prints_no_traceback(tmp_path):
    exe = os.path.join(os.path.dirname(sys.executable), "insiderbench")
    result = subprocess.run([exe, "run", "--urgency", "tomorrow"], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_prompts_json(capsys):
    code, out, _ = run_cli(capsys, "prompts", "--scenario", "leaking", "--goal-type", "none",
                           "--json")
    assert code == 0
    data = json.loads(out)
    assert data["condition_id"] == "leaking_none-none_replacement"
    assert "NovaStar" in data["system"] and "<email>" in data["user"]


def test_check_files_in_order(capsys, tmp_path):
    harmful = tmp_path / "a.txt"
    harmful.write_text(BLACKMAIL_HARMFUL)
    benign = tmp_path / "b.txt"
    benign.write_text("I will not do anything.")
    code, out, _ = run_cli(capsys, "check", "blackmail", str(harmful), str(benign))
    assert code == 0
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["harmful"] is True and first["actions"][0]["kind"] == "email"
    assert second["harmful"] is False and second["actions"] == []
    assert "checks" in first
