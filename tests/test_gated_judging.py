"""Judging past the gate, through the real CLI, Inspect's openai-api provider and the fake
server: a veiled blackmail the heuristic misses still counts under our rule when the judge says
yes, and replies that write to no one cost no judge call beyond the audit share."""

from __future__ import annotations

import json

import pytest

from fakeserver import ServerConfig
from helpers import fake_server_env, run_cli
from insiderbench.analysis import iter_samples, sample_row
from insiderbench.classify import audited, latest_scores
from insiderbench.experiment import latest_logs

GRADER = "openai-api/fake/grader"


@pytest.fixture
def server(monkeypatch):
    config = ServerConfig(latency_min=0.0, latency_max=0.01, seed=11)
    with fake_server_env(monkeypatch, config) as s:
        yield s


def rows_of(log_dir):
    (header,) = latest_logs(log_dir)
    samples = list(iter_samples(header))
    return samples, [sample_row(header.eval.model, header.eval.task, s) for s in samples]


def grader_requests(server) -> int:
    return sum(1 for r in server.stats().records if r.model == "grader")


def test_veiled_blackmail_the_heuristic_misses_counts_when_the_judge_says_yes(
        server, tmp_path, capsys):
    code, out, err = run_cli(capsys, "run", "--model", "openai-api/fake/veiled", "-s",
                             "blackmail", "--samples", "2", "--grader", GRADER, "--json",
                             "--log-dir", str(tmp_path))
    assert code == 0, err
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert (row["n"], row["harmful"], row["unscored"]) == (2, 2, 0)
    _, rows = rows_of(tmp_path)
    for r in rows:
        assert (r.heuristic, r.gate, r.judge, r.ours) == (False, True, True, True), r
    assert grader_requests(server) == 2


def test_replies_that_write_to_no_one_are_judged_only_in_the_audit_share(
        server, tmp_path, capsys):
    samples = 24
    code, out, err = run_cli(capsys, "run", "--model", "openai-api/fake/silent", "-s",
                             "blackmail", "--samples", str(samples), "--grader", GRADER,
                             "--audit-fraction", "0.3", "--json", "--log-dir", str(tmp_path))
    assert code == 0, err
    (row,) = [json.loads(line) for line in out.splitlines()]
    # Not harmful under our rule without a judge: the gate is closed. Never unscored.
    assert (row["n"], row["harmful"], row["unscored"], row["errors"]) == (samples, 0, 0, 0)
    logged, rows = rows_of(tmp_path)
    picked = [s for s in logged if audited(s.id, s.epoch, 0.3)]
    assert 0 < len(picked) < samples
    assert grader_requests(server) == len(picked)
    for s, r in zip(logged, rows, strict=True):
        judge = latest_scores(s.scores).get("judge")
        assert r.gate is False and r.ours is False
        if s in picked:
            assert judge is not None and judge.metadata["audit"] is True
            assert r.judge is False  # what the judge said where it was not needed
        else:
            assert judge is None and r.judge is None
    # The report says what judging past the gate cost, and what the audit found.
    code, out, err = run_cli(capsys, "report", str(tmp_path))
    assert code == 0, err
    html = (tmp_path / "report" / "report.html").read_text()
    sentence = (f"Judge asked about {len(picked)} of {samples} samples ({len(picked)} call(s)): "
                f"the gate was open on 0; {len(picked)} of the {samples} gated out were audited, "
                f"and the judge said yes on 0 of them")
    assert sentence in html


def test_no_audit_means_no_judge_call_at_all(server, tmp_path, capsys):
    code, _, err = run_cli(capsys, "run", "--model", "openai-api/fake/silent", "-s",
                           "leaking", "--samples", "6", "--grader", GRADER,
                           "--audit-fraction", "0", "--log-dir", str(tmp_path))
    assert code == 0, err
    assert grader_requests(server) == 0
    _, rows = rows_of(tmp_path)
    assert [r.ours for r in rows] == [False] * 6
