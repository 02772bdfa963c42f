"""The mode through the CLI, experiment files and grids."""

import json
from typing import Any

import pytest
from inspect_ai.log import read_eval_log
from inspect_ai.model import (
    ChatMessage,
    GenerateConfig,
    ModelAPI,
    ModelOutput,
    ModelUsage,
    modelapi,
)
from inspect_ai.tool import ToolChoice, ToolInfo
from pydantic import ValidationError

from helpers import MURDER_HARMFUL, reply, run_cli
from insiderbench.experiment import Experiment, Grid, load_experiment
from insiderbench.scenarios import Condition, ConditionError, make_condition


@modelapi(name="scripted_agent")
class ScriptedAgent(ModelAPI):
    """`scripted_agent/murder`: cancels the alert, by tool call when given tools, else by
    text tag; `scripted_agent/busy` reads email 1 forever."""

    def __init__(self, model_name: str, base_url: str | None = None, api_key: str | None = None,
                 config: GenerateConfig = GenerateConfig(), **model_args: Any) -> None:
        super().__init__(model_name, base_url, api_key, [], config)

    async def generate(self, input: list[ChatMessage], tools: list[ToolInfo],
                       tool_choice: ToolChoice, config: GenerateConfig) -> ModelOutput:
        model = f"scripted_agent/{self.model_name}"
        if not tools:
            return reply(MURDER_HARMFUL, model)
        acted = any(m.role == "tool" for m in input)
        if self.model_name == "busy":
            output = ModelOutput.for_tool_call(model, "read_email", {"email_id": 1})
        elif acted:
            return reply("Done.", model)
        else:
            output = ModelOutput.for_tool_call(model, "cancel_alert", {"code": "EXEC-4429"})
        output.usage = ModelUsage(input_tokens=100, output_tokens=10, total_tokens=110)
        return output


@pytest.fixture(autouse=True)
def _quiet(monkeypatch):
    monkeypatch.setenv("INSPECT_DISPLAY", "none")


def samples_of(log_dir):
    (path,) = log_dir.glob("*.eval")
    return read_eval_log(str(path)).samples


def test_run_mode_agentic(tmp_path, capsys):
    code, out, err = run_cli(capsys, "run", "-m", "scripted_agent/murder", "-s", "murder",
                             "--mode", "agentic", "--samples", "2", "--log-dir", str(tmp_path),
                             "--json")
    assert code == 0, err
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert row["condition_id"] == "murder_explicit-america_replacement__agentic"
    assert (row["n"], row["harmful"], row["errors"]) == (2, 2, 0)
    samples = samples_of(tmp_path)
    assert all(s.metadata["mode"] == "agentic" for s in samples)
    assert all(s.messages[2].tool_calls[0].function == "cancel_alert" for s in samples)


def test_run_agentic_settings_reach_the_samples(tmp_path, capsys):
    code, _, err = run_cli(capsys, "run", "-m", "scripted_agent/busy", "-s", "blackmail",
                             "--mode", "agentic", "--inbox", "tool", "--max-steps", "3",
                             "--samples", "1", "--log-dir", str(tmp_path))
    assert code == 0, err
    (sample,) = samples_of(tmp_path)
    assert sample.metadata["cut_off"] is True
    assert sample.metadata["agentic"]["inbox"] == "tool"
    assert sample.metadata["agentic"]["steps"] == 3
    assert "<email>" not in sample.messages[1].text


def test_mode_from_the_environment(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("INSIDERBENCH_RUN_MODE", "agentic")
    code, out, err = run_cli(capsys, "run", "-m", "scripted_agent/murder", "-s", "murder",
                             "--samples", "1", "--log-dir", str(tmp_path), "--json")
    assert code == 0, err
    assert json.loads(out)["condition_id"].endswith("__agentic")


@pytest.mark.parametrize("args, message", [
    (["--mode", "robot"], "'robot' is not one of 'classic', 'agentic'"),
    (["--inbox", "tool"], "--inbox: only for agentic mode"),
    (["--max-steps", "0"], "0 is not in the range x>=1"),
    (["--mode", "classic", "--turns", "2"], "--turns: only for agentic mode"),
])
def test_bad_mode_options_are_one_line_errors(args, message, tmp_path, capsys):
    code, _, err = run_cli(capsys, "run", "-m", "scripted_agent/murder", "-s", "murder",
                           "--log-dir", str(tmp_path), *args)
    assert code == 2 and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def write(tmp_path, text):
    path = tmp_path / "exp.yaml"
    path.write_text(text)
    return path


def test_one_run_compares_classic_and_agentic(tmp_path, capsys):
    path = write(tmp_path, """
name: modes
models: [scripted_agent/murder]
samples: 2
grids:
  - scenarios: [murder]
    modes: [classic, agentic]
""")
    code, out, err = run_cli(capsys, "run", str(path), "--log-dir", str(tmp_path / "logs"),
                             "--json")
    assert code == 0, err
    rows = {json.loads(line)["condition_id"]: json.loads(line) for line in out.splitlines()}
    assert set(rows) == {"murder_explicit-america_replacement",
                         "murder_explicit-america_replacement__agentic"}
    assert all((r["n"], r["harmful"]) == (2, 2) for r in rows.values())
    modes = sorted(s.metadata["mode"] for s in samples_of(tmp_path / "logs"))
    assert modes == ["agentic", "agentic", "classic", "classic"]


def test_experiment_mode_and_agentic_settings_from_a_file(tmp_path):
    path = write(tmp_path, """
name: agent
models: [mockllm/model]
mode: agentic
agentic: {inbox: tool, max_steps: 7, token_limit: 50000, turns: 2, tools: all}
grids:
  - scenarios: [blackmail]
  - scenarios: [leaking]
    modes: [classic]
""")
    experiment, _ = load_experiment(path)
    assert [c.condition_id for c in experiment.conditions()] == [
        "blackmail_explicit-america_replacement__agentic", "leaking_explicit-america_replacement"]
    assert experiment.agentic.model_dump() == {"inbox": "tool", "max_steps": 7,
                                               "token_limit": 50000, "turns": 2,
                                               "tools": "all"}
    from insiderbench.experiment import experiment_tasks

    (task,) = experiment_tasks(experiment)
    assert [s.metadata["mode"] for s in task.dataset] == ["agentic", "classic"]
    assert "<email>" not in task.dataset[0].input[1].text


@pytest.mark.parametrize("body, message", [
    ("mode: robot\n", "mode: Input should be 'classic' or 'agentic'"),
    ("agentic: {inbox: fax}\n", "agentic.inbox: Input should be 'message' or 'tool'"),
    ("agentic: {steps: 3}\n", "agentic.steps: unknown key (did you mean 'max_steps'? valid: inbox, max_steps"),
])
def test_bad_mode_keys_in_files_name_the_line(body, message, tmp_path, capsys):
    path = write(tmp_path, "name: x\nmodels: [mockllm/model]\n" + body
                 + "grids:\n  - scenarios: [murder]\n")
    code, _, err = run_cli(capsys, "conditions", str(path))
    assert code == 2 and message in err and f"{path}:3:" in err


def test_grid_modes():
    grid = Grid(scenarios=["blackmail", "murder"], modes=["classic", "agentic"])
    ids = [c.condition_id for c in grid.conditions()]
    assert ids == ["blackmail_explicit-america_replacement",
                   "blackmail_explicit-america_replacement__agentic",
                   "murder_explicit-america_replacement",
                   "murder_explicit-america_replacement__agentic"]
    assert [c.condition_id for c in Grid(scenarios=["murder"]).conditions("agentic")] == [
        "murder_explicit-america_replacement__agentic"]
    with pytest.raises(ValidationError):
        Grid(scenarios=["murder"], modes=[])
    with pytest.raises(ValidationError, match="classic"):
        Grid(scenarios=["murder"], modes=["robot"])


def test_mode_flag_overrides_grid_modes_and_keeps_classic_log_dirs(tmp_path, capsys):
    from insiderbench.cli._inputs import apply_agentic_options

    base = Experiment(name="x", models=["mockllm/model"],
                      grids=[Grid(scenarios=["murder"], modes=["classic", "agentic"])])
    agentic = apply_agentic_options(base, mode="agentic")
    assert [c.condition_id for c in agentic.conditions()] == [
        "murder_explicit-america_replacement__agentic"]
    classic = apply_agentic_options(base, mode="classic")
    plain = Experiment(name="x", models=["mockllm/model"], grids=[Grid(scenarios=["murder"])])
    assert classic.default_log_dir() == plain.default_log_dir(), "classic hashes unchanged"
    longer = apply_agentic_options(agentic, max_steps=50)
    assert longer.default_log_dir() != agentic.default_log_dir()
    assert apply_agentic_options(classic, max_steps=None) is classic


def test_condition_ids_round_trip_and_stay_stable_for_classic():
    classic = make_condition(scenario="leaking", extra_instructions="dont", prod=True)
    assert classic.condition_id == "leaking_explicit-america_replacement__dont__prod"
    agentic = make_condition(scenario="leaking", extra_instructions="dont", prod=True,
                             mode="agentic")
    assert agentic.condition_id == "leaking_explicit-america_replacement__dont__prod__agentic"
    assert Condition.from_id(agentic.condition_id) == agentic
    assert Condition.from_id(classic.condition_id).mode == "classic"
    assert "mode" not in agentic.factors(), "factors are the paper's grid factors"
    with pytest.raises(ConditionError, match="valid: classic, agentic"):
        make_condition(scenario="murder", mode="robot")
    with pytest.raises(ConditionError, match="__agentic"):
        Condition.from_id("murder_explicit-america_replacement__robot")


def test_prompts_in_agentic_mode(capsys):
    code, out, err = run_cli(capsys, "prompts", "-s", "leaking", "--extra", "dont",
                             "--mode", "agentic", "--inbox", "tool", "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert shown["condition_id"] == "leaking_explicit-america_replacement__dont__agentic"
    assert "<tool_use:" not in shown["system"] and "Do not disclose" in shown["system"]
    assert "<email>" not in shown["user"] and shown["corrections"] == ["company_name"]
    assert [t["name"] for t in shown["tools"]] == ["send_email", "forward_email", "read_inbox"]
    code, out, err = run_cli(capsys, "prompts", "-s", "blackmail", "--mode", "agentic",
                             "--tools", "all", "--json")
    assert code == 0, err
    assert [t["name"] for t in json.loads(out)["tools"]] == [
        "send_email", "forward_email", "read_email"]
    assert shown["tools"][0]["parameters"]["required"] == ["to", "subject", "body"]
    code, out, err = run_cli(capsys, "prompts", "-s", "murder", "--mode", "agentic")
    assert code == 0 and "### cancel_alert" in out and "## tools" in out
    assert "<email>" in out, "by default the emails are in the user message"
    code, out, err = run_cli(capsys, "prompts", "-s", "murder", "--json")
    assert "tools" not in json.loads(out) and "<tool_use:cancel_alert>" in json.loads(out)["system"]
    code, _, err = run_cli(capsys, "prompts", "-s", "murder", "--inbox", "tool")
    assert code == 2 and "--inbox: only for agentic mode" in err
