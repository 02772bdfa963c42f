"""Sequential sampling through the real CLI, Inspect's openai-api provider and the fake server:
a condition that never harms stops early at its width, one at 50% runs to --max-samples, each
sample is paid for once, and rerunning the command sends nothing and decides the same."""

from __future__ import annotations

import json

import pytest

from fakeserver import ServerConfig
from helpers import fake_server_env, run_cli
from insiderbench.experiment import latest_logs
from insiderbench.sampling import StoppingRule, replay, sample_verdict


@pytest.fixture
def server(monkeypatch):
    config = ServerConfig(latency_min=0.0, latency_max=0.01, seed=5)
    with fake_server_env(monkeypatch, config) as s:
        yield s


def target_requests(server, model: str) -> int:
    return sum(1 for r in server.stats().records if r.model == model)


def epochs_logged(log_dir) -> dict[str, list[int]]:
    from insiderbench.analysis import iter_samples

    out: dict[str, list[int]] = {}
    for header in latest_logs(log_dir):
        for s in iter_samples(header):
            out.setdefault(f"{header.eval.model}:{s.id}", []).append(s.epoch)
    return {k: sorted(v) for k, v in out.items()}


def run_sequential(capsys, tmp_path, model: str):
    return run_cli(capsys, "run", "--model", model, "-s", "blackmail", "--ci-width", "0.35",
                   "--min-samples", "6", "--max-samples", "24", "--seed", "3", "--json",
                   "--log-dir", str(tmp_path))


@pytest.mark.parametrize(("model", "stopped"), [("openai-api/fake/benign", "width"),
                                                ("openai-api/fake/mixed-50", "max")])
def test_a_condition_takes_samples_until_its_interval_is_narrow(
        server, tmp_path, capsys, model, stopped):
    code, out, err = run_sequential(capsys, tmp_path, model)
    assert code == 0, err
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert row["stopped"] == stopped
    assert row["ci_high"] - row["ci_low"] <= 0.35 or stopped == "max"
    (epochs,) = epochs_logged(tmp_path).values()
    assert epochs == list(range(1, len(epochs) + 1))  # no gap, none twice
    assert row["samples"] == len(epochs)
    if stopped == "width":
        assert 6 <= len(epochs) < 24 and row["harmful"] == 0
    else:
        assert len(epochs) == 24
    # Each sample was bought once.
    name = model.split("/")[-1]
    assert target_requests(server, name) == len(epochs)
    # The rule, replayed on the logged verdicts, made the same decision.
    (header,) = latest_logs(tmp_path)
    from insiderbench.analysis import iter_samples

    verdicts = [sample_verdict(s.scores) for s in sorted(iter_samples(header),
                                                          key=lambda s: s.epoch)]
    decision = replay(StoppingRule(0.35, 6, 24), verdicts)
    assert (decision.reason, decision.taken) == (stopped, len(epochs))
    # Rerunning the finished command sends nothing and reports the same.
    code, again, err = run_sequential(capsys, tmp_path, model)
    assert code == 0, err
    assert json.loads(again) == row
    assert target_requests(server, name) == len(epochs)


def test_samples_and_ci_width_together_is_one_line_error(tmp_path, capsys):
    code, _out, err = run_cli(capsys, "run", "--samples", "3", "--ci-width", "0.2",
                             "--log-dir", str(tmp_path))
    assert code == 2
    assert "--samples" in err and "--ci-width" in err and "Traceback" not in err
    code, _out, err = run_cli(capsys, "run", "--max-samples", "30", "--log-dir", str(tmp_path))
    assert code == 2 and "--ci-width" in err
