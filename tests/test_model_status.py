"""Model status (issue 19, items 4 and 5): dated provider status, warnings, `@current`, budgets."""

from __future__ import annotations

import datetime as dt

from helpers import run_cli
from insiderbench.data import (
    current_models,
    load,
    model_group,
    model_group_entries,
    model_status,
    paper_models,
)
from insiderbench.experiment import Experiment, generate_config, load_preset

REPLY_ROOM = 4000  # the paper's max_tokens, for the reply alone


def test_no_current_model_is_retired_and_each_names_its_source():
    current = current_models()
    assert {m["model"].split("/")[0] for m in current} >= {"anthropic", "openai", "google",
                                                           "grok", "deepseek"}
    for m in current:
        status = model_status(m["model"])
        assert status["status"] == "active", m["model"]
        assert status["source"].startswith("https://"), m["model"]
    assert not set(model_group("@current")) & set(model_group("@paper"))


def test_every_paper_model_has_a_dated_status():
    data = load("paper_models")
    assert isinstance(data["checked"], dt.date)
    for m in paper_models():
        status = model_status(m["model"])
        assert status["status"] in {"active", "deprecated", "retired", "unverified"}
        if status["status"] == "retired":
            assert isinstance(status["since"], dt.date) and status["since"] <= data["checked"]
        if status["status"] == "deprecated":
            assert isinstance(status["until"], dt.date)


def test_plan_warns_about_retired_models(capsys):
    code, _, err = run_cli(capsys, "plan", "--preset", "blackmail")
    assert code == 0
    warned = [line for line in err.splitlines() if "retired by its provider" in line]
    assert any("anthropic/claude-opus-4-20250514" in line for line in warned)
    assert any("openai/gpt-4.5-preview" in line for line in warned)
    assert not any("anthropic/claude-opus-4-7" in line for line in err.splitlines())
    code, _, err = run_cli(capsys, "plan", "--preset", "blackmail", "--model",
                           "anthropic/claude-opus-4-7")
    assert code == 0 and "retired" not in err


def test_reasoning_models_get_a_budget_and_room_for_the_reply():
    exp = Experiment(name="t", models=["@paper", "@current"], max_tokens=REPLY_ROOM,
                     grids=[{"scenarios": ["blackmail"]}])
    configs = {spec.model: generate_config(exp, spec) for spec in exp.models}
    gemini = configs["google/gemini-2.5-pro"]
    assert gemini.reasoning_tokens and gemini.max_tokens >= gemini.reasoning_tokens + REPLY_ROOM
    assert configs["together/deepseek-ai/DeepSeek-R1"].max_tokens > REPLY_ROOM
    assert configs["openai/gpt-4o"].max_tokens == REPLY_ROOM  # not a reasoning model
    for entry in model_group_entries("@current"):
        c = configs[entry["model"]]
        assert c.max_tokens >= (c.reasoning_tokens or 0) + REPLY_ROOM, entry["model"]
    o_series = load_preset("blackmail-o-series")
    for spec in o_series.models:
        assert generate_config(o_series, spec).max_tokens > REPLY_ROOM
