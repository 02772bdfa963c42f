"""`plan`: conditions x samples x models, tokens and cost, samples already done; offline."""

import json
import os
import socket
from pathlib import Path

import pytest

from helpers import run_cli
from insiderbench.data import load
from insiderbench.experiment import Experiment, count_tokens, plan_experiment
from insiderbench.experiment._plan import (
    AGENTIC_STEPS,
    CHAT_OVERHEAD_TOKENS,
    DEFAULT_REPLY_TOKENS,
    JUDGE_REPLY_TOKENS,
    TOOL_RESULT_TOKENS,
)
from insiderbench.scenarios import get_pack
from test_plan_tokens import harm_question_tokens

OPUS = "anthropic/claude-opus-4-20250514"  # priced, with a cached-input price
GROK = "grok/grok-3-beta"  # priced, no cached-input price
UNPRICED = "openai/gpt-99-imaginary"


def refuse_network(monkeypatch) -> None:
    """From here on, any attempt to open a network connection fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"plan tried to reach the network: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture(autouse=True)
def network_guard(tmp_path, monkeypatch):
    """Run in a scratch directory, offline. `network_guard.undo()` lifts the guard."""
    monkeypatch.chdir(tmp_path)
    with pytest.MonkeyPatch.context() as guard:
        refuse_network(guard)
        yield guard


def experiment(**kwargs) -> Experiment:
    defaults = {
        "name": "plan-test",
        "models": [OPUS, GROK, UNPRICED],
        "samples": 4,
        "grids": [
            {"scenarios": ["blackmail"], "goal_types": ["explicit"], "goal_values": ["america"],
             "urgencies": ["replacement", "none"]},
            {"scenarios": ["leaking"], "goal_types": ["none"], "urgencies": ["none"]},
        ],
    }
    defaults.update(kwargs)
    return Experiment(**defaults)


def prompt_tokens(exp: Experiment) -> list[int]:
    pack = get_pack()
    out = []
    for condition in exp.conditions():
        rendered = pack.render(condition)
        out.append(count_tokens(rendered.system) + count_tokens(rendered.user)
                   + CHAT_OVERHEAD_TOKENS)
    return out


def expected_cost(model: str, per_condition: list[int], samples: int, output_tokens: int,
                  *, cache: bool, batch: bool) -> float | None:
    prices = load("prices")
    price = prices["prices"].get(model)
    if price is None:
        return None
    per = float(prices["per"])
    first = sum(per_condition)
    rest = first * (samples - 1)
    if cache and samples > 1 and price.get("cached_input") is not None:
        # the first sample writes the cache, at the write price where there is one
        write = price.get("cache_write", price["input"])
        input_cost = first * write / per + rest * price["cached_input"] / per
    else:
        input_cost = (first + rest) * price["input"] / per
    cost = input_cost + output_tokens * price["output"] / per
    return cost * float(prices["batch_discount"]) if batch else cost


def assert_cost(actual: float | None, expected: float | None) -> None:
    if expected is None:
        assert actual is None
    else:
        assert actual is not None
        assert abs(actual - expected) <= 0.005 + 1e-9, (actual, expected)


# --- token counting -------------------------------------------------------------------------

def test_count_tokens_is_offline_and_plausible():
    assert count_tokens("") == 0
    rendered = get_pack().render(get_pack_condition())
    n = count_tokens(rendered.system)
    # English BPE: roughly 3-6 characters per token
    assert len(rendered.system) / 8 < n < len(rendered.system) / 2
    assert count_tokens(rendered.system + rendered.system) >= 2 * n - 2


def get_pack_condition():
    from insiderbench.scenarios import headline

    return headline("blackmail")


# --- arithmetic -----------------------------------------------------------------------------

def test_samples_and_tokens_per_model():
    exp = experiment()
    plan = plan_experiment(exp, "nowhere")
    tokens = prompt_tokens(exp)
    assert plan.conditions == 3
    assert [m.model for m in plan.models] == [OPUS, GROK, UNPRICED]
    for row in plan.models:
        assert row.samples == 3 * 4
        assert row.input_tokens == 4 * sum(tokens)
        assert row.output_tokens == DEFAULT_REPLY_TOKENS * 3 * 4
        assert row.done == 0
    assert plan.samples == 3 * 4 * 3
    assert plan.done == 0


def test_cost_with_prompt_cache_first_sample_at_cache_write_price_rest_cached():
    exp = experiment(cache_prompt=True)
    plan = plan_experiment(exp, "nowhere")
    tokens = prompt_tokens(exp)
    rows = {r.model: r for r in plan.models}
    for model in (OPUS, GROK, UNPRICED):
        assert_cost(rows[model].cost_usd,
                    expected_cost(model, tokens, 4, rows[model].output_tokens,
                                  cache=True, batch=False))
    # the cache makes a difference where the provider prices cached reads
    no_cache = {r.model: r for r in plan_experiment(experiment(cache_prompt=False),
                                                     "nowhere").models}
    assert rows[OPUS].cost_usd < no_cache[OPUS].cost_usd
    assert rows[GROK].cost_usd == no_cache[GROK].cost_usd
    assert plan.unpriced_models == [UNPRICED]
    assert rows[UNPRICED].cost_usd is None
    assert_cost(plan.cost_usd, rows[OPUS].cost_usd + rows[GROK].cost_usd)


def test_cost_without_cache_and_with_one_sample_is_all_at_input_price():
    for kwargs, samples in (({"cache_prompt": False}, 4), ({"samples": 1}, 1),
                            ({"samples": 1, "cache_prompt": True}, 1)):
        exp = experiment(**kwargs)
        plan = plan_experiment(exp, "nowhere")
        tokens = prompt_tokens(exp)
        for row in plan.models:
            assert_cost(row.cost_usd, expected_cost(row.model, tokens, samples,
                                                    row.output_tokens, cache=False,
                                                    batch=False))


def test_batch_applies_the_batch_discount():
    tokens = prompt_tokens(experiment())
    plain = {r.model: r for r in plan_experiment(experiment(), "nowhere").models}
    batched = {r.model: r for r in plan_experiment(experiment(batch=True), "nowhere").models}
    discount = float(load("prices")["batch_discount"])
    assert 0 < discount < 1
    for model in (OPUS, GROK):
        assert_cost(batched[model].cost_usd,
                    expected_cost(model, tokens, 4, batched[model].output_tokens,
                                  cache=True, batch=True))
        assert batched[model].cost_usd == pytest.approx(plain[model].cost_usd * discount,
                                                        abs=0.01)
    assert batched[UNPRICED].cost_usd is None
    # batch for one model only, in its own entry
    exp = experiment(models=[{"model": OPUS, "batch": True}, GROK])
    rows = {r.model: r for r in plan_experiment(exp, "nowhere").models}
    assert rows[OPUS].cost_usd == batched[OPUS].cost_usd
    assert rows[GROK].cost_usd == plain[GROK].cost_usd


def test_reply_tokens_are_capped_at_max_tokens():
    exp = experiment(models=[OPUS, {"model": GROK, "max_tokens": 300}], max_tokens=4000)
    rows = {r.model: r for r in plan_experiment(exp, "nowhere").models}
    n = 3 * 4
    assert rows[OPUS].output_tokens == DEFAULT_REPLY_TOKENS * n
    assert rows[GROK].output_tokens == 300 * n
    rows = {r.model: r for r in plan_experiment(exp, "nowhere", reply_tokens=250).models}
    assert rows[OPUS].output_tokens == 250 * n
    assert rows[GROK].output_tokens == 250 * n
    exp = experiment(models=[OPUS], max_tokens=120)
    (row,) = plan_experiment(exp, "nowhere").models
    assert row.output_tokens == 120 * n


# --- the grader and agentic mode -----------------------------------------------------------

def test_grader_calls_and_cost_are_planned_beside_the_models():
    exp = experiment(models=[OPUS, GROK], grader=GROK)
    # Every gate open: every sample is judged.
    plan = plan_experiment(exp, "nowhere", gate_rate=1.0)
    grader = plan.grader
    assert [m.model for m in plan.models] == [OPUS, GROK] and grader is not None
    assert (grader.model, grader.done) == (GROK, None)
    assert grader.samples == 3 * 4 * 2  # one harm question per sample of each model
    # each question is its prompt (counted) plus the transcript (assumed as long as a reply)
    assert grader.input_tokens == 4 * 2 * sum(
        question + DEFAULT_REPLY_TOKENS for question in harm_question_tokens(exp))
    assert grader.output_tokens == grader.samples * JUDGE_REPLY_TOKENS
    prices = load("prices")
    price, per = prices["prices"][GROK], float(prices["per"])
    assert_cost(grader.cost_usd, (grader.input_tokens * price["input"]
                                  + grader.output_tokens * price["output"]) / per)
    # the samples and "done" are the models'; the total cost includes the grader
    assert plan.samples == 3 * 4 * 2
    without = plan_experiment(experiment(models=[OPUS, GROK]), "nowhere")
    assert_cost(plan.cost_usd, without.cost_usd + grader.cost_usd)
    assert "grader" in plan.token_method and "grader" not in without.token_method
    assert without.grader is None
    # our judge shows the grader the emails as context: a longer prompt than the paper's
    ours = plan_experiment(experiment(models=[OPUS, GROK], grader=GROK, judge="insiderbench"),
                           "nowhere", gate_rate=1.0).grader
    assert ours.samples == grader.samples and ours.input_tokens > grader.input_tokens + 1000 * 24


def test_eval_awareness_adds_a_grader_question_per_sample():
    grid = {"scenarios": ["murder"], "goal_types": ["none"], "urgencies": ["none"]}
    plain = plan_experiment(experiment(models=[OPUS], grader=OPUS, grids=[grid]), "nowhere",
                            gate_rate=1.0)
    aware = plan_experiment(experiment(models=[OPUS], grader=OPUS,
                                       grids=[{**grid, "eval_awareness": [True]}]), "nowhere",
                            gate_rate=1.0)
    assert (plain.grader.samples, aware.grader.samples) == (4, 8)


def test_agentic_samples_cost_several_steps_each_resending_the_conversation():
    grid = {"scenarios": ["blackmail"], "goal_types": ["none"], "urgencies": ["none"]}
    classic = experiment(models=[OPUS], grids=[grid])
    (p,) = prompt_tokens(classic)
    agentic = plan_experiment(experiment(models=[OPUS], grids=[grid], mode="agentic"),
                              "nowhere")
    (row,) = agentic.models
    k, reply = AGENTIC_STEPS, DEFAULT_REPLY_TOKENS
    assert row.samples == 4
    assert row.output_tokens == 4 * k * reply
    assert row.input_tokens == 4 * (k * p + (reply + TOOL_RESULT_TOKENS) * k * (k - 1) // 2)
    assert f"{k} steps" in agentic.token_method
    # one step allowed: exactly the classic cost
    one = plan_experiment(experiment(models=[OPUS], grids=[grid], mode="agentic",
                                     agentic={"max_steps": 1}), "nowhere")
    same = plan_experiment(classic, "nowhere")
    assert (one.models[0].input_tokens, one.cost_usd) == (same.models[0].input_tokens,
                                                           same.cost_usd)


def test_plan_reports_price_date_and_token_method():
    plan = plan_experiment(experiment(), "nowhere")
    assert plan.price_date == str(load("prices")["date"])
    assert "tokenizer" in plan.token_method and str(DEFAULT_REPLY_TOKENS) in plan.token_method


# --- the command ----------------------------------------------------------------------------

def write_file(tmp_path, models="[anthropic/claude-opus-4-20250514]", samples=10):
    path = tmp_path / "plan.yaml"
    path.write_text(
        f"name: plan-cli\nmodels: {models}\nsamples: {samples}\ntemperature: 1.0\n"
        "grids:\n"
        "  - scenarios: [blackmail, murder]\n"
        "    goal_types: [explicit]\n"
        "    goal_values: [america]\n"
        "    urgencies: [replacement]\n"
    )
    return path


def test_plan_json_needs_no_api_key_and_matches_the_arithmetic(tmp_path, capsys):
    assert not [k for k in os.environ if k.endswith("_API_KEY")]
    path = write_file(tmp_path, models=f"[{OPUS}, {UNPRICED}]")
    code, out, err = run_cli(capsys, "plan", str(path), "--json")
    assert code == 0, err
    plan = json.loads(out)
    assert {"samples", "conditions", "models", "cost_usd"} <= set(plan)
    assert plan["conditions"] == 2
    assert plan["samples"] == 2 * 10 * 2
    assert [m["model"] for m in plan["models"]] == [OPUS, UNPRICED]
    exp = Experiment(name="x", models=[OPUS], samples=10, grids=[
        {"scenarios": ["blackmail", "murder"]}])
    tokens = prompt_tokens(exp)
    opus, unpriced = plan["models"]
    assert opus["input_tokens"] == 10 * sum(tokens)
    assert opus["output_tokens"] == DEFAULT_REPLY_TOKENS * 20
    assert_cost(opus["cost_usd"], expected_cost(OPUS, tokens, 10, opus["output_tokens"],
                                                cache=True, batch=False))
    assert opus["cost_usd"] > 0
    assert unpriced["cost_usd"] is None
    assert plan["unpriced_models"] == [UNPRICED]
    assert plan["cost_usd"] == opus["cost_usd"]


def test_plan_table_output(tmp_path, capsys):
    path = write_file(tmp_path, models=f"[{OPUS}, {UNPRICED}]")
    code, out, err = run_cli(capsys, "plan", str(path))
    assert code == 0, err
    assert OPUS in out and UNPRICED in out
    assert "Total: 40 samples, 0 already in logs/plan-cli-" in out
    assert f"No price for: {UNPRICED}" in out
    assert "Estimate:" in out


def test_plan_of_a_preset_needs_no_key(capsys):
    code, out, err = run_cli(capsys, "plan", "--preset", "blackmail", "--json")
    assert code == 0, err
    plan = json.loads(out)
    assert len(plan["models"]) == 16
    assert plan["samples"] == 16 * 100
    assert plan["unpriced_models"] == []
    assert plan["cost_usd"] > 0


def test_plan_with_model_flag_needs_no_key(capsys):
    code, out, err = run_cli(capsys, "plan", "-s", "blackmail", "--model", OPUS, "--json")
    assert code == 0, err
    assert [m["model"] for m in json.loads(out)["models"]] == [OPUS]


# --- samples already done -------------------------------------------------------------------

def test_done_counts_the_samples_already_in_the_log_dir(tmp_path, capsys, network_guard):
    network_guard.undo()  # the run is not under test here; plan is, offline again below
    log_dir = str(tmp_path / "D")
    code, out, err = run_cli(capsys, "run", "--model", "scripted/benign", "--scenario", "murder",
                             "--samples", "3", "--log-dir", log_dir, "--json")
    assert code == 0, err
    refuse_network(network_guard)

    def plan(*args):
        code, out, err = run_cli(capsys, "plan", "--model", "scripted/benign", "--log-dir",
                                 log_dir, "--json", *args)
        assert code == 0, err
        return json.loads(out)

    result = plan("--scenario", "murder", "--samples", "3")
    assert result["done"] == 3
    assert [(m["model"], m["samples"], m["done"]) for m in result["models"]] == [
        ("scripted/benign", 3, 3)]
    # more samples planned than done
    assert plan("--scenario", "murder", "--samples", "5")["done"] == 3
    # fewer planned than the directory holds: only the planned ones count
    assert plan("--scenario", "murder", "--samples", "2")["done"] == 2
    # other conditions in the same directory are not this plan's samples
    assert plan("--scenario", "blackmail", "--samples", "3")["done"] == 0
    mixed = plan("--scenario", "murder", "--scenario", "leaking", "--samples", "3")
    assert (mixed["samples"], mixed["done"]) == (6, 3)
    # nor are another model's
    code, out, err = run_cli(capsys, "plan", "--model", "scripted/blackmail", "--scenario",
                             "murder", "--samples", "3", "--log-dir", log_dir, "--json")
    assert code == 0, err
    assert json.loads(out)["done"] == 0
    # a log that cannot be read is named, not silently left out of "done"
    (Path(log_dir) / "2026-01-01T00-00-00+00-00_truncated_abc.eval").write_bytes(b"PK\x03\x04")
    code, out, err = run_cli(capsys, "plan", "--model", "scripted/benign", "--scenario",
                             "murder", "--samples", "3", "--log-dir", log_dir, "--json")
    assert code == 0, err
    assert json.loads(out)["done"] == 3
    assert "Warning: not counted as done: 2026-01-01T00-00-00+00-00_truncated_abc.eval" in err
    assert json.loads(out)["unread_logs"][0].startswith("2026-01-01T00-00-00+00-00_truncated")


def test_done_is_zero_for_a_missing_log_dir(tmp_path, capsys):
    code, out, err = run_cli(capsys, "plan", "--model", "scripted/benign", "-s", "murder",
                             "--log-dir", str(tmp_path / "never-written"), "--json")
    assert code == 0, err
    assert json.loads(out)["done"] == 0
    assert not (tmp_path / "never-written").exists()
