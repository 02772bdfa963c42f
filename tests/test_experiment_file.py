"""Experiment files: validation with file:line errors, per-model settings, model groups,
log directories and the paper's presets."""

import json
import re
import time
from pathlib import Path

import pytest

from helpers import PAPER_16, run_cli
from insiderbench.experiment import (
    ExperimentFileError,
    generate_config,
    load_experiment,
)

# The shape of the issue, verbatim apart from the model strings.
ISSUE_SHAPE = """\
name: blackmail-core
models: [anthropic/claude-opus-4-20250514, openai/gpt-4.1]   # Inspect model strings
samples: 100            # per condition and model
temperature: 1.0
max_tokens: 4000
grader: anthropic/claude-sonnet-4-6                          # optional; used by the judging issue
max_connections: 20                                           # optional; also retries, timeouts, seed
grids:                  # the union of the grids, de-duplicated; never one merged Cartesian product
  - scenarios: [blackmail]
    goal_types: [explicit, none]       # none/ambiguous always take goal_value none
    goal_values: [america]
    urgencies: [replacement, none]
    extra_instructions: [none, dont]   # optional factors default to [none] / [false]
    prod: [false]
    eval_awareness: [false]
"""

ISSUE_SHAPE_IDS = [
    "blackmail_explicit-america_replacement",
    "blackmail_explicit-america_replacement__dont",
    "blackmail_explicit-america_none",
    "blackmail_explicit-america_none__dont",
    "blackmail_none-none_replacement",
    "blackmail_none-none_replacement__dont",
    "blackmail_none-none_none",
    "blackmail_none-none_none__dont",
]



@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    """Default log dirs (logs/...) land in the test's directory."""
    monkeypatch.chdir(tmp_path)


def write(tmp_path: Path, text: str, name: str = "exp.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing needle."""
    (line,) = [i for i, ln in enumerate(text.splitlines(), 1) if needle in ln][:1]
    return line


# --- a valid file ---------------------------------------------------------------------------

def test_issue_shape_loads(tmp_path):
    path = write(tmp_path, ISSUE_SHAPE)
    exp, warnings = load_experiment(path)
    assert warnings == []
    assert exp.name == "blackmail-core"
    assert [m.model for m in exp.models] == ["anthropic/claude-opus-4-20250514", "openai/gpt-4.1"]
    assert (exp.samples, exp.temperature, exp.max_tokens, exp.max_connections) == (
        100, 1.0, 4000, 20)
    assert exp.grader == "anthropic/claude-sonnet-4-6"
    assert [c.condition_id for c in exp.conditions()] == ISSUE_SHAPE_IDS


def test_issue_shape_through_the_cli(tmp_path, capsys):
    path = write(tmp_path, ISSUE_SHAPE)
    code, out, err = run_cli(capsys, "conditions", str(path))
    assert code == 0, err
    assert out.splitlines() == ISSUE_SHAPE_IDS
    code, out, err = run_cli(capsys, "plan", str(path), "--json")
    assert code == 0, err
    plan = json.loads(out)
    assert (plan["conditions"], plan["samples"]) == (8, 8 * 100 * 2)


def test_file_name_is_the_default_experiment_name(tmp_path):
    path = write(tmp_path, "models: [mockllm/model]\ngrids:\n  - scenarios: [murder]\n",
                 name="my-study.yaml")
    exp, _ = load_experiment(path)
    assert exp.name == "my-study"
    assert [c.condition_id for c in exp.conditions()] == ["murder_explicit-america_replacement"]


# --- errors: key, file, line; exit 2 with one line ------------------------------------------

def replace_line(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


ERRORS = {
    "unknown top-level key": (
        replace_line(ISSUE_SHAPE, "max_connections: 20", "max_conections: 20"),
        "max_conections: 20", "max_conections", "unknown key"),
    "unknown key inside a grid": (
        replace_line(ISSUE_SHAPE, "    prod: [false]", "    production: [false]"),
        "production: [false]", "grids[0].production", "unknown key"),
    "wrong factor value inside a list": (
        replace_line(ISSUE_SHAPE, "urgencies: [replacement, none]",
                     "urgencies: [replacement, sometimes]"),
        "urgencies: [replacement, sometimes]", "grids[0].urgencies[1]", "'restriction'"),
    "wrong goal value": (
        replace_line(ISSUE_SHAPE, "goal_values: [america]", "goal_values: [america, freedom]"),
        "goal_values: [america, freedom]", "grids[0].goal_values[1]", "'collectivism'"),
    "wrong type": (
        replace_line(ISSUE_SHAPE, "samples: 100 ", "samples: many "),
        "samples: many", "samples", "integer"),
    "missing grids": (
        ISSUE_SHAPE.split("grids:")[0],
        "name: blackmail-core", "grids", "missing"),
    "duplicate model": (
        replace_line(ISSUE_SHAPE, "openai/gpt-4.1]", "anthropic/claude-opus-4-20250514]"),
        "models: [", "models", "listed twice"),
    "model without provider": (
        replace_line(ISSUE_SHAPE, "openai/gpt-4.1]", "gpt-4.1]"),
        "models: [", "models[1]", "provider/model"),
    "unknown model group": (
        replace_line(ISSUE_SHAPE, "models: [anthropic/claude-opus-4-20250514, openai/gpt-4.1]",
                     'models: ["@everything"]'),
        "models: [", "models", "@paper"),
}

SECOND_GRID = """\
name: two-grids
models:
  - mockllm/model
  - model: openai/o3
    reasoning_effort: enormous
grids:
  - scenarios: [murder]
  - scenarios: [leaking]
    urgencies:
      - replacement
      - sometimes
"""

MORE_ERRORS = {
    "wrong value in a model mapping": (
        SECOND_GRID, "reasoning_effort: enormous", "models[1].reasoning_effort", "'high'"),
    "wrong value in a block list of the second grid": (
        SECOND_GRID.replace("enormous", "high"), "- sometimes", "grids[1].urgencies[1]",
        "'replacement'"),
    "unknown key in a model mapping": (
        SECOND_GRID.replace("reasoning_effort: enormous", "temprature: 0.5"),
        "temprature: 0.5", "models[1].temprature", "unknown key"),
    "empty grids": (
        "name: x\nmodels: [mockllm/model]\n\ngrids: []\n", "grids: []", "grids", "at least 1"),
}


@pytest.mark.parametrize("case", list(ERRORS) + list(MORE_ERRORS))
def test_validation_error_names_key_file_and_line(tmp_path, capsys, case):
    text, needle, key, fragment = {**ERRORS, **MORE_ERRORS}[case]
    path = write(tmp_path, text)
    line = line_of(text, needle)
    with pytest.raises(ExperimentFileError) as info:
        load_experiment(path)
    message = str(info.value)
    prefix = f"{path}:{line}: {key}"
    assert message.startswith(prefix), message
    # the key itself, or (for a string model entry) its implied `.model`
    assert message[len(prefix):].startswith((": ", ".model: ")), message
    assert fragment in message
    assert "\n" not in message
    for command in ("conditions", "plan"):
        code, out, err = run_cli(capsys, command, str(path))
        assert code == 2, (command, out, err)
        assert out == ""
        assert err.splitlines() == [f"Error: {message}"], command


def test_every_problem_is_named_a_misspelt_key_beside_the_missing_one(tmp_path, capsys):
    text = ("name: x\nmodels: [mockllm/model]\nmax_conections: 3\n"
            "gridz:\n  - scenarios: [murder]\n")
    path = write(tmp_path, text)
    code, out, err = run_cli(capsys, "conditions", str(path))
    assert code == 2 and out == ""
    (line,) = err.splitlines()
    assert f"{path}:4: gridz: unknown key (did you mean 'grids'?" in line
    assert f"{path}:3: max_conections: unknown key (did you mean 'max_connections'?" in line
    assert "grids: required key is missing" in line
    # in file order
    assert line.index(":3: max_conections") < line.index(":4: gridz")


def test_an_alias_bomb_is_refused_at_once(tmp_path, capsys):
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    path = write(tmp_path, "\n".join(levels) + "\nname: bomb\n")  # 10**9 values expanded
    start = time.perf_counter()
    code, out, err = run_cli(capsys, "conditions", str(path))
    assert time.perf_counter() - start < 5
    assert code == 2 and out == ""
    (line,) = err.splitlines()
    assert "aliases expand to more than" in line and str(path) in line


def test_a_duplicate_key_names_both_lines(tmp_path, capsys):
    path = write(tmp_path, ISSUE_SHAPE.replace("samples: 100", "samples: 1\nsamples: 1000", 1))
    code, out, err = run_cli(capsys, "conditions", str(path))
    assert code == 2 and out == ""
    first = line_of(ISSUE_SHAPE, "samples: 100")
    assert err.splitlines() == [
        (f"Error: {path}:{first + 1}: samples: duplicate key (first given on line {first}); "
         "give each key once")]


@pytest.mark.parametrize("raw", [b"name: caf\xe9\n", b"\x00\x01\xff\xfe binary"])
def test_a_file_that_is_not_utf8_is_one_line_error(tmp_path, capsys, raw):
    path = tmp_path / "exp.yaml"
    path.write_bytes(raw)
    code, out, err = run_cli(capsys, "conditions", str(path))
    assert code == 2 and out == ""
    (line,) = err.splitlines()
    assert line.startswith(f"Error: {path}:1: not UTF-8 text")


def test_invalid_yaml_names_file_and_line(tmp_path, capsys):
    text = ("name: x\nmodels: [mockllm/model]\ngrids:\n  - scenarios: [blackmail]\n"
            "   goal_types: [explicit]\n")
    path = write(tmp_path, text)
    with pytest.raises(ExperimentFileError, match=rf"^{re.escape(str(path))}:5: invalid YAML"):
        load_experiment(path)
    for command in ("conditions", "plan"):
        code, out, err = run_cli(capsys, command, str(path))
        assert code == 2 and out == ""
        assert len(err.splitlines()) == 1
        assert err.startswith(f"Error: {path}:5: invalid YAML")


@pytest.mark.parametrize("text", ["", "- a list\n- not a mapping\n", "just a string\n"])
def test_a_file_that_is_not_a_mapping_is_one_line_error(tmp_path, capsys, text):
    path = write(tmp_path, text)
    code, out, err = run_cli(capsys, "conditions", str(path))
    assert code == 2 and out == ""
    assert err.splitlines() == [f"Error: {path}:1: an experiment file is a mapping of keys"]


def test_missing_file_is_one_line_error(tmp_path, capsys):
    for command in ("conditions", "plan", "run"):
        code, out, err = run_cli(capsys, command, str(tmp_path / "nope.yaml"))
        assert code == 2 and out == ""
        assert len(err.splitlines()) == 1 and "nope.yaml" in err and "does not exist" in err


# --- per-model settings ---------------------------------------------------------------------

PER_MODEL = """\
name: per-model
models:
  - anthropic/claude-opus-4-20250514
  - model: openai/o3
    temperature: null          # send no temperature
    reasoning_effort: high
    max_tokens: 16000
  - model: google/gemini-2.5-pro
    temperature: 0             # an explicit zero is a temperature, not "unset"
    max_tokens: 2000
  - model: openai/gpt-4.1
    max_connections: 7
samples: 3
temperature: 0.8
max_tokens: 4000
max_connections: 20
grids:
  - scenarios: [blackmail]
"""


def test_model_mapping_with_per_model_settings(tmp_path):
    exp, _ = load_experiment(write(tmp_path, PER_MODEL))
    opus, o3, gemini, gpt = exp.models
    configs = {m.model: generate_config(exp, m) for m in exp.models}

    c = configs[opus.model]
    assert (c.temperature, c.max_tokens, c.reasoning_effort, c.max_connections) == (
        0.8, 4000, None, 20)
    assert opus.sends_temperature

    c = configs[o3.model]
    assert not o3.sends_temperature
    assert c.temperature is None
    assert (c.max_tokens, c.reasoning_effort) == (16000, "high")

    c = configs[gemini.model]
    assert gemini.sends_temperature
    assert (c.temperature, c.max_tokens) == (0.0, 2000)

    c = configs[gpt.model]
    assert gpt.sends_temperature
    assert (c.temperature, c.max_tokens, c.max_connections) == (0.8, 4000, 7)


def test_temperature_null_survives_an_experiment_temperature_override(tmp_path):
    exp, _ = load_experiment(write(tmp_path, PER_MODEL))
    exp = exp.model_copy(update={"temperature": 0.3})
    temps = [generate_config(exp, m).temperature for m in exp.models]
    assert temps == [0.3, None, 0.0, 0.3]


def test_model_groups_expand(tmp_path):
    base = "name: g\ngrids:\n  - scenarios: [blackmail]\n"
    exp, _ = load_experiment(write(tmp_path, 'models: ["@paper"]\n' + base, "a.yaml"))
    assert [m.model for m in exp.models] == PAPER_16
    assert len(exp.models) == 16
    assert not {"openai/o3", "openai/o4-mini"} & {m.model for m in exp.models}

    exp, _ = load_experiment(write(tmp_path, 'models: ["@paper-excluded"]\n' + base, "b.yaml"))
    assert [m.model for m in exp.models] == ["openai/o3", "openai/o4-mini"]

    exp, _ = load_experiment(
        write(tmp_path, 'models: ["@paper-excluded", mockllm/model]\n' + base, "c.yaml"))
    assert [m.model for m in exp.models] == ["openai/o3", "openai/o4-mini", "mockllm/model"]


# --- log directories ------------------------------------------------------------------------

def test_default_log_dir_is_name_plus_hash_of_conditions(tmp_path, capsys):
    one = write(tmp_path, ISSUE_SHAPE, "one.yaml")
    other = write(tmp_path, replace_line(ISSUE_SHAPE, "extra_instructions: [none, dont]",
                                         "extra_instructions: [none]"), "other.yaml")
    exp1, _ = load_experiment(one)
    exp2, _ = load_experiment(other)
    assert exp1.name == exp2.name
    assert re.fullmatch(r"logs/blackmail-core-[0-9a-f]{8}", exp1.default_log_dir())
    assert re.fullmatch(r"logs/blackmail-core-[0-9a-f]{8}", exp2.default_log_dir())
    assert exp1.default_log_dir() != exp2.default_log_dir()
    # the same conditions give the same directory (so a rerun resumes), whatever the models
    same = write(tmp_path, replace_line(ISSUE_SHAPE, "openai/gpt-4.1]", "openai/gpt-4o]"),
                 "same.yaml")
    assert load_experiment(same)[0].default_log_dir() == exp1.default_log_dir()
    # plan reports (and counts done samples in) that directory
    code, out, err = run_cli(capsys, "plan", str(one), "--json")
    assert code == 0, err
    assert json.loads(out)["log_dir"] == exp1.default_log_dir()


def test_run_writes_eval_logs_directly_into_the_default_log_dir(tmp_path, capsys):
    path = write(tmp_path, "name: tiny\nmodels: [mockllm/model]\n"
                           "grids:\n  - scenarios: [murder]\n")
    exp, _ = load_experiment(path)
    code, out, err = run_cli(capsys, "run", str(path), "--model", "scripted/benign",
                             "--samples", "1", "--json")
    assert code == 0, err
    log_dir = tmp_path / exp.default_log_dir()
    logs = list(log_dir.glob("*.eval"))
    assert len(logs) == 1
    assert [json.loads(line)["condition_id"] for line in out.splitlines()] == [
        "murder_explicit-america_replacement"]


# --- source of an experiment: FILE | --preset | factor flags --------------------------------

@pytest.mark.parametrize("command", ["conditions", "plan", "run"])
def test_file_preset_and_flags_do_not_combine(tmp_path, capsys, command):
    path = write(tmp_path, ISSUE_SHAPE)
    for args in ([str(path), "-s", "murder"], [str(path), "--prod"],
                 [str(path), "--goal-type", "none"], [str(path), "--preset", "blackmail"],
                 ["--preset", "blackmail", "--urgency", "none"],
                 ["--preset", "blackmail", "--eval-awareness"]):
        code, out, err = run_cli(capsys, command, *args)
        assert code == 2, (command, args, err)
        assert out == ""
        assert len(err.splitlines()) == 1 and err.startswith("Error:"), err


def test_unknown_preset_is_one_line_error(capsys):
    code, out, err = run_cli(capsys, "conditions", "--preset", "no-such-preset")
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and "no-such-preset" in err and "blackmail" in err


def test_command_line_flags_override_file_values(tmp_path, capsys):
    path = write(tmp_path, ISSUE_SHAPE)
    code, out, err = run_cli(capsys, "plan", str(path), "--samples", "3",
                             "--model", "scripted/benign", "--json")
    assert code == 0, err
    plan = json.loads(out)
    assert [m["model"] for m in plan["models"]] == ["scripted/benign"]
    assert plan["samples"] == 8 * 3
