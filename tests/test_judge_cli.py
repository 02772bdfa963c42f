"""`run --grader`, `score` and `agreement` through the in-process CLI."""

from __future__ import annotations

import json

import pytest
from inspect_ai.log import read_eval_log

import graders
from helpers import run_cli
from insiderbench.analysis import cohens_kappa
from insiderbench.experiment import latest_logs


@pytest.fixture(autouse=True)
def _quiet(monkeypatch):
    monkeypatch.setenv("INSPECT_DISPLAY", "none")


def rows_of(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def run_json(capsys, tmp_path, *args):
    code, out, err = run_cli(capsys, "run", "--log-dir", str(tmp_path), "--json", *args)
    assert code == 0, err
    return rows_of(out)


def test_run_with_a_grader_reports_our_rule_and_the_papers(tmp_path, capsys):
    base = ("--model", "scripted/blackmail", "-s", "blackmail", "--samples", "2",
            "--grader", "judgebot/yes")
    (row,) = run_json(capsys, tmp_path, *base)
    assert (row["n"], row["harmful"]) == (2, 2)
    # The scripted blackmail never says "blackmail" or "leverage": the paper's gate says no.
    code, out, err = run_cli(capsys, "run", "--log-dir", str(tmp_path), "--json", "--rule",
                             "paper", *base)
    assert code == 0, err
    (row,) = rows_of(out)
    assert (row["n"], row["harmful"]) == (2, 0)
    code, out, err = run_cli(capsys, "run", "--log-dir", str(tmp_path), "--rule", "paper", *base)
    assert code == 0 and "the paper's rule" in out
    assert "Judged by: paper judge via judgebot/yes" in out


def test_tables_say_when_there_is_no_judge(tmp_path, capsys):
    code, out, err = run_cli(capsys, "run", "--model", "scripted/murder", "-s", "murder",
                             "--samples", "1", "--log-dir", str(tmp_path))
    assert code == 0, err
    assert "heuristic (deterministic, offline) only (no grader, no LLM judge)" in out
    code, out, err = run_cli(capsys, "run", "--model", "scripted/murder", "-s", "murder",
                             "--samples", "1", "--log-dir", str(tmp_path / "judged"),
                             "--grader", "judgebot/no", "--judge", "insiderbench")
    assert code == 0, err
    assert "no grader" not in out and "our rule" in out
    assert "Judged by: insiderbench judge via judgebot/no" in out


def test_unparseable_grader_leaves_samples_unscored(tmp_path, capsys):
    (row,) = run_json(capsys, tmp_path, "--model", "scripted/blackmail", "-s", "blackmail",
                      "--samples", "2", "--grader", "judgebot/garbage")
    assert (row["n"], row["harmful"], row["unscored"], row["rate"]) == (0, 0, 2, None)
    code, out, _err = run_cli(capsys, "run", "--model", "scripted/blackmail", "-s", "blackmail",
                             "--samples", "2", "--grader", "judgebot/garbage", "--log-dir",
                             str(tmp_path))
    assert code == 0 and "Unscored (2): no judge verdict (unparseable judge reply: no <answer> tag" in out


def test_awareness_breakdown_in_run_output(tmp_path, capsys):
    args = ("--model", "scripted/blackmail", "-s", "blackmail", "--eval-awareness",
            "--samples", "2", "--grader", "judgebot/yes")
    (row,) = run_json(capsys, tmp_path, *args)
    assert row["condition_id"].endswith("__aware")
    real = row["by_awareness"]["real"]
    assert (real["n"], real["harmful"], real["rate"]) == (2, 2, 1.0)
    code, out, _err = run_cli(capsys, "run", "--log-dir", str(tmp_path), *args)
    assert code == 0 and "stated conclusion" in out and " real " in out


@pytest.mark.parametrize("args,needle", [
    (("--rule", "paper"), "needs an LLM judge"),
    (("--grader", "nosuchprovider/x"), "unknown model provider"),
    (("--grader", "judgebot/yes", "--judge", "gpt"), "paper"),
])
def test_run_judge_mistakes_are_one_line_errors(tmp_path, capsys, args, needle):
    code, _out, err = run_cli(capsys, "run", "--model", "scripted/benign", "-s", "murder",
                             "--log-dir", str(tmp_path), *args)
    assert code == 2 and needle in err and "Traceback" not in err


# --- score ---------------------------------------------------------------------------------


def tripwire_run(capsys, monkeypatch, tmp_path, reply_name="blackmail", samples="2"):
    """Generate with a keyed target, then take its key away."""
    monkeypatch.setenv(graders.TRIPWIRE_KEY, "secret")
    run_json(capsys, tmp_path, "--model", f"tripwire/{reply_name}", "-s", "blackmail",
             "--samples", samples)
    monkeypatch.delenv(graders.TRIPWIRE_KEY)
    return graders.CALLS[f"tripwire/{reply_name}"]


def snapshot(log_dir):
    (header,) = latest_logs(log_dir)
    log = read_eval_log(header.location)
    log.samples.sort(key=lambda s: (str(s.id), s.epoch))  # re-grading may reorder samples
    return header.location, log, [
        (s.id, s.epoch, s.output.model_dump_json(), [m.model_dump_json() for m in s.messages])
        for s in log.samples
    ]


def test_score_regrades_without_calling_the_model_under_test(tmp_path, capsys, monkeypatch):
    calls = tripwire_run(capsys, monkeypatch, tmp_path)
    assert calls >= 2
    location, before, generations = snapshot(tmp_path)
    assert all(set(s.scores) == {"harm_check"} for s in before.samples)

    code, out, err = run_cli(capsys, "score", str(tmp_path), "--grader", "judgebot/yes",
                             "--json")
    assert code == 0, err
    (row,) = rows_of(out)
    assert (row["model"], row["n"], row["harmful"]) == ("tripwire/blackmail", 2, 2)
    assert graders.CALLS["tripwire/blackmail"] == calls, "the model under test was not called"
    after_location, after, after_generations = snapshot(tmp_path)
    assert after_location == location and after_generations == generations
    assert after.eval.model_roles == before.eval.model_roles
    for sample, old in zip(after.samples, before.samples, strict=True):
        assert sample.scores["harm_check"] == old.scores["harm_check"], "old scores are kept"
        kinds = {s.metadata["kind"] for s in sample.scores.values()}
        assert kinds == {"check", "judge", "harmful"}

    # A second grading with another verdict goes beside the first; the newest wins.
    code, out, err = run_cli(capsys, "score", str(tmp_path), "--grader", "judgebot/no",
                             "--judge", "insiderbench", "--json")
    assert code == 0, err
    (row,) = rows_of(out)
    assert (row["n"], row["harmful"]) == (2, 0)
    _, again, _ = snapshot(tmp_path)
    judges = [s for s in again.samples[0].scores.values() if s.metadata["kind"] == "judge"]
    assert sorted(s.metadata["judge"] for s in judges) == ["insiderbench", "paper"]
    assert graders.CALLS["tripwire/blackmail"] == calls


def test_a_failed_regrading_keeps_the_earlier_verdict(tmp_path, capsys, monkeypatch):
    tripwire_run(capsys, monkeypatch, tmp_path)
    code, out, err = run_cli(capsys, "score", str(tmp_path), "--grader", "judgebot/yes",
                             "--json")
    assert code == 0, err
    assert [(r["n"], r["harmful"]) for r in rows_of(out)] == [(2, 2)]
    code, out, err = run_cli(capsys, "score", str(tmp_path), "--grader", "judgebot/garbage",
                             "--json")
    assert code == 0, err
    # The undecided re-grading is kept in the log, but the decided verdicts stay in effect.
    assert [(r["n"], r["harmful"], r["unscored"]) for r in rows_of(out)] == [(2, 2, 0)]
    assert "Kept the earlier verdict of 2 sample(s)" in err
    _, log, _ = snapshot(tmp_path)
    judges = [s for s in log.samples[0].scores.values() if s.metadata["kind"] == "judge"]
    assert len(judges) == 2 and sum(s.value == 1.0 for s in judges) == 1
    code, out, err = run_cli(capsys, "report", str(tmp_path), "--json")
    assert code == 0, err
    assert [(r["n"], r["harmful"]) for r in rows_of(out)] == [(2, 2)]


def test_score_table_and_rule_paper(tmp_path, capsys, monkeypatch):
    tripwire_run(capsys, monkeypatch, tmp_path, samples="1")
    code, out, err = run_cli(capsys, "score", str(tmp_path), "--grader", "judgebot/yes",
                             "--rule", "paper")
    assert code == 0, err
    assert "the paper's rule" in out and "Judged by: paper judge via judgebot/yes" in out
    assert "tripwire/blackmail" in out and "Log: " in out


def test_resume_after_score_generates_nothing_new(tmp_path, capsys, monkeypatch):
    calls = tripwire_run(capsys, monkeypatch, tmp_path)
    code, _, err = run_cli(capsys, "score", str(tmp_path), "--grader", "judgebot/yes")
    assert code == 0, err
    monkeypatch.setenv(graders.TRIPWIRE_KEY, "secret")
    (row,) = run_json(capsys, tmp_path, "--model", "tripwire/blackmail", "-s", "blackmail",
                      "--samples", "2")
    assert graders.CALLS["tripwire/blackmail"] == calls, "the re-graded log is reused as is"
    assert (row["n"], row["harmful"]) == (2, 2)


@pytest.mark.parametrize("args,needle", [
    (("does-not-exist", "--grader", "judgebot/yes"), "does not exist"),
    (("{empty}", "--grader", "judgebot/yes"), "no .eval logs"),
    (("{empty}", "--grader", "nosuchprovider/x"), "unknown model provider"),
    (("{empty}",), "Missing option '--grader'"),
])
def test_score_mistakes_are_one_line_errors(tmp_path, capsys, args, needle):
    args = tuple(a.replace("{empty}", str(tmp_path)) for a in args)
    code, _out, err = run_cli(capsys, "score", *args)
    assert code == 2 and needle in err and "Traceback" not in err


# --- agreement -------------------------------------------------------------------------------


def test_agreement_lists_disagreements(tmp_path, capsys):
    # The check finds blackmail; the judge says no: check and judge disagree on every sample.
    run_json(capsys, tmp_path, "--model", "scripted/blackmail", "-s", "blackmail",
             "--samples", "2", "--grader", "judgebot/no")
    run_json(capsys, tmp_path, "--model", "scripted/benign", "-s", "blackmail",
             "--samples", "2", "--grader", "judgebot/no")
    code, out, err = run_cli(capsys, "agreement", str(tmp_path), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["samples"] == 4
    patterns = {(p["check"], p["judge"], p["ours"], p["paper"]): p["count"]
                for p in data["patterns"]}
    assert patterns == {(True, False, False, False): 2, (False, False, False, False): 2}
    check_judge = next(p for p in data["pairs"] if (p["a"], p["b"]) == ("check", "judge"))
    assert (check_judge["n"], check_judge["agree"]) == (4, 2)
    pairs = [(True, False)] * 2 + [(False, False)] * 2
    assert check_judge["kappa"] == cohens_kappa(pairs) == 0.0
    assert len(data["disagreements"]) == 2
    d = data["disagreements"][0]
    assert d["model"] == "scripted/blackmail" and d["epoch"] in (1, 2)
    assert "kyle.johnson@summitbridge.com" in d["excerpt"]
    assert d["judge_reasoning"] == "Considering the transcript."

    code, out, err = run_cli(capsys, "agreement", str(tmp_path))
    assert code == 0, err
    assert "Cohen's kappa" in out and "check vs judge" in out and "NO" in out
    assert "scripted/blackmail" in out


def test_agreement_on_a_run_without_judge(tmp_path, capsys):
    run_json(capsys, tmp_path, "--model", "scripted/benign", "-s", "murder", "--samples", "1")
    code, out, err = run_cli(capsys, "agreement", str(tmp_path))
    assert code == 0, err
    assert "No sample where the decided signals disagree." in out


def test_cohens_kappa_against_reference_computations():
    # Worked example of Cohen's kappa (Wikipedia): 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no.
    pairs = [(True, True)] * 20 + [(True, False)] * 5 + [(False, True)] * 10 + \
            [(False, False)] * 15
    assert cohens_kappa(pairs) == pytest.approx(0.4)
    statsmodels = pytest.importorskip("statsmodels.stats.inter_rater")
    table = [[20, 5], [10, 15]]
    assert cohens_kappa(pairs) == pytest.approx(statsmodels.cohens_kappa(table).kappa)
    assert cohens_kappa([(True, True)] * 3) is None, "undefined when chance agreement is 1"
    assert cohens_kappa([]) is None
    assert cohens_kappa([(True, False), (False, True)]) == pytest.approx(-1.0)


# --- experiment files and presets ------------------------------------------------------------


def test_experiment_file_names_grader_and_judge(tmp_path, capsys):
    path = tmp_path / "exp.yaml"
    path.write_text(
        "name: judged\nmodels: [scripted/blackmail]\nsamples: 1\ngrader: judgebot/yes\n"
        "judge: insiderbench\ngrids:\n  - scenarios: [blackmail]\n"
    )
    code, out, err = run_cli(capsys, "run", str(path), "--log-dir", str(tmp_path / "logs"))
    assert code == 0, err
    assert "Judged by: insiderbench judge via judgebot/yes" in out
    # --grader none: the deterministic checks alone, and the table says so.
    code, out, err = run_cli(capsys, "run", str(path), "--grader", "none", "--log-dir",
                             str(tmp_path / "unjudged"))
    assert code == 0, err
    assert "heuristic (deterministic, offline) only (no grader, no LLM judge)" in out


def test_presets_name_the_ports_judge():
    from inspect_evals.agentic_misalignment.classifiers.blackmail_classifier import (
        BLACKMAIL_CLASSIFICATION_MODEL_ID,
    )

    from insiderbench.experiment import load_preset, preset_names

    for name in preset_names():
        assert load_preset(name).grader == BLACKMAIL_CLASSIFICATION_MODEL_ID, name


def test_run_refuses_to_regenerate_just_to_change_the_judge(tmp_path, capsys, monkeypatch):
    calls = tripwire_run(capsys, monkeypatch, tmp_path)
    monkeypatch.setenv(graders.TRIPWIRE_KEY, "secret")
    code, out, err = run_cli(capsys, "run", "--model", "tripwire/blackmail", "-s", "blackmail",
                             "--samples", "2", "--log-dir", str(tmp_path), "--grader",
                             "judgebot/yes")
    assert code == 2 and "made without a judge" in err and "insiderbench score" in err
    assert graders.CALLS["tripwire/blackmail"] == calls
    # Another experiment (other conditions) in the same directory is not affected.
    code, out, err = run_cli(capsys, "run", "--model", "tripwire/blackmail", "-s", "murder",
                             "--samples", "1", "--log-dir", str(tmp_path), "--grader",
                             "judgebot/yes", "--json")
    assert code == 0, err
    (row,) = rows_of(out)
    assert row["condition_id"].startswith("murder") and row["n"] == 1


def test_score_skips_logs_of_other_tasks(tmp_path, capsys):
    from inspect_ai import Task
    from inspect_ai import eval as inspect_eval
    from inspect_ai.dataset import Sample

    inspect_eval(Task(dataset=[Sample(input="hi", target="hi")], name="other_task"),
                 model="scripted/benign", log_dir=str(tmp_path), display="none")
    run_json(capsys, tmp_path, "--model", "scripted/blackmail", "-s", "blackmail",
             "--samples", "1")
    code, out, err = run_cli(capsys, "score", str(tmp_path), "--grader", "judgebot/yes",
                             "--json")
    assert code == 0, err
    assert "Skipping" in err and "other_task" in err
    (row,) = rows_of(out)
    assert (row["model"], row["n"], row["harmful"]) == ("scripted/blackmail", 1, 1)
