"""Mistakes in a command's input are one-line errors with exit code 2, never a silent default
or a traceback (issue 13, "Never a traceback, never a silent default")."""

import pytest

from helpers import run_cli

BOGUS_MODELS = "name: x\nmodels: [bogus/m]\ngrids:\n  - scenarios: [murder]\n"


def one_line_error(capsys, *args: str) -> str:
    code, out, err = run_cli(capsys, *args)
    assert code == 2, (out, err)
    assert out == ""
    lines = err.splitlines()
    assert lines and lines[-1].startswith("Error: ") and "Traceback" not in err, err
    return lines[-1]


def test_a_missing_required_option_is_one_line(capsys):
    code, out, err = run_cli(capsys, "prompts")
    assert code == 2 and out == ""
    assert err.splitlines() == [
        "Error: Missing option '--scenario' / '-s'. Choose from: blackmail, leaking, murder, exfiltration, tampering, oversight"]


@pytest.mark.parametrize("command", ["run", "plan"])
def test_an_empty_log_dir_is_refused(capsys, command):
    message = one_line_error(capsys, command, "-s", "murder", "--model", "mockllm/model",
                             "--log-dir", "")
    assert "--log-dir is empty" in message


@pytest.mark.parametrize("command", ["run", "plan"])
def test_a_log_dir_that_is_a_file_is_refused(tmp_path, capsys, command):
    path = tmp_path / "passwd"
    path.write_text("root:x:0:0\n")
    message = one_line_error(capsys, command, "-s", "murder", "--model", "mockllm/model",
                             "--log-dir", str(path))
    assert message == f"Error: log dir {str(path)!r} is a file, not a directory"


def test_temperature_above_two_is_refused(tmp_path, capsys):
    message = one_line_error(capsys, "run", "-s", "murder", "--model", "mockllm/model",
                             "--temperature", "5", "--log-dir", str(tmp_path))
    assert "'--temperature'" in message and "2.0" in message
    exp = tmp_path / "exp.yaml"
    exp.write_text(BOGUS_MODELS.replace("bogus/m", "mockllm/model") + "temperature: 3\n")
    assert "temperature: Input should be less than or equal to 2" in one_line_error(
        capsys, "conditions", str(exp))


def test_plan_refuses_unknown_providers_in_a_file_and_in_grader(tmp_path, capsys):
    exp = tmp_path / "exp.yaml"
    exp.write_text(BOGUS_MODELS)
    assert "unknown model provider 'bogus'" in one_line_error(capsys, "plan", str(exp))
    assert "unknown model provider 'bogus2'" in one_line_error(
        capsys, "plan", "-s", "murder", "--grader", "bogus2/x")


def test_report_of_a_dir_of_garbage_fails(tmp_path, capsys):
    (tmp_path / "2026-x_agentic-misalignment_abc.eval").write_text("junk")
    code, _out, err = run_cli(capsys, "report", str(tmp_path))
    assert code == 2
    assert "Warning: not read through: 2026-x_agentic-misalignment_abc.eval" in err
    assert err.splitlines()[-1] == (f"Error: no log in {str(tmp_path)!r} could be read "
                                    "(1 unreadable, named above)")


def test_run_into_a_dir_with_a_truncated_log_is_one_line(tmp_path, capsys):
    (tmp_path / "2026-x_agentic-misalignment_abc.eval").write_bytes(b"PK\x03\x04cut")
    message = one_line_error(capsys, "run", "-s", "murder", "--model", "mockllm/model",
                             "--log-dir", str(tmp_path))
    assert "holds a log that cannot be read (2026-x_agentic-misalignment_abc.eval" in message
