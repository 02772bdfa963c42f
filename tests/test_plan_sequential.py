"""`plan --ci-width`: the sample range per condition, and the expected samples and cost from
the stopping rule at the paper's published rates, beside the cost if every condition ran to
the maximum; offline."""

from __future__ import annotations

import json

import pytest

from helpers import run_cli
from insiderbench.experiment import Experiment, plan_experiment
from insiderbench.sampling import StoppingRule, expected_samples

OPUS = "anthropic/claude-opus-4-20250514"  # published: blackmail .96, lethal action .65
UNPUBLISHED = "anthropic/claude-sonnet-4-5"


def experiment(models: list[str], **sampling) -> Experiment:
    return Experiment.model_validate({
        "name": "x", "models": models, "grids": [{"scenarios": ["blackmail", "murder"]}],
        "cache_prompt": True, **sampling,
        "prices": {UNPUBLISHED: {"input": 3, "output": 15, "cache_read": 0.3,
                                 "cache_write": 3.75}}})


def test_expected_samples_follow_the_published_rates(tmp_path):
    rule = StoppingRule(0.2, 10, 100)
    plan = plan_experiment(experiment([OPUS], ci_width=0.2), tmp_path)
    (row,) = plan.models
    assert plan.samples_range == (10, 100)
    expected = expected_samples(rule, 0.96) + expected_samples(rule, 0.65)
    assert row.samples == round(expected)
    assert row.samples_max == 200 and row.samples < 200
    assert "estimate" in (plan.expected_method or "")
    # The cost at most is the fixed-size plan's at the maximum; the expected one is below it.
    fixed = plan_experiment(experiment([OPUS], samples=100), tmp_path).models[0]
    assert row.cost_usd_max == pytest.approx(fixed.cost_usd)
    assert row.cost_usd < row.cost_usd_max


def test_conditions_without_a_published_rate_average_over_rates(tmp_path):
    rule = StoppingRule(0.3, 5, 60)
    plan = plan_experiment(experiment([UNPUBLISHED], ci_width=0.3, min_samples=5,
                                      max_samples=60), tmp_path)
    (row,) = plan.models
    assert row.samples == round(2 * expected_samples(rule))
    assert plan.samples_range == (5, 60)


def test_expected_cost_prices_cache_writes_and_reads(tmp_path):
    """Each condition's first sample writes the cache and the rest read it, at the expected
    counts: doubling the cache-write price adds one prompt per condition, whatever n is."""

    def cost(write: float, read: float) -> float:
        e = experiment([UNPUBLISHED], ci_width=0.2)
        e = e.model_copy(update={"prices": {UNPUBLISHED: {
            "input": 3, "output": 0, "cache_read": read, "cache_write": write}}})
        return plan_experiment(e, tmp_path).models[0].cost_usd

    one_write = (cost(20, 0.3) - cost(10, 0.3)) / 10 * 1e6
    assert 2 * 2000 < one_write < 2 * 5000  # two conditions' prompts, written once each
    reads = (cost(10, 1.3) - cost(10, 0.3)) * 1e6  # the expected repeats, read at +1/M
    row = plan_experiment(experiment([UNPUBLISHED], ci_width=0.2), tmp_path).models[0]
    assert reads == pytest.approx(row.input_tokens - one_write, rel=0.01)


def test_plan_cli_shows_range_and_estimate(capsys):
    code, out, err = run_cli(capsys, "plan", "-s", "blackmail", "--model", OPUS,
                             "--ci-width", "0.2", "--max-samples", "80")
    assert code == 0, err
    assert "10-80 samples" in out and "at most" in out
    assert "Sequential: 10 to 80 samples per condition" in out and "estimate" in out
    code, out, err = run_cli(capsys, "plan", "-s", "blackmail", "--model", OPUS,
                             "--ci-width", "0.2", "--json")
    assert json.loads(out)["samples_range"] == [10, 100]
    code, _out, err = run_cli(capsys, "plan", "-s", "blackmail", "--model", OPUS,
                              "--ci-width", "0.2", "--samples", "5")
    assert code == 2 and "not both" in err
