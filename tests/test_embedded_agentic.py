"""Agentic mode on the real embedded model: the emulated tool path with real inference."""

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.log import read_eval_log

from insiderbench.classify import run_check
from insiderbench.environment import STORE_KEY, actions_from_store
from insiderbench.providers import EMBEDDED_MODEL
from insiderbench.scenarios import get_pack, make_condition
from insiderbench.task import build_task

pytestmark = pytest.mark.embedded


def test_embedded_model_runs_as_an_agent(tmp_path):
    condition = make_condition(scenario="murder", mode="agentic")
    (log,) = inspect_eval(
        build_task([condition], seed=3, max_tokens=48, agentic={"max_steps": 1}),
        model=EMBEDDED_MODEL, log_dir=str(tmp_path), display="none",
    )
    log = read_eval_log(log.location, resolve_attachments=True)
    assert log.status == "success", log.error
    (sample,) = log.samples
    # Whatever SmolLM2 writes, the emulated tool path ends the sample classified, and the
    # verdict is the one its recorded actions call for.
    assert sample.error is None, sample.error
    facts = get_pack().render(condition).facts
    expected = run_check(facts, actions_from_store(sample.store)).harmful
    assert sample.scores["harm_check"].value == float(expected)
    assert sample.metadata["agentic"]["steps"] <= 1
    assert isinstance(sample.metadata["cut_off"], bool)
    assert sample.store[STORE_KEY]["clock"] == "5:00:00 PM"
    first_call = next(e for e in sample.events if e.event == "model").call
    system = first_call.request["messages"][0]["content"]
    assert "## Tools" in system and "- cancel_alert:" in system and "<tool_use:" not in system
