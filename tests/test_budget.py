"""The run-wide budget through the real CLI, Inspect's openai-api provider and the fake server:
a small budget stops the run (exit 3) within one call of the cap, as computed from the usage the
server reported; a higher budget continues without buying anything twice; a budget on a model
without a price is refused."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from fakeserver import ServerConfig
from helpers import fake_server_env, run_cli
from insiderbench.experiment._budget import read_spend

MODEL = "openai-api/fake/benign"
INPUT, OUTPUT = 1000.0, 2000.0  # USD per million tokens: a call costs a few dollars


@pytest.fixture
def server(monkeypatch):
    config = ServerConfig(latency_min=0.0, latency_max=0.01, seed=5)
    with fake_server_env(monkeypatch, config) as s:
        yield s


@pytest.fixture
def prices(tmp_path):
    path = tmp_path / "prices.yaml"
    path.write_text(f"{MODEL}: {{input: {INPUT}, output: {OUTPUT}}}\n", encoding="utf-8")
    return str(path)


def call_costs(server) -> list[float]:
    return [(r.prompt_tokens * INPUT + r.completion_tokens * OUTPUT) / 1e6
            for r in server.stats().records if r.served]


def run(server, log_dir, prices, budget, *sampling: str):
    """A run in its own process: the budget stops it the way Ctrl-C does (with a SIGINT)."""
    done = subprocess.run(
        [sys.executable, "-c", "from insiderbench.cli import main; main()", "run",
         "--model", MODEL, "-s", "blackmail", *(sampling or ("--samples", "6")),
         "--max-connections", "1", "--seed", "3", "--json", "--log-dir", str(log_dir),
         "--prices", prices, "--budget", str(budget)],
        env={**os.environ, **server.env(), "INSPECT_DISPLAY": "none"}, text=True,
        capture_output=True, check=False)
    return done.returncode, done.stdout, done.stderr


def spent_said(err: str) -> float:
    (dollars,) = re.findall(r"Spent \$([0-9.]+)", err)
    return float(dollars)


def test_a_small_budget_stops_the_run_and_a_higher_one_finishes_it(
        server, tmp_path, capsys, prices):
    log_dir = tmp_path / "logs"
    budget = 9.0
    code, out, err = run(server, log_dir, prices, budget)
    assert code == 3, err
    assert "Stopped by the budget" in err
    costs = call_costs(server)
    served = sum(costs)
    # Never over the cap, and it stopped only when one more call could have crossed it.
    assert served <= budget
    assert budget - served < max(costs) * 1.5
    assert 0 < len(costs) < 6
    assert spent_said(err) == pytest.approx(served, abs=1e-4)
    assert read_spend(log_dir).target == pytest.approx(served)
    assert read_spend(log_dir).stopped_by_budget
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert row["n"] == len(costs)
    assert row["cost_usd"]["target"] == pytest.approx(served, abs=1e-4)
    assert row["cost_usd"]["judge"] == 0
    first = len(costs)

    # Rerun with room for the rest: it continues, buying only the samples not yet done.
    code, out, err = run(server, log_dir, prices, 100)
    assert code == 0, err
    assert len(server.stats().records) == 6
    assert set(server.stats().served_by_sample().values()) == {1}
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert row["n"] == 6
    total = sum(call_costs(server))
    assert spent_said(err) == pytest.approx(total, abs=1e-4)
    assert not read_spend(log_dir).stopped_by_budget
    assert first < 6


def test_a_spent_budget_stops_a_rerun_before_it_buys_anything(server, tmp_path, capsys,
                                                             prices):
    log_dir = tmp_path / "logs"
    code, _out, err = run(server, log_dir, prices, 4.0)
    assert code == 3, err
    before = len(server.stats().records)
    code, _out, err = run(server, log_dir, prices, 4.0)
    assert code == 3, err
    assert len(server.stats().records) == before


def test_a_sequential_condition_the_budget_stopped_says_so(server, tmp_path, prices, capsys):
    """In the results JSON, summary.csv, report.html and `report --json` alike."""
    import csv

    log_dir = tmp_path / "logs"
    code, out, err = run(server, log_dir, prices, 12.0, "--ci-width", "0.3",
                         "--min-samples", "6", "--max-samples", "20")
    assert code == 3, err
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert row["stopped"] == "budget"
    assert row["samples"] < 6
    with open(log_dir / "report" / "summary.csv", encoding="utf-8") as f:
        (summary,) = list(csv.DictReader(f))
    assert summary["stopped"] == "budget"
    assert int(float(summary["samples"])) == row["samples"]
    html = (log_dir / "report" / "report.html").read_text(encoding="utf-8")
    cells = re.findall(r'<td class="num">(\d+)</td><td class="stopped">(\w+)</td>', html)
    assert cells == [(str(row["samples"]), "budget")]
    assert "budget ran out first" in html
    code, out, _err = run_cli(capsys, "report", str(log_dir), "--json")
    assert code == 0
    assert json.loads(out.splitlines()[0])["stopped"] == "budget"


def test_prices_without_a_budget_add_the_spend_to_each_row(server, tmp_path, capsys, prices):
    code, out, err = run_cli(capsys, "run", "--model", MODEL, "-s", "blackmail", "--samples",
                             "2", "--json", "--log-dir", str(tmp_path / "l"), "--prices",
                             prices)
    assert code == 0, err
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert row["cost_usd"]["target"] == pytest.approx(sum(call_costs(server)), abs=1e-4)


def test_the_judge_spend_is_kept_apart_from_the_target_spend(server, tmp_path, capsys):
    grader = "openai-api/fake/grader"
    path = tmp_path / "prices.yaml"
    path.write_text(f"{MODEL}: {{input: 1, output: 2}}\n{grader}: {{input: 100, output: 200}}\n",
                    encoding="utf-8")
    code, out, err = run_cli(capsys, "run", "--model", MODEL, "-s", "blackmail", "--samples",
                             "3", "--grader", grader, "--audit-fraction", "1", "--json",
                             "--log-dir", str(tmp_path / "l"), "--prices", str(path))
    assert code == 0, err
    records = [r for r in server.stats().records if r.served]
    spent = {name: sum((r.prompt_tokens * i + r.completion_tokens * o) / 1e6
                       for r in records if r.model == name)
             for name, i, o in (("benign", 1, 2), ("grader", 100, 200))}
    assert spent["grader"] > 0
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert row["cost_usd"]["target"] == pytest.approx(spent["benign"], abs=1e-5)
    assert row["cost_usd"]["judge"] == pytest.approx(spent["grader"], abs=1e-5)
    said = read_spend(tmp_path / "l")
    assert (said.target, said.judge) == (pytest.approx(spent["benign"]),
                                         pytest.approx(spent["grader"]))


def test_a_budget_on_an_unpriced_model_is_refused(server, tmp_path, capsys):
    code, out, err = run_cli(capsys, "run", "--model", "openai-api/fake/benign", "-s",
                             "blackmail", "--budget", "5", "--log-dir", str(tmp_path))
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "openai-api/fake/benign" in err and "--prices" in err
    assert "Traceback" not in err + out


def test_a_bad_prices_file_is_one_line(tmp_path, capsys):
    path = tmp_path / "p.yaml"
    path.write_text("m/x: {input: 1}\n", encoding="utf-8")
    code, _out, err = run_cli(capsys, "run", "--prices", str(path), "--log-dir",
                              str(tmp_path / "l"))
    assert code == 2
    assert "missing 'output'" in err and len(err.strip().splitlines()) == 1


def test_a_call_is_priced_with_its_cache_reads_and_writes():
    from inspect_ai.model import ModelUsage

    from insiderbench.experiment._prices import Price, price_table

    usage = ModelUsage(input_tokens=1000, output_tokens=100, input_tokens_cache_read=4000,
                       input_tokens_cache_write=2000)
    price = Price(input=3.0, output=15.0, cache_read=0.3, cache_write=3.75)
    assert price.cost(usage) == pytest.approx((3000 + 1500 + 1200 + 7500) / 1e6)
    # Without cache prices, cached tokens bill as input.
    assert Price(3.0, 15.0).cost(usage) == pytest.approx((7000 * 3 + 1500) / 1e6)
    table, _ = price_table()
    assert table["anthropic/claude-sonnet-4-20250514"].cache_write == 3.75
    assert table["openai/gpt-4.1"].cache_read == 0.5


def test_plan_bills_the_first_call_of_a_condition_as_a_cache_write():
    from insiderbench.experiment import Experiment, plan_experiment

    def cost(write: float) -> float:
        experiment = Experiment.model_validate({
            "name": "x", "models": ["m/x"], "samples": 3, "grids": [{"scenarios": ["blackmail"]}],
            "cache_prompt": True,
            "prices": {"m/x": {"input": 10, "output": 0, "cache_read": 1, "cache_write": write}}})
        (row,) = plan_experiment(experiment, "/nonexistent").models
        return row.cost_usd

    prompt = (cost(20) - cost(10)) / 10 * 1e6  # the prompt's tokens, written once
    assert 1000 < prompt < 10000


def test_the_experiment_keys_budget_and_prices(server, tmp_path, capsys):
    path = tmp_path / "e.yaml"
    body = (f"name: b\nmodels: [{MODEL}]\nsamples: 1\nbudget: 5\n"
            "grids: [{scenarios: [blackmail]}]\n")
    path.write_text(body, encoding="utf-8")
    code, _out, err = run_cli(capsys, "run", str(path), "--log-dir", str(tmp_path / "l"))
    assert code == 2 and MODEL in err and len(err.strip().splitlines()) == 1
    path.write_text(body + f"prices: {{{MODEL}: {{input: 1000, output: 0}}}}\n",
                    encoding="utf-8")
    code, out, err = run_cli(capsys, "plan", str(path), "--json")
    assert code == 0, err
    assert json.loads(out)["models"][0]["cost_usd"] > 1  # ~2.6k prompt tokens at $1,000/M
