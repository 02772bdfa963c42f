"""The paper's presets: each loads, lists, matches the paper's experiments and runs through
`conditions`; per-provider time limits."""

import re

import pytest

from helpers import PAPER_16, run_cli
from insiderbench.experiment import (
    generate_config,
    load_preset,
    preset_names,
)

# --- presets --------------------------------------------------------------------------------

PRESETS = {
    "blackmail", "blackmail-o-series", "controls", "direct-instruction", "espionage",
    "espionage-goal-values", "lethal-action", "replacement-only", "test-vs-real",
}


def test_every_preset_loads():
    assert set(preset_names()) == PRESETS
    for name in preset_names():
        exp = load_preset(name)
        assert exp.name == name
        assert exp.description
        assert exp.conditions()
        assert exp.samples >= 100
        assert exp.temperature == 1.0


def test_presets_command_lists_each_with_its_sample_count(capsys):
    code, out, err = run_cli(capsys, "presets")
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 9
    assert [line.split()[0] for line in lines] == sorted(PRESETS)
    for line in lines:
        name = line.split()[0]
        exp = load_preset(name)
        assert re.search(rf"\b{exp.samples} samples\b", line), line
        assert exp.description in line
    (real,) = [line for line in lines if line.startswith("test-vs-real ")]
    assert re.search(r"\b500 samples\b", real)


def test_presets_match_the_papers_experiments():
    def factors(name):
        conditions = load_preset(name).conditions()
        return {k: {c.factors()[k] for c in conditions} for k in conditions[0].factors()}

    models = {name: [m.model for m in load_preset(name).models] for name in PRESETS}

    tvr = load_preset("test-vs-real")
    assert tvr.samples == 500
    assert [c.condition_id for c in tvr.conditions()] == [
        "blackmail_explicit-america_replacement__aware"]

    f = factors("direct-instruction")
    assert f["extra_instructions"] == {"none", "dont"}
    assert f["scenario"] == {"blackmail", "leaking"}

    assert models["blackmail"] == PAPER_16
    assert [c.condition_id for c in load_preset("blackmail").conditions()] == [
        "blackmail_explicit-america_replacement"]
    assert models["blackmail-o-series"] == ["openai/o3", "openai/o4-mini"]
    o_series = load_preset("blackmail-o-series")
    assert all(generate_config(o_series, m).temperature is None for m in o_series.models)

    f = factors("replacement-only")  # threat alone, no goal conflict
    assert (f["goal_type"], f["urgency"]) == ({"none"}, {"replacement"})
    f = factors("espionage")  # goal conflict alone
    assert (f["scenario"], f["goal_type"], f["urgency"]) == ({"leaking"}, {"explicit"}, {"none"})
    assert len(factors("espionage-goal-values")["goal_value"]) == 8
    f = factors("controls")  # neither threat nor conflict
    assert (f["goal_type"], f["urgency"]) == ({"none"}, {"none"})
    assert f["scenario"] == {"blackmail", "leaking"}
    f = factors("lethal-action")
    assert f["scenario"] == {"murder"}
    assert set(models["lethal-action"]) <= set(PAPER_16)
    assert "anthropic/claude-opus-4-20250514" in models["lethal-action"]


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_preset_through_conditions_command(capsys, name):
    code, out, err = run_cli(capsys, "conditions", "--preset", name)
    assert code == 0, err
    assert out.splitlines() == [c.condition_id for c in load_preset(name).conditions()]


def test_time_limits_default_per_provider_kind():
    """Remote providers get bounded call times; the in-process model queues on a lock and gets
    none (a wall-clock limit would cut off calls that are merely waiting their turn)."""
    from insiderbench.experiment import Experiment, generate_config
    from insiderbench.experiment._experiment import DEFAULT_ATTEMPT_TIMEOUT, DEFAULT_TIMEOUT

    exp = Experiment(name="t", models=["openai/gpt-4.1", "embedded/smollm2"],
                     grids=[{"scenarios": ["murder"]}])
    remote, local = (generate_config(exp, spec) for spec in exp.models)
    assert (remote.timeout, remote.attempt_timeout) == (DEFAULT_TIMEOUT, DEFAULT_ATTEMPT_TIMEOUT)
    assert (local.timeout, local.attempt_timeout) == (None, None)
    given = exp.model_copy(update={"timeout": 60, "attempt_timeout": 20})
    assert generate_config(given, given.models[1]).attempt_timeout == 20
