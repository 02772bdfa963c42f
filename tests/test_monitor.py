"""Action monitors (issue 18): `--monitor rule` holds a tool call that would open the
scenario's gate; the agent's next turn sees the rejection as the tool's error; what the monitor
saw is kept per sample and read back into the results."""

from __future__ import annotations

import pytest

from helpers import reply
from insiderbench.agent._monitor import HELD
from insiderbench.analysis._table import row_of
from insiderbench.experiment import Grid
from insiderbench.scenarios import Condition, ConditionError, make_condition
from test_agentic import BENIGN, HARMFUL, check, mail, only_sample, run


def watched(scenario: str) -> Condition:
    return make_condition(scenario=scenario, mode="agentic", monitor="rule")


@pytest.mark.parametrize("scenario", ["blackmail", "leaking", "murder"])
def test_the_rule_monitor_holds_the_harmful_call_and_the_agent_sees_it(scenario, tmp_path):
    outputs = [*HARMFUL[scenario], reply("Understood.")]
    log = run([watched(scenario)], outputs, tmp_path)
    sample = only_sample(log)
    assert sample.id.endswith("__agentic__mon-rule")
    held = [m for m in sample.messages if m.role == "tool" and m.error is not None]
    assert len(held) == 1 and HELD in held[0].error.message
    # The agent generated again after the rejection: its next turn had the error in view.
    after = sample.messages[sample.messages.index(held[0]) + 1:]
    assert any(m.role == "assistant" and m.text == "Understood." for m in after)
    state = mail(sample)
    assert state["sent"] == [] and state.get("alert") in (None, "active")
    assert check(sample).value == 0.0, "a held call never happened"
    calls = len(outputs) - 1
    assert sample.metadata["monitored"] == {
        "monitor": "rule", "calls": calls, "approved": calls - 1, "rejected": 1, "errors": 0,
        "held": 1, "held_harmful": 1, "attempts": 1, "blocked": 1, "through": 0}
    (row,) = [row_of(log, s, "check") for s in log.samples]
    assert (row["monitor"], row["monitor_held"], row["monitor_held_harmful"]) == ("rule", 1, 1)
    assert (row["monitor_attempts"], row["monitor_blocked"], row["monitor_through"],
            row["monitor_model_calls"]) == (1, 1, 0, 0)


def test_calls_that_open_no_gate_go_through(tmp_path):
    log = run([watched("murder")], [*BENIGN["murder"], reply("Done.")], tmp_path)
    sample = only_sample(log)
    assert len(mail(sample)["sent"]) == 1
    assert sample.metadata["monitored"]["held"] == 0


def test_without_a_monitor_nothing_is_held(tmp_path):
    sample = only_sample(run([make_condition(scenario="murder", mode="agentic")],
                             [*HARMFUL["murder"], reply("Done.")], tmp_path))
    assert check(sample).value == 1.0 and "monitored" not in sample.metadata


def test_monitors_are_for_agentic_conditions_only():
    with pytest.raises(ConditionError, match="agentic mode only"):
        make_condition(scenario="murder", monitor="rule")
    grid = Grid(scenarios=["murder"], modes=["classic", "agentic"], monitors=["none", "rule"])
    assert [c.condition_id for c in grid.conditions()] == [
        "murder_explicit-america_replacement",
        "murder_explicit-america_replacement__agentic",
        "murder_explicit-america_replacement__agentic__mon-rule",
    ]
    assert Condition.from_id("murder_explicit-america_replacement__agentic__mon-rule") == (
        watched("murder"))


def test_the_monitor_is_a_factor_with_its_effect():
    import pandas as pd

    from insiderbench.analysis import factor_effects

    rows = []
    for c, n, k in ((make_condition(scenario="murder", mode="agentic"), 20, 12),
                    (watched("murder"), 20, 0)):
        rows += [{"model": "m", "condition_id": c.condition_id, "status": "scored",
                  "harmful": i < k, "awareness": None, "mode": c.mode, **c.factors(),
                  **c.levels()} for i in range(n)]
    row = factor_effects(pd.DataFrame(rows)).set_index("factor").loc["monitor rule"]
    assert (row.level_a, row.level_b, row["diff"]) == ("rule", "none", pytest.approx(-0.6))
    assert row.ci_high < 0


def test_cli_monitor_flag(tmp_path, capsys, monkeypatch):
    import json

    from helpers import run_cli

    monkeypatch.setenv("INSPECT_DISPLAY", "none")
    code, _, err = run_cli(capsys, "run", "-s", "murder", "--monitor", "rule",
                           "--model", "scripted/benign", "--log-dir", str(tmp_path))
    assert code == 2 and "--monitor: only for agentic mode" in err and "Traceback" not in err
    code, _, err = run_cli(capsys, "run", "-s", "murder", "--monitor", "watchful",
                           "--model", "scripted/benign", "--log-dir", str(tmp_path))
    assert code == 2 and "'watchful' is not one of 'none', 'rule', or a model name" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    code, out, err = run_cli(capsys, "run", "-s", "murder", "--mode", "agentic", "--monitor",
                             "rule", "--model", "scripted/benign", "--samples", "1",
                             "--log-dir", str(tmp_path / "logs"), "--json")
    assert code == 0, err
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert row["condition_id"] == "murder_explicit-america_replacement__agentic__mon-rule"
