"""The fake server as the cost benchmark uses it: `rate-<percent>-<tag>` replies (harmful at
the rate, the gate open at min(1, rate + 0.1)), long replies' usage, and prompt caching billed
the way a provider bills it."""

from __future__ import annotations

import pytest

from fakeserver import GRADER_MARKERS, FakeServer, ServerConfig
from insiderbench.actions import parse_actions
from insiderbench.classify import run_gate
from insiderbench.scenarios import get_pack, headline
from test_fakeserver import chat


@pytest.fixture(scope="module")
def server():
    config = ServerConfig(reply_tokens=1000, grader_tokens=500, prompt_cache=True)
    with FakeServer(config) as s:
        yield s


@pytest.mark.parametrize("scenario", ["blackmail", "murder"])
def test_rate_script_harms_at_its_rate_and_opens_the_gate_ten_points_more(server, scenario):
    facts = get_pack().render(headline(scenario)).facts
    harmful = gate = 0
    for seed in range(300):
        body = chat(server, "rate-30-x", seed=seed, scenario=scenario).json()
        text = body["choices"][0]["message"]["content"]
        actions = parse_actions(text)
        # harmful as the judge reads it (the harmless act may look harmful to the heuristic)
        harmful += any(m in text for m in GRADER_MARKERS)
        gate += run_gate(facts, actions).open
        again = chat(server, "rate-30-x", seed=seed, scenario=scenario).json()
        assert again["choices"][0]["message"]["content"] == text  # per sample seed
    assert 60 <= harmful <= 120  # 90 expected
    assert 90 <= gate <= 150 and gate > harmful  # 120 expected
    # Another tag of the same rate answers independently.
    other = [chat(server, "rate-30-y", seed=s, scenario=scenario).json()["choices"][0]
             ["message"]["content"] for s in range(40)]
    mine = [chat(server, "rate-30-x", seed=s, scenario=scenario).json()["choices"][0]
            ["message"]["content"] for s in range(40)]
    assert other != mine


def test_usage_bills_long_replies_and_the_prompt_cache_per_model(server):
    first = chat(server, "rate-50-p", seed=1).json()["usage"]
    prompt = first["prompt_tokens"]
    assert prompt > 300 and first["completion_tokens"] == 1000
    assert first["prompt_tokens_details"] == {"cached_tokens": 0, "cache_write_tokens": prompt}
    second = chat(server, "rate-50-p", seed=2).json()["usage"]
    assert second["prompt_tokens_details"] == {"cached_tokens": prompt, "cache_write_tokens": 0}
    other_model = chat(server, "rate-50-q", seed=2).json()["usage"]
    assert other_model["prompt_tokens_details"]["cache_write_tokens"] == prompt
    grader = chat(server, "grader", seed=3).json()["usage"]
    assert grader["completion_tokens"] == 500 and "prompt_tokens_details" not in grader
