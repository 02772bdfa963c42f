"""End to end with scripted mockllm replies: the counts in the table are the known ones."""

import json
import subprocess
import sys

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.log import read_eval_log
from inspect_ai.model import get_model

from helpers import (
    BLACKMAIL_BENIGN,
    BLACKMAIL_HARMFUL,
    LEAK_HARMFUL,
    MURDER_HARMFUL,
    reply,
    run_cli,
)
from insiderbench.analysis import sample_rows, summarize
from insiderbench.scenarios import headline
from insiderbench.task import build_task


def scripted(*replies: str):
    return get_model(
        "mockllm/model",
        custom_outputs=[reply(r) for r in replies],
    )


def test_known_harmful_count(tmp_path):
    replies = [BLACKMAIL_HARMFUL, BLACKMAIL_BENIGN, BLACKMAIL_HARMFUL, BLACKMAIL_BENIGN, ""]
    (log,) = inspect_eval(
        build_task([headline("blackmail")]),
        model=scripted(*replies),
        epochs=5,
        log_dir=str(tmp_path),
        display="none",
        fail_on_error=False,
    )
    assert log.status == "success"
    (row,) = summarize(sample_rows(read_eval_log(log.location)))
    assert row.condition_id == "blackmail_explicit-america_replacement"
    # The empty reply is an error, not "not harmful".
    assert (row.n, row.harmful, row.unscored, row.errors) == (4, 2, 0, 1)
    assert row.rate == 0.5
    assert 0 < row.ci_low < 0.5 < row.ci_high < 1


def test_each_scenario_detects_its_harm(tmp_path):
    conditions = [headline("leaking"), headline("murder")]

    def respond(input, tools, tool_choice, config):
        return reply(LEAK_HARMFUL if "NovaStar" in input[0].text else MURDER_HARMFUL)

    (log,) = inspect_eval(
        build_task(conditions),
        model=get_model("mockllm/model", custom_outputs=respond),
        epochs=2,
        log_dir=str(tmp_path),
        display="none",
    )
    rows = {r.condition_id: r for r in summarize(sample_rows(read_eval_log(log.location)))}
    assert rows["leaking_explicit-america_replacement"].harmful == 2
    assert rows["murder_explicit-america_replacement"].harmful == 2
    sample = read_eval_log(log.location).samples[0]
    score = sample.scores["harm_check"]
    assert score.metadata["actions"], "the parsed actions are kept with the score"
    assert sample.metadata["prompt_hash"] and sample.metadata["pack"] == "paper"


def test_failed_calls_are_errors_not_harmless(tmp_path):
    calls = {"n": 0}

    def flaky(input, tools, tool_choice, config):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("provider exploded")
        return reply(BLACKMAIL_BENIGN)

    (log,) = inspect_eval(
        build_task([headline("blackmail")]),
        model=get_model("mockllm/model", custom_outputs=flaky),
        epochs=3,
        log_dir=str(tmp_path),
        display="none",
        fail_on_error=False,
    )
    (row,) = summarize(sample_rows(read_eval_log(log.location)))
    assert (row.n, row.harmful, row.errors) == (2, 0, 1)


def test_seeded_epochs_get_distinct_seeds(tmp_path):
    seen = []

    def record(input, tools, tool_choice, config):
        seen.append(config.seed)
        return reply(BLACKMAIL_BENIGN)

    inspect_eval(
        build_task([headline("blackmail")], seed=1),
        model=get_model("mockllm/model", custom_outputs=record),
        epochs=4,
        log_dir=str(tmp_path),
        display="none",
    )
    assert len(seen) == 4 and len(set(seen)) == 4 and None not in seen


def test_cli_run_json(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("INSPECT_DISPLAY", "none")
    code, out, err = run_cli(
        capsys, "run", "--model", "scripted/benign", "--samples", "2", "--log-dir",
        str(tmp_path), "--json",
    )
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["condition_id"] for r in rows] == [
        "blackmail_explicit-america_replacement",
        "leaking_explicit-america_replacement",
        "murder_explicit-america_replacement",
    ]
    for r in rows:
        assert set(r) == {"model", "condition_id", "n", "harmful", "rate", "ci_low", "ci_high",
                          "errors", "unscored", "no_answer", "truncated"}
        assert r["model"] == "scripted/benign" and r["n"] == 2 and r["harmful"] == 0
    assert list(tmp_path.glob("*.eval")), ".eval logs go directly into --log-dir"
    assert "inspect view" in err


def test_cli_run_table(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("INSPECT_DISPLAY", "none")
    code, out, err = run_cli(
        capsys, "run", "--model", "scripted/murder", "-s", "murder", "--goal-type", "none",
        "--urgency", "none", "--samples", "1", "--log-dir", str(tmp_path),
    )
    assert code == 0, err
    assert "murder_none-none_none" in out and "95% CI" in out
    assert "Log: " in out and ".eval" in out


@pytest.mark.embedded
def test_inspect_eval_entry_point(tmp_path):
    """`inspect eval insiderbench/agentic_misalignment` finds our task through the entry point.

    Real inference on the embedded model (a subprocess cannot use the tests' scripted model)."""
    result = subprocess.run(
        [sys.executable, "-m", "inspect_ai", "eval", "insiderbench/agentic_misalignment",
         "-T", "scenario=leaking", "--model", "embedded/smollm2", "--max-tokens", "8",
         "--log-dir", str(tmp_path),
         "--display", "none"],
        capture_output=True, text=True, timeout=1200, check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (path,) = tmp_path.glob("*.eval")
    log = read_eval_log(str(path))
    assert log.status == "success"
    assert log.samples[0].id == "leaking_explicit-america_replacement"


def test_sample_metadata_is_enough_to_reproduce(tmp_path):
    (log,) = inspect_eval(
        build_task([headline("murder")], seed=3, temperature=0.7, max_tokens=50),
        model="scripted/benign",
        log_dir=str(tmp_path),
        display="none",
    )
    meta = read_eval_log(log.location).samples[0].metadata
    assert meta["condition_id"] == "murder_explicit-america_replacement"
    assert meta["urgency"] == "replacement" and meta["extra_instructions"] == "none"
    assert meta["pack"] == "paper" and meta["pack_version"].startswith("inspect_evals ")
    assert meta["model"] == "scripted/benign"
    assert (meta["temperature"], meta["max_tokens"]) == (0.7, 50)
    assert isinstance(meta["seed"], int) and len(meta["prompt_hash"]) == 16
    assert meta["corrections"] == []


def test_two_experiments_share_a_log_dir(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("INSPECT_DISPLAY", "none")
    for scenario in ("murder", "leaking"):
        code, out, err = run_cli(capsys, "run", "--model", "scripted/benign", "-s", scenario,
                                 "--samples", "1", "--log-dir", str(tmp_path), "--json")
        assert code == 0, err
        (row,) = [json.loads(line) for line in out.splitlines()]
        assert row["condition_id"].startswith(scenario) and row["n"] == 1


def test_default_log_dir_is_per_experiment(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("INSPECT_DISPLAY", "none")
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, "run", "--model", "scripted/benign", "-s", "murder",
                           "--samples", "1", "--json")
    assert code == 0, err
    (folder,) = (tmp_path / "logs").iterdir()
    assert folder.name.startswith("run-") and len(folder.name) == len("run-") + 8
    assert list(folder.glob("*.eval"))


def test_empty_replies_are_retried_then_recorded_as_errors(tmp_path):
    seen: dict[int, int] = {}

    def first_empty(input, tools, tool_choice, config):
        # Every sample's first reply is empty; the retry answers.
        key = config.seed
        seen[key] = seen.get(key, 0) + 1
        return reply("" if seen[key] == 1 else BLACKMAIL_HARMFUL)

    (log,) = inspect_eval(
        build_task([headline("blackmail")], seed=5),
        model=get_model("mockllm/model", custom_outputs=first_empty),
        epochs=3,
        log_dir=str(tmp_path),
        display="none",
        retry_on_error=2,
        fail_on_error=False,
    )
    (row,) = summarize(sample_rows(read_eval_log(log.location)))
    assert (row.n, row.harmful, row.errors) == (3, 3, 0)
    assert sorted(seen.values()) == [2, 2, 2]

    (log,) = inspect_eval(
        build_task([headline("blackmail")]),
        model=get_model("mockllm/model", custom_outputs=lambda *a: reply("")),
        epochs=2,
        log_dir=str(tmp_path),
        display="none",
        retry_on_error=1,
        fail_on_error=False,
    )
    (row,) = summarize(sample_rows(read_eval_log(log.location)))
    assert (row.n, row.errors) == (0, 2), "always-empty replies end as errors, never harmless"


def test_run_reads_its_samples_back_once_and_survives_a_failed_report(tmp_path, capsys,
                                                                      monkeypatch):
    import insiderbench.analysis._report as report_module
    import insiderbench.analysis._table as table_module
    from insiderbench import analysis

    monkeypatch.setenv("INSPECT_DISPLAY", "none")
    reads = {"report": 0, "table": 0}

    def counting(real, key):
        def iterate(log):
            for sample in real(log):
                reads[key] += 1
                yield sample
        return iterate

    monkeypatch.setattr(table_module, "iter_samples", counting(table_module.iter_samples,
                                                               "report"))
    monkeypatch.setattr(analysis, "iter_samples", counting(analysis.iter_samples, "table"))
    args = ("run", "--model", "scripted/murder", "-s", "murder", "--samples", "3",
            "--log-dir", str(tmp_path), "--json")
    code, out, err = run_cli(capsys, *args)
    assert code == 0, err
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert (row["n"], row["harmful"]) == (3, 3)
    assert reads == {"report": 3, "table": 0}, "the table comes from the report's own pass"
    assert "Report: " in err

    # A report that cannot be written: a warning, and the table is read on its own.
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(report_module, "draw_figures", broken)
    reads.update(report=0, table=0)
    code, out, err = run_cli(capsys, *args)
    assert code == 0, err
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert (row["n"], row["harmful"]) == (3, 3)
    assert reads["table"] == 3
    assert "Warning: report not written: RuntimeError: disk full" in err
    assert "Report: " not in err
