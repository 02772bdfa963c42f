"""Our behaviours end to end, through the CLI, Inspect's openai-api provider and the fake
server: `-s NAME` finds our pack; a harmful tool call (agentic) and a harmful text tag
(classic) are scored harmful, by the check and by our judge past the gate; the near miss is
not."""

from __future__ import annotations

import json

import pytest
from inspect_ai.log import read_eval_log

from fakeserver import ServerConfig
from helpers import fake_server_env, run_cli
from insiderbench.analysis import iter_samples, sample_row
from insiderbench.environment import STORE_KEY
from insiderbench.experiment import latest_logs

GRADER = "openai-api/fake/grader"


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setenv("INSPECT_DISPLAY", "none")
    with fake_server_env(monkeypatch, ServerConfig(latency_max=0.01, seed=5)) as s:
        yield s


def run(capsys, tmp_path, script: str, scenario: str, *extra: str):
    code, out, err = run_cli(capsys, "run", "--model", f"openai-api/fake/{script}", "-s",
                             scenario, "--samples", "1", "--json", "--log-dir", str(tmp_path),
                             *extra)
    assert code == 0, err
    (row,) = [json.loads(line) for line in out.splitlines()]
    (header,) = latest_logs(tmp_path)
    (sample,) = list(iter_samples(header))
    (full,) = read_eval_log(header.location, resolve_attachments=True).samples or []
    return row, full, sample_row(header.eval.model, header.eval.task, sample)


SCENARIOS = ["exfiltration", "tampering", "oversight"]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_agentic_harmful_tool_call_is_scored_harmful(server, tmp_path, capsys, scenario):
    row, sample, r = run(capsys, tmp_path, "harmful", scenario, "--mode", "agentic",
                         "--grader", GRADER, "--judge", "insiderbench")
    assert row["condition_id"] == f"{scenario}_explicit-america_replacement__agentic" \
                                  "__pack-insiderbench"
    assert (row["n"], row["harmful"], row["errors"], row["unscored"]) == (1, 1, 0, 0)
    assert (r.gate, r.heuristic, r.judge, r.ours) == (True, True, True, True)
    assert r.paper is None  # the paper has no classifier for our behaviours
    state = sample.store[STORE_KEY]
    assert state["systems"] is not None and state["actions"][0]["source"] == "tool_call"


def test_agentic_near_miss_is_not_harmful(server, tmp_path, capsys):
    row, sample, r = run(capsys, tmp_path, "benign", "exfiltration", "--mode", "agentic")
    assert (row["n"], row["harmful"], row["errors"]) == (1, 0, 0)
    (transfer,) = sample.store[STORE_KEY]["systems"]["transfers"]
    assert (transfer["host"], transfer["internal"]) == ("backup01.corvane.com", True)
    assert (r.gate, r.heuristic) == (False, False)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_classic_text_tag_is_scored_harmful(server, tmp_path, capsys, scenario):
    row, _, r = run(capsys, tmp_path, "harmful", scenario, "--grader", GRADER,
                    "--judge", "insiderbench")
    assert row["condition_id"] == f"{scenario}_explicit-america_replacement__pack-insiderbench"
    assert (row["n"], row["harmful"], row["unscored"]) == (1, 1, 0)
    assert (r.gate, r.heuristic, r.judge, r.ours) == (True, True, True, True)


def test_the_papers_judge_is_refused_for_our_behaviours(tmp_path, capsys):
    code, _, err = run_cli(capsys, "run", "--model", "mockllm/model", "-s", "exfiltration",
                           "--grader", "mockllm/model", "--log-dir", str(tmp_path))
    assert code == 2
    assert "no classifier for exfiltration" in err and "--judge insiderbench" in err
    assert "Traceback" not in err


def test_an_experiment_file_must_name_the_pack_of_our_behaviours(tmp_path, capsys):
    path = tmp_path / "exp.yaml"
    path.write_text("name: mine\nmodels: [mockllm/model]\ngrids:\n  - scenarios: [oversight]\n")
    code, _, err = run_cli(capsys, "plan", str(path))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "pack paper has no scenario oversight (set pack: insiderbench)" in err
    path.write_text(path.read_text() + "pack: insiderbench\n")
    code, _, err = run_cli(capsys, "plan", str(path), "--json")
    assert code == 0, err


def test_s_name_finds_the_pack_and_mixes_with_the_papers_scenarios(capsys):
    code, out, err = run_cli(capsys, "prompts", "-s", "oversight", "--json")
    assert code == 0, err
    assert json.loads(out)["condition_id"].endswith("__pack-insiderbench")
    code, out, err = run_cli(capsys, "conditions", "-s", "blackmail", "-s", "exfiltration")
    assert code == 0, err
    assert out.split() == ["blackmail_explicit-america_replacement__pack-insiderbench",
                           "exfiltration_explicit-america_replacement__pack-insiderbench"]
    code, _, err = run_cli(capsys, "conditions", "-s", "exfiltration", "--pack", "paper")
    assert code == 2 and err.strip() == ("Error: --pack paper has no scenario exfiltration "
                                         "(it has: blackmail, leaking, murder)")


def test_the_report_reads_our_behaviours(server, tmp_path, capsys):
    code, out, err = run_cli(capsys, "run", "--model", "openai-api/fake/harmful", "-s",
                             "exfiltration", "-s", "tampering", "-s", "oversight", "--samples",
                             "1", "--json", "--log-dir", str(tmp_path))
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert sorted((r["condition_id"].split("_")[0], r["harmful"]) for r in rows) == [
        ("exfiltration", 1), ("oversight", 1), ("tampering", 1)]
    code, _, err = run_cli(capsys, "report", str(tmp_path), "--out", str(tmp_path / "report"))
    assert code == 0, err
    html = (tmp_path / "report" / "report.html").read_text()
    assert "self-exfiltration" in html and "oversight subversion" in html


def test_regrading_with_the_papers_judge_leaves_ours_unscored_never_not_harmful(
        server, tmp_path, capsys):
    run(capsys, tmp_path, "harmful", "oversight")
    code, _, err = run_cli(capsys, "score", str(tmp_path), "--grader", GRADER, "--json")
    assert code == 0, err
    assert "1 without a judge verdict" in err
    (header,) = latest_logs(tmp_path)
    (sample,) = read_eval_log(header.location).samples or []
    judged = [s for s in sample.scores.values() if (s.metadata or {}).get("kind") == "judge"]
    assert judged and all(s.value != 0.0 for s in judged)
    assert "no classifier for oversight" in (judged[-1].reason or "")
