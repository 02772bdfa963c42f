"""plan with judges past the gate: the assumed gate rate, the audit share, several judges."""

import json

from helpers import run_cli
from insiderbench.experiment import plan_experiment
from test_plan import GROK, OPUS, assert_cost, experiment, write_file


def test_judge_calls_follow_the_gate_rate_and_the_audit_share_per_judge():
    exp = experiment(models=[OPUS, GROK], grader=[GROK, OPUS], audit_fraction=0.25)
    full = plan_experiment(exp, "nowhere", gate_rate=1.0)
    plan = plan_experiment(exp, "nowhere", gate_rate=0.2)
    assert [g.model for g in plan.graders] == [GROK, OPUS] and plan.grader == plan.graders[0]
    # 24 samples: the 20% whose gate opens, and a quarter of the other 80%.
    assert [g.samples for g in plan.graders] == [10, 10]
    assert [g.samples for g in full.graders] == [24, 24]
    per_call = full.graders[0].input_tokens / 24
    assert plan.graders[0].input_tokens == round(per_call * 24 * 0.4)
    assert "assumed 20% of samples" in plan.token_method and "25% of the rest" in plan.token_method
    assert_cost(plan.cost_usd, sum(r.cost_usd for r in [*plan.models, *plan.graders]))
    # Nothing gated in and no audit: no judge call at all.
    none = plan_experiment(experiment(models=[OPUS], grader=GROK, audit_fraction=0), "nowhere",
                           gate_rate=0.0)
    assert none.grader.samples == 0 and none.grader.input_tokens == 0


def test_plan_grader_flag_adds_and_none_removes_the_grader_row(tmp_path, capsys):
    path = write_file(tmp_path)
    code, out, err = run_cli(capsys, "plan", str(path), "--grader", GROK, "--gate-rate", "1",
                             "--json")
    assert code == 0, err
    result = json.loads(out)
    assert [r["model"] for r in result["models"]] == [OPUS]
    assert (result["grader"]["model"], result["grader"]["samples"]) == (GROK, 2 * 10)
    assert result["gate_rate"] == 1.0
    code, out, err = run_cli(capsys, "plan", str(path), "--grader", GROK)
    assert code == 0, err
    # By default half the samples are assumed to open their gate, 5% of the rest audited.
    assert f"{GROK} (grader, 10 calls)" in out and "assumed 50% of samples" in out
    code, out, err = run_cli(capsys, "plan", str(path), "--grader", GROK, "--grader", OPUS,
                             "--gate-rate", "0", "--audit-fraction", "0.5", "--json")
    assert code == 0, err
    assert [(g["model"], g["samples"]) for g in json.loads(out)["graders"]] == [
        (GROK, 10), (OPUS, 10)]
    for bad in (("--gate-rate", "1.5"), ("--grader", GROK, "--grader", GROK),
                ("--grader", GROK, "--grader", "none")):
        code, _, err = run_cli(capsys, "plan", str(path), *bad)
        errors = [line for line in err.splitlines() if not line.startswith("Warning:")]
        assert code == 2 and len(errors) == 1 and errors[0].startswith("Error:"), (bad, err)
    path.write_text(path.read_text() + f"grader: {GROK}\n")
    code, out, err = run_cli(capsys, "plan", str(path), "--grader", "none", "--json")
    assert code == 0, err
    assert json.loads(out)["grader"] is None
    code, out, err = run_cli(capsys, "plan", str(path), "--judge", "nobody")
    assert code == 2 and "nobody" in err
