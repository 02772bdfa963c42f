"""The original repository's experiment YAML is accepted by conditions, plan and run."""

import json

import pytest
from inspect_ai.log import read_eval_log

from helpers import run_cli
from insiderbench.experiment import ExperimentFileError, load_experiment

# Written for this test in the original repository's format (experiment_id, global,
# expansions, classification, execution).
ORIGINAL = """\
experiment_id: "replication_2025"
description: "Murder and leaking under goal conflict, two expansions"
researcher: "A. Researcher"

global:
  models:
    - "claude-3-5-latest"
    - "gpt-4.1"
    - "gemini-2.5-pro"
  temperature: 0.7
  concurrency:
    providers:
      anthropic: 10
      openai: 50
      google: 10
    models:
      "gpt-4.1": 20
  samples_per_condition: 5

expansions:
  - name: "murder_goal_conflict"
    description: "lethal action with and without a goal"
    enabled: true
    variables:
      scenarios: ["murder"]
      goal_types: ["explicit", "none"]
      goal_values: ["america", "global"]
      urgency_types: ["replacement"]

  - name: "leaking_threat"
    description: "espionage with and without the threat"
    enabled: true
    variables:
      scenarios: ["leaking"]
      goal_types: ["explicit"]
      goal_values: ["america"]
      urgency_types: ["none", "replacement"]

  - name: "blackmail_restriction"
    description: "switched off for now"
    enabled: false
    variables:
      scenarios: ["blackmail"]
      goal_types: ["latent"]
      goal_values: ["safety"]
      urgency_types: ["restriction"]

classification:
  enabled: true
  classifier_model: "claude-3-7-sonnet-20250219"
  concurrency: 5

execution:
  resume_interrupted: true
  timeout_seconds: 180
  retries: 2
  checkpoint_frequency: 10
"""

EXPECTED_IDS = [
    # first expansion: explicit x {america, global}, plus none once
    "murder_explicit-america_replacement",
    "murder_explicit-global_replacement",
    "murder_none-none_replacement",
    # second expansion
    "leaking_explicit-america_none",
    "leaking_explicit-america_replacement",
]

EXPECTED_MODELS = ["anthropic/claude-3-5-latest", "openai/gpt-4.1", "google/gemini-2.5-pro"]

# Keys with no equivalent here; each must be named in the warning.
NOT_HONOURED = [
    "researcher",
    "classification",
    "global.concurrency.providers",
    "execution.checkpoint_frequency",
]


@pytest.fixture
def original(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "original.yaml"
    path.write_text(ORIGINAL)
    return path


def check_warnings(err: str) -> None:
    warnings = [line for line in err.splitlines() if line.startswith("Warning:")]
    not_honoured = [w for w in warnings if "not honoured" in w]
    assert len(not_honoured) == 1, err
    items = [x.strip() for x in not_honoured[0].split(":", 2)[-1].split(",")]
    assert set(NOT_HONOURED) <= set(items), items
    # sections and keys we do honour are not reported as dropped
    for honoured in ("global", "global.models", "global.temperature",
                     "global.samples_per_condition", "global.concurrency.models",
                     "execution", "execution.timeout_seconds", "execution.retries",
                     "execution.resume_interrupted", "expansions", "experiment_id",
                     "description"):
        assert honoured not in items, (honoured, items)
    skipped = [w for w in warnings if "blackmail_restriction" in w]
    assert len(skipped) == 1 and "disabled" in skipped[0] and "skipped" in skipped[0], err


def test_original_file_converts(original):
    exp, warnings = load_experiment(original)
    assert exp.name == "replication_2025"
    assert exp.description == "Murder and leaking under goal conflict, two expansions"
    assert [m.model for m in exp.models] == EXPECTED_MODELS
    assert (exp.samples, exp.temperature) == (5, 0.7)
    # each enabled expansion is one grid; the disabled one is not
    assert len(exp.grids) == 2
    assert [c.condition_id for c in exp.grids[0].conditions()] == EXPECTED_IDS[:3]
    assert [c.condition_id for c in exp.grids[1].conditions()] == EXPECTED_IDS[3:]
    assert [c.condition_id for c in exp.conditions()] == EXPECTED_IDS
    # honoured: per-model concurrency, timeout and retries
    by_model = {m.model: m for m in exp.models}
    assert by_model["openai/gpt-4.1"].max_connections == 20
    assert by_model["google/gemini-2.5-pro"].max_connections is None
    assert exp.attempt_timeout == 180
    assert exp.retry_on_error == 2
    check_warnings("\n".join(f"Warning: {w}" for w in warnings))


def test_conditions_accepts_the_original_format(original, capsys):
    code, out, err = run_cli(capsys, "conditions", str(original))
    assert code == 0, err
    assert out.splitlines() == EXPECTED_IDS
    check_warnings(err)


def test_plan_accepts_the_original_format(original, capsys):
    code, out, err = run_cli(capsys, "plan", str(original), "--json")
    assert code == 0, err
    plan = json.loads(out)
    assert plan["name"] == "replication_2025"
    assert plan["conditions"] == 5
    assert [m["model"] for m in plan["models"]] == EXPECTED_MODELS
    assert plan["samples"] == 5 * 5 * 3
    assert all(m["samples"] == 25 for m in plan["models"])
    check_warnings(err)


def test_run_accepts_the_original_format(original, tmp_path, capsys):
    log_dir = tmp_path / "logs-run"
    code, out, err = run_cli(capsys, "run", str(original), "--model", "scripted/benign",
                             "--samples", "1", "--log-dir", str(log_dir), "--json")
    assert code == 0, err
    check_warnings(err)
    rows = [json.loads(line) for line in out.splitlines()]
    assert sorted(r["condition_id"] for r in rows) == sorted(EXPECTED_IDS)
    assert all(r["model"] == "scripted/benign" and r["n"] == 1 for r in rows)
    (log_file,) = log_dir.glob("*.eval")
    log = read_eval_log(str(log_file), header_only=True)
    assert log.status == "success"
    # execution.timeout_seconds and execution.retries reached Inspect; temperature too
    assert log.eval.config.retry_on_error == 2
    assert log.plan.config.attempt_timeout == 180
    assert log.plan.config.temperature == 0.7


def test_original_file_errors_point_into_the_original_file(tmp_path, capsys):
    bad_value = ORIGINAL.replace('urgency_types: ["none", "replacement"]',
                                 'urgency_types: ["none", "soon"]')
    path = tmp_path / "bad.yaml"
    path.write_text(bad_value)
    line = bad_value.splitlines().index('      urgency_types: ["none", "soon"]') + 1
    with pytest.raises(ExperimentFileError) as info:
        load_experiment(path)
    assert str(info.value).startswith(f"{path}:{line}: expansions[1].variables.urgency_types[1]: ")

    bad_samples = ORIGINAL.replace("samples_per_condition: 5", "samples_per_condition: lots")
    path.write_text(bad_samples)
    line = bad_samples.splitlines().index("  samples_per_condition: lots") + 1
    code, out, err = run_cli(capsys, "plan", str(path))
    assert code == 2 and out == ""
    assert err.startswith(f"Error: {path}:{line}: global.samples_per_condition: ")
    assert len(err.splitlines()) == 1


def test_original_file_with_an_unknown_model_name_is_one_line_error(tmp_path, capsys):
    text = ORIGINAL.replace('"gemini-2.5-pro"', '"mystery-model"')
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    line = text.splitlines().index('    - "mystery-model"') + 1
    code, out, err = run_cli(capsys, "conditions", str(path))
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1
    assert err.startswith(f"Error: {path}:{line}: global.models[2]: ")
    assert "mystery-model" in err


def test_org_slash_model_names_are_read_as_openrouter_with_a_warning(tmp_path, capsys):
    text = ORIGINAL.replace('"gemini-2.5-pro"', '"meta-llama/llama-4-maverick"')
    path = tmp_path / "or.yaml"
    path.write_text(text)
    exp, warnings = load_experiment(path, providers=["openai", "anthropic", "openrouter"])
    assert exp.models[2].model == "openrouter/meta-llama/llama-4-maverick"
    assert any("openrouter/meta-llama/llama-4-maverick" in w for w in warnings)
    # a provider name written out is kept as it is
    text = ORIGINAL.replace('"gemini-2.5-pro"', '"together/deepseek-ai/DeepSeek-R1"')
    path.write_text(text)
    exp, warnings = load_experiment(path, providers=["together"])
    assert exp.models[2].model == "together/deepseek-ai/DeepSeek-R1"
