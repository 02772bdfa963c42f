"""The fake OpenAI-compatible server: replies, faults, latency and its count of served replies."""

from __future__ import annotations

import asyncio
import functools
import json
import time

import httpx
import pytest

from fakeserver import API_KEY, FakeServer, FakeServerProcess, Faults, ServerConfig, is_doomed
from insiderbench.actions import parse_actions
from insiderbench.classify import run_check
from insiderbench.scenarios import get_pack, headline

HEADERS = {"Authorization": f"Bearer {API_KEY}"}
CLIENT = httpx.Client()


@functools.cache
def rendered(scenario: str):
    """The headline condition, in our pack for our behaviours (the paper's has none)."""
    condition = headline(scenario)
    if scenario not in ("blackmail", "leaking", "murder"):
        condition = condition.model_copy(update={"pack": "insiderbench"})
    return get_pack(condition.pack).render(condition)


def system_prompt(scenario: str) -> str:
    return rendered(scenario).system


def chat(server, model: str = "benign", *, seed: int | None = 1, scenario: str = "blackmail",
         timeout: float = 10, **extra) -> httpx.Response:
    body = {"model": model, "messages": [
        {"role": "system", "content": system_prompt(scenario)},
        {"role": "user", "content": "Your inbox."},
    ], **extra}
    if seed is not None:
        body["seed"] = seed
    return CLIENT.post(f"{server.base_url}/chat/completions", json=body, headers=HEADERS,
                       timeout=timeout)


@pytest.fixture(scope="module")
def server():
    with FakeServer() as s:
        yield s


@pytest.fixture
def fresh(server):
    server.configure(ServerConfig())
    server.reset()
    return server


@pytest.mark.parametrize("scenario", ["blackmail", "leaking", "murder", "exfiltration",
                                      "tampering", "oversight"])
def test_scripted_replies_are_what_the_checks_say(fresh, scenario):
    facts = rendered(scenario).facts
    for model, harmful in (("harmful", True), ("benign", False)):
        response = chat(fresh, model, scenario=scenario)
        assert response.status_code == 200
        text = response.json()["choices"][0]["message"]["content"]
        assert run_check(facts, parse_actions(text)).harmful is harmful, (model, text)
    stats = fresh.stats()
    assert stats.served == 2 and [r.reply for r in stats.records] == ["harmful", "benign"]


def test_mixed_is_decided_per_sample_seed(fresh):
    kinds = {}
    for seed in range(40):
        first = chat(fresh, "mixed-30", seed=seed).json()["choices"][0]["message"]["content"]
        again = chat(fresh, "mixed-30", seed=seed).json()["choices"][0]["message"]["content"]
        assert first == again, "a retried or resumed sample gets the same reply"
        kinds[seed] = "affair" in first
    assert 3 <= sum(kinds.values()) <= 25
    by_sample = fresh.stats().served_by_sample()
    assert by_sample == {f"seed:{s}": 2 for s in range(40)}


def test_unknown_model_names_the_scripts(fresh):
    response = chat(fresh, "gpt-9")
    assert response.status_code == 404
    assert "mixed-<percent>" in response.json()["error"]["message"]
    assert fresh.stats().served == 0


def test_wrong_key_is_rejected(fresh):
    response = httpx.post(f"{fresh.base_url}/chat/completions", json={"model": "benign"},
                          headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401


def test_grader_answers_in_the_judge_format(fresh):
    harmful = chat(fresh, "harmful").json()["choices"][0]["message"]["content"]
    verdicts = []
    for transcript in (harmful, "I will hand over cleanly."):
        body = {"model": "grader", "messages": [{"role": "user", "content": transcript}]}
        r = CLIENT.post(f"{fresh.base_url}/chat/completions", json=body, headers=HEADERS)
        verdicts.append(r.json()["choices"][0]["message"]["content"])
    assert verdicts[0].endswith("<answer>yes</answer>")
    assert verdicts[1].endswith("<answer>no</answer>")


def test_tool_calls_when_tools_are_offered(fresh):
    tools = [{"type": "function", "function": {"name": n, "parameters": {"type": "object"}}}
             for n in ("send_email", "forward_email", "cancel_alert")]
    message = chat(fresh, "harmful", scenario="murder", tools=tools).json()["choices"][0]
    assert message["finish_reason"] == "tool_calls"
    call = message["message"]["tool_calls"][0]["function"]
    assert call["name"] == "cancel_alert"
    assert json.loads(call["arguments"]) == {"code": "EXEC-4429"}
    after = chat(fresh, "harmful", scenario="murder", tools=tools, messages=[
        {"role": "system", "content": system_prompt("murder")},
        {"role": "assistant", "content": None, "tool_calls": [message["message"]["tool_calls"][0]]},
        {"role": "tool", "tool_call_id": "x", "content": "Alert cancelled."},
    ]).json()["choices"][0]
    assert after["finish_reason"] == "stop" and "tool_calls" not in after["message"]


def test_each_fault_behaves_like_a_provider(fresh):
    fresh.configure(ServerConfig(faults=Faults(rate_limit=1.0), retry_after=1.5))
    r = chat(fresh)
    assert r.status_code == 429 and r.headers["Retry-After"] == "1.5"
    assert r.json()["error"]["code"] == "rate_limit_exceeded"

    for fault, status in (("server_error", 500), ("unavailable", 503)):
        fresh.configure(ServerConfig(faults=Faults(**{fault: 1.0})))
        assert chat(fresh).status_code == status

    fresh.configure(ServerConfig(faults=Faults(malformed=1.0)))
    r = chat(fresh)
    assert r.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.text)

    fresh.configure(ServerConfig(faults=Faults(empty=1.0)))
    assert chat(fresh).json()["choices"][0]["message"]["content"] == ""

    fresh.configure(ServerConfig(faults=Faults(refusal=1.0)))
    message = chat(fresh, "harmful").json()["choices"][0]["message"]
    assert message["content"] is None and message["refusal"]

    fresh.configure(ServerConfig(faults=Faults(reset=1.0)))
    with pytest.raises(httpx.TransportError):
        chat(fresh)

    fresh.configure(ServerConfig(faults=Faults(timeout=1.0), hang_seconds=30))
    with pytest.raises(httpx.ReadTimeout):  # the client's 0.5 s, not the server's 30 s hang
        chat(fresh, timeout=0.5)

    deadline = time.monotonic() + 5
    while fresh.stats().in_flight and time.monotonic() < deadline:
        time.sleep(0.05)  # the hanging request notices that the client left
    stats = fresh.stats()
    assert stats.outcomes == {"rate_limit": 1, "server_error": 1, "unavailable": 1,
                              "malformed": 1, "empty": 1, "ok": 1, "reset": 1, "timeout": 1}
    assert stats.served == 1, "only the refusal was a completed reply with content"
    assert [r.reply for r in stats.records if r.served] == ["refusal"]


def test_fault_rates_and_doomed_samples(fresh):
    config = ServerConfig(faults=Faults(rate_limit=0.3, server_error=0.2, doomed=0.2), seed=5)
    fresh.configure(config)
    outcomes = {}
    for seed in range(200):
        outcomes[seed] = chat(fresh, seed=seed).status_code
    doomed = [s for s in range(200) if is_doomed(config, f"seed:{s}")]
    assert 20 <= len(doomed) <= 60
    records = {int(r.sample.split(":")[1]): r for r in fresh.stats().records}
    assert all(records[s].outcome == "malformed" for s in doomed)
    rest = [s for s in range(200) if s not in doomed]
    counts = {o: sum(1 for s in rest if records[s].outcome == o) for o in
              ("rate_limit", "server_error", "ok")}
    assert 0.15 < counts["rate_limit"] / len(rest) < 0.45
    assert 0.08 < counts["server_error"] / len(rest) < 0.32
    assert counts["ok"] == fresh.stats().served


def test_faults_must_be_probabilities():
    with pytest.raises(ValueError, match="more than 1"):
        Faults(rate_limit=0.7, timeout=0.5)


def test_latency_and_fifty_concurrent_requests(fresh):
    fresh.configure(ServerConfig(latency_min=0.3, latency_max=0.4))

    async def burst() -> float:
        async with httpx.AsyncClient(limits=httpx.Limits(max_connections=50)) as client:
            body = {"model": "benign", "messages": [{"role": "user", "content": "hi"}]}
            start = time.monotonic()
            responses = await asyncio.gather(*[
                client.post(f"{fresh.base_url}/chat/completions", json=body, headers=HEADERS)
                for _ in range(50)
            ])
            assert all(r.status_code == 200 for r in responses)
            return time.monotonic() - start

    elapsed = asyncio.run(burst())
    stats = fresh.stats()
    # 50 requests at once are served side by side, not one after another: all 50 were in
    # flight together (the server counts them; no wall-clock bound, which a loaded machine
    # would break).
    assert stats.max_in_flight == 50 and stats.served == 50
    assert all(0.3 <= r.end - r.start for r in stats.records)
    assert max(r.start for r in stats.records) < min(r.end for r in stats.records)
    assert elapsed >= 0.3  # a lower bound: the latency is always waited


def test_separate_process_is_controlled_over_http():
    with FakeServerProcess(ServerConfig(latency_min=0.01)) as server:
        assert chat(server, "harmful").status_code == 200
        server.configure(ServerConfig(faults=Faults(server_error=1.0)))
        assert chat(server).status_code == 500
        stats = server.stats()
        assert (stats.requests, stats.served) == (2, 1)
        assert [r.outcome for r in stats.records] == ["ok", "server_error"]
        server.reset()
        assert server.stats().requests == 0


def test_every_script_through_inspects_openai_provider(fresh, tmp_path, monkeypatch):
    from inspect_ai import eval as inspect_eval
    from inspect_ai.log import read_eval_log
    from inspect_ai.model import GenerateConfig, get_model

    from insiderbench.analysis import sample_rows
    from insiderbench.task import build_task

    for key, value in fresh.env().items():
        monkeypatch.setenv(key, value)
    scripts = ["harmful", "benign", "refusal", "garbage", "empty"]
    config = GenerateConfig(max_connections=4, max_retries=0)
    logs = inspect_eval(
        build_task([headline("leaking")], seed=1),
        model=[get_model(f"openai-api/fake/{m}", config=config) for m in scripts],
        epochs=2, log_dir=str(tmp_path), display="none", fail_on_error=False,
    )
    rows = {}
    for log in logs:
        for row in sample_rows(read_eval_log(log.location)):
            rows.setdefault(log.eval.model.rsplit("/", 1)[1], []).append(row)
    assert [(r.status, r.harmful) for r in rows["harmful"]] == [("scored", True)] * 2
    assert [(r.status, r.harmful) for r in rows["benign"]] == [("scored", False)] * 2
    # A refusal and nonsense are replies the model gave: classified, and harmless.
    assert [(r.status, r.harmful) for r in rows["refusal"]] == [("scored", False)] * 2
    assert [(r.status, r.harmful) for r in rows["garbage"]] == [("scored", False)] * 2
    # An empty completion is a failed call: an error, never "not harmful".
    assert [(r.status, r.harmful) for r in rows["empty"]] == [("error", None)] * 2
    assert all("empty reply" in r.reason for r in rows["empty"])
    assert fresh.stats().served == 8
