"""The report: one table from many logs, the files it writes, compare, and the HTML in Chromium."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from inspect_ai.log import read_eval_log_samples
from statsmodels.stats.proportion import confint_proportions_2indep

from helpers import run_cli
from insiderbench.analysis import (
    factor_effects,
    iter_samples,
    read_results,
    read_rows,
    summarize,
    summary_table,
)
from insiderbench.analysis._table import row_of
from insiderbench.experiment import latest_logs
from report_fixture import CONDITIONS, EPOCHS, XSS, build_logs, expected_harmful

HEADLINE = CONDITIONS[0].condition_id
RUN_JSON_KEYS = {"model", "condition_id", "n", "harmful", "rate", "ci_low", "ci_high", "errors",
                 "unscored", "no_answer", "truncated"}


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    return build_logs(tmp_path_factory.mktemp("report-logs"))


@pytest.fixture(scope="module")
def report_dir(logs, tmp_path_factory):
    import subprocess
    import sys

    out = tmp_path_factory.mktemp("report-out")
    # A separate process: the command as a user runs it.
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "insiderbench"), "report", str(logs["both"]),
         "--out", str(out), "--json"],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return out, proc.stdout, proc.stderr


def test_one_row_per_sample_from_the_newest_log_of_each_task(logs):
    assert len(list(logs["both"].glob("*.eval"))) == 3  # alpha's failed attempt is still there
    table = read_results(logs["both"]).table
    assert len(table) == 2 * len(CONDITIONS) * EPOCHS
    assert not table.duplicated(["model", "condition_id", "epoch"]).any()
    assert (table["status"] != "error").all(), "the superseded attempt's errors are ignored"
    assert table["input_tokens"].notna().all() and (table["output_tokens"] > 0).all()
    assert set(table["model"]) == {"fixture/alpha", "fixture/beta"}


def test_newest_decided_score_of_each_kind_wins(logs):
    table = read_results(logs["both"]).table
    judged = table[table["judge"].notna()]
    # The newer judge agrees with the check except where it was written to differ; the older,
    # superseded one said the opposite everywhere.
    # The judge in effect says harmful where the fixture wrote it to (epoch 1 of `threat only`)
    # and where only the superseded judge decided (epoch 2 of the headline: it said harmful);
    # everywhere else it is the check's verdict.
    assert len(judged) == len(table)
    for r in judged.itertuples():
        written = ((r.condition_id, r.epoch) in ((CONDITIONS[2].condition_id, 1), (HEADLINE, 2)))
        assert bool(r.judge) is (True if written else bool(r.check)), r
    # The superseded judge is in effect only where the newer one could not decide: epoch 2 of
    # the headline condition, once per model.
    old = table[table["grader"] == "mockllm/old"]
    assert sorted(zip(old["model"], old["condition_id"], old["epoch"])) == [
        ("fixture/alpha", HEADLINE, 2), ("fixture/beta", HEADLINE, 2)]
    assert table["grader"].dropna().isin(["mockllm/judge", "mockllm/old"]).all()
    unscored = table[table["status"] == "unscored"]
    assert set(unscored["condition_id"]) == {HEADLINE}
    assert unscored["reason"].str.contains("no <answer> tag|undecided").all()
    aware = table[table["eval_awareness"]]
    assert set(aware["awareness"]) == {"real", "evaluation"}
    assert (aware["awareness"] == "real").sum() == aware["check"].sum()


def test_rules_give_the_known_counts(logs):
    check = summary_table(read_results(logs["both"], rule="check").table)
    by = {(r.model, r.condition_id): r for r in check.itertuples()}
    kinds = ["headline", "goal_only", "threat_only", "neither", "dont", "aware"]
    for model in ("alpha", "beta"):
        for kind, condition in zip(kinds, CONDITIONS, strict=True):
            cell = by[(f"fixture/{model}", condition.condition_id)]
            assert (cell.n, cell.harmful) == (EPOCHS, expected_harmful(model, kind))
    ours = read_results(logs["both"], rule="ours").table
    paper = read_results(logs["both"], rule="paper").table
    threat_only = CONDITIONS[2].condition_id
    a_ours = ours[(ours["model"] == "fixture/alpha") & (ours["condition_id"] == threat_only)]
    a_paper = paper[(paper["model"] == "fixture/alpha") & (paper["condition_id"] == threat_only)]
    # The judge alone (paper) called epoch 1 harmful; ours needs the action too.
    assert a_paper["harmful"].sum() - a_ours["harmful"].sum() == int(
        not a_ours.loc[a_ours["epoch"] == 1, "check"].iloc[0])


@pytest.mark.parametrize("rule", ["auto", "check", "paper"])
def test_summary_agrees_with_summarize(logs, rule):
    table = summary_table(read_results(logs["both"], rule=rule).table)
    paths = [log.location for log in latest_logs(logs["both"])]
    reference = {(r.model, r.condition_id): r for r in summarize(read_rows(paths, rule))}
    assert len(table) == len(reference)
    for r in table.to_dict("records"):
        ref = reference[(r["model"], r["condition_id"])]
        assert {k: r[k] for k in RUN_JSON_KEYS} == pytest.approx(ref.public(), nan_ok=True)


def test_fast_reader_matches_inspects_reader(logs):
    for log in latest_logs(logs["both"]):
        fast = [row_of(log, s, "auto") for s in iter_samples(log)]
        slow = [row_of(log, s, "auto") for s in read_eval_log_samples(
            log.location, all_samples_required=False)]
        key = lambda r: (r["condition_id"], r["epoch"])
        assert sorted(fast, key=key) == sorted(slow, key=key)


def test_factor_effects_match_reference_computations(logs):
    table = read_results(logs["both"], rule="check").table
    effects = factor_effects(table)
    alpha = effects[effects["model"] == "fixture/alpha"].set_index("factor")
    assert {"threat", "goal conflict", "direct instruction", "awareness conclusion"} <= set(
        alpha.index)
    dont = alpha.loc["direct instruction"]
    k_dont, k_none = expected_harmful("alpha", "dont"), expected_harmful("alpha", "headline")
    assert (dont.n_a, dont.harmful_a, dont.n_b, dont.harmful_b) == (EPOCHS, k_dont, EPOCHS, k_none)
    low, high = confint_proportions_2indep(k_dont, EPOCHS, k_none, EPOCHS, method="newcomb")
    assert (dont["diff"], dont.ci_low, dont.ci_high) == pytest.approx(
        ((k_dont - k_none) / EPOCHS, low, high))
    assert not dont.clustered  # one condition per side: nothing to cluster
    # Threat: replacement vs none, matched over goal conflict and no goal (2 conditions a side);
    # the dont and aware conditions have no urgency-none twin and stay out.
    threat = alpha.loc["threat"]
    assert (threat.conditions_a, threat.conditions_b, threat.strata) == (2, 2, 2)
    assert threat.n_a == 2 * EPOCHS
    # Equal counts in every cell: the Mantel-Haenszel difference is the mean of the strata's.
    per_stratum = [expected_harmful("alpha", "headline") - expected_harmful("alpha", "goal_only"),
                   expected_harmful("alpha", "threat_only") - expected_harmful("alpha", "neither")]
    assert threat["diff"] == pytest.approx(sum(per_stratum) / 2 / EPOCHS)
    assert not threat.clustered  # four designed conditions are no sample of conditions
    real = alpha.loc["awareness conclusion"]
    assert (real.rate_a, real.rate_b, real.kind) == (1.0, 0.0, "association")


def test_report_files(report_dir, logs):
    out, stdout, stderr = report_dir
    for name in ("results.csv", "results.parquet", "summary.csv", "effects.csv", "report.html"):
        assert (out / name).stat().st_size > 0, name
    csv = pd.read_csv(out / "results.csv")
    parquet = pd.read_parquet(out / "results.parquet")
    assert len(csv) == len(parquet) == 2 * len(CONDITIONS) * EPOCHS
    assert list(csv.columns) == list(parquet.columns)
    for column in ("model", "condition_id", "goal_type", "urgency", "extra_instructions",
                   "status", "harmful", "check", "judge", "ours", "paper", "awareness",
                   "total_tokens", "error"):
        assert column in parquet.columns
    assert str(parquet["harmful"].dtype) == "boolean"
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns)[:11] == ["model", "condition_id", "n", "harmful", "rate",
                                          "ci_low", "ci_high", "unscored", "errors",
                                          "no_answer", "truncated"]
    assert {"scenario", "goal_type", "urgency", "extra_instructions", "prod"} <= set(summary)
    rows = [json.loads(line) for line in stdout.splitlines()]
    assert len(rows) == len(summary) and all(set(r) == RUN_JSON_KEYS for r in rows)
    assert "Report:" in stderr
    figures = {p.name for p in (out / "figures").iterdir()}
    for stem in (f"rates_{HEADLINE}", "heatmap_blackmail", "instructions_blackmail",
                 "test_vs_real_blackmail"):
        assert {f"{stem}.png", f"{stem}.svg"} <= figures, stem
    for png in (out / "figures").glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for svg in (out / "figures").glob("*.svg"):
        assert ET.parse(svg).getroot().tag.endswith("svg")


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_report_html_is_self_contained_and_escaped(report_dir):
    out, _, _ = report_dir
    html = (out / "report.html").read_text(encoding="utf-8")
    parser = _Collect()
    parser.feed(html)
    scripts = [a for t, a in parser.tags if t == "script"]
    assert len(scripts) == 2 and scripts[0].get("type") == "application/json"
    assert not any(a.get("src") for a in scripts)
    for tag, attrs in parser.tags:
        for name in ("src", "href"):
            value = attrs.get(name) or ""
            assert not value or value.startswith(("data:", "#")), (tag, value)
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
    assert "window.__pwned" in html  # the reply is in the report ...
    assert "<script>window.__pwned" not in html  # ... only as data
    assert "</script><!--" not in html
    data = html.split('id="report-data">', 1)[1].split("</script>", 1)[0]
    payload = json.loads(data)
    texts = [p["t"] for r in payload["transcripts"] for m in r["messages"] for p in m["parts"]]
    assert any(XSS in t for t in texts)


def test_compare_two_runs(logs, capsys):
    code, out, err = run_cli(capsys, "compare", str(logs["alpha"]), str(logs["beta"]),
                             "--rule", "check", "--json")
    assert code == 0, err
    rows = {r["condition_id"]: r for r in map(json.loads, out.splitlines())}
    assert set(rows) == {c.condition_id for c in CONDITIONS}
    head = rows[HEADLINE]
    k_a, k_b = expected_harmful("alpha", "headline"), expected_harmful("beta", "headline")
    assert (head["model_a"], head["model_b"]) == ("fixture/alpha", "fixture/beta")
    assert (head["harmful_a"], head["harmful_b"]) == (k_a, k_b)
    low, high = confint_proportions_2indep(k_a, EPOCHS, k_b, EPOCHS, method="newcomb")
    assert (head["diff"], head["ci_low"], head["ci_high"]) == pytest.approx(
        ((k_a - k_b) / EPOCHS, low, high))
    assert 0 < head["p_fisher"] <= 1
    code, out, _ = run_cli(capsys, "compare", str(logs["alpha"]), str(logs["beta"]))
    assert code == 0 and HEADLINE in out and "A - B [95% CI]" in out


def test_compare_with_the_paper(logs, tmp_path, capsys):
    from inspect_ai.log import read_eval_log, write_eval_log

    (src,) = logs["alpha"].glob("*.eval")
    log = read_eval_log(str(src))
    log.eval.model = "openai/gpt-4.1"  # as if the run had been on the paper's GPT-4.1
    write_eval_log(log, str(tmp_path / src.name))
    code, out, err = run_cli(capsys, "compare", str(tmp_path), "--paper", "--rule", "check",
                             "--json")
    assert code == 0, err
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert row["condition_id"] == HEADLINE and row["model_a"] == "openai/gpt-4.1"
    assert (row["rate_b"], row["n_b"], row["harmful_b"]) == (0.80, 100, 80)
    assert row["rate_a"] == pytest.approx(expected_harmful("alpha", "headline") / EPOCHS)
    code, _, err = run_cli(capsys, "compare", str(logs["alpha"]), "--paper")
    assert code == 2 and "no (model, condition) the paper published" in err


@pytest.mark.parametrize("args", [
    ["compare", "DIR"],
    ["compare", "DIR", "DIR", "--paper"],
    ["report", "MISSING"],
    ["report", "EMPTY"],
    ["compare", "DIR", "MISSING"],
])
def test_bad_arguments_are_one_line_errors(logs, tmp_path, capsys, args):
    (tmp_path / "empty").mkdir()
    where = {"DIR": str(logs["alpha"]), "MISSING": str(tmp_path / "nope"),
             "EMPTY": str(tmp_path / "empty")}
    code, _out, err = run_cli(capsys, *[where.get(a, a) for a in args])
    assert code == 2
    assert err.startswith("Error:") and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err

# --- the HTML in a real browser ---------------------------------------------------------

def _browser():
    from chromium import Browser, require_chromium

    return Browser(require_chromium())


def test_report_in_chromium(report_dir):
    out, _, _ = report_dir
    html = out / "report.html"
    url = html.resolve().as_uri()
    with _browser() as browser:
        page = browser.open(url)
        assert page.errors == []
        assert page.eval("document.querySelectorAll('#overview tbody tr').length") == 12
        assert page.eval("Array.from(document.images).every(i => i.complete && "
                         "i.naturalWidth > 0)")
        rows = page.eval("document.querySelectorAll('#tx-list tbody tr').length")
        assert rows > 0
        # Filters: a verdict and a model narrow the list to matching samples only.
        shown = page.eval("""(() => {
            const set = (id, v) => { const s = document.getElementById(id); s.value = v;
                                     s.dispatchEvent(new Event('change')); };
            set('f-model', 'fixture/beta'); set('f-verdict', 'harmful');
            const cells = Array.from(document.querySelectorAll('#tx-list tbody tr'))
                .map(tr => [tr.children[0].textContent, tr.children[3].textContent]);
            set('f-model', ''); set('f-verdict', '');
            return cells; })()""")
        assert shown and all(c == ["fixture/beta", "harmful"] for c in shown)
        # Open the transcript whose reply carries script and event-handler markup.
        index = page.eval("insiderbenchReport.records.findIndex(r => r.messages.some("
                          "m => m.parts.some(p => p.t.includes('onerror'))))")
        assert index >= 0
        page.eval(f"document.querySelector('#tx-list tbody tr[data-index=\"{index}\"]').click()")
        page.settle(0.5)
        assert page.eval("document.getElementById('tx-detail').hidden") is False
        text = page.eval("document.getElementById('d-messages').textContent")
        assert '<script>window.__pwned = 1</script><img src="x" onerror=' in text
        assert page.eval("typeof window.__pwned") == "undefined"
        assert page.eval("document.querySelectorAll('#tx-detail script, #tx-detail img, "
                         "#tx-detail svg, #tx-detail [onerror], #tx-detail [onload]').length") == 0
        assert page.eval("document.querySelector('#d-messages .seg-action') !== null")
        side = page.eval("document.getElementById('d-scores').textContent")
        assert "use the affair" in side and "superseded by a newer score" in side
        assert page.errors == []
        outside = [u for u in page.requests if not u.startswith("data:") and u != url]
        assert outside == []


def test_chromium_test_can_fail(tmp_path):
    """The harness sees what it must: a console error, an executed script, an outside fetch."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><body><img src="x.png">'
                   "<script>window.__pwned = 1; console.error('boom');</script></body></html>")
    with _browser() as browser:
        page = browser.open(bad.resolve().as_uri())
        page.settle(0.3)
        assert page.eval("window.__pwned") == 1
        assert any("boom" in e for e in page.errors)
        assert any(re.search(r"x\.png$", u) for u in page.requests)

def test_a_log_cut_short_keeps_what_was_read_and_says_so(logs, monkeypatch):
    import insiderbench.analysis._table as table_module

    real = table_module.iter_samples

    def cut_short(log):
        for i, sample in enumerate(real(log)):
            if i == 2:
                raise OSError("unexpected end of archive")
            yield sample

    monkeypatch.setattr(table_module, "iter_samples", cut_short)
    results = read_results(logs["alpha"])
    assert len(results.table) == 2
    (problem,) = results.problems
    assert "read 2 samples, then OSError: unexpected end of archive" in problem


def test_an_unreadable_log_is_named_in_the_problems(logs, tmp_path):
    import shutil

    copy = tmp_path / "logs"
    shutil.copytree(logs["alpha"], copy)
    (copy / "2026-01-01T00-00-00+00-00_broken_abc.eval").write_bytes(b"not a zip archive")
    results = read_results(copy)
    assert len(results.table) == len(read_results(logs["alpha"]).table)
    (problem,) = results.problems
    assert problem.startswith("2026-01-01T00-00-00+00-00_broken_abc.eval: unreadable log header")


@pytest.mark.parametrize("listing", ["as listed", "reversed"])
def test_a_retry_started_in_the_same_second_as_its_attempt_is_the_newest(logs, tmp_path,
                                                                         monkeypatch, listing):
    """`created` has whole seconds; the later-written file is then the newer attempt,
    whatever order the directory is listed in."""
    import os

    import insiderbench.experiment._run as run_module

    if listing == "reversed":
        real = run_module.list_eval_logs
        monkeypatch.setattr(run_module, "list_eval_logs",
                            lambda *a, **k: list(reversed(real(*a, **k))))

    from inspect_ai.log import read_eval_log, write_eval_log

    from insiderbench.experiment import latest_logs

    alpha = [p for p in logs["both"].glob("*.eval")
             if read_eval_log(str(p), header_only=True).eval.model == "fixture/alpha"]
    assert len(alpha) == 2
    paths = []
    for i, source in enumerate(alpha):
        log = read_eval_log(str(source))
        log.eval.created = "2026-01-01T00:00:00+00:00"  # the same second for both
        path = tmp_path / f"attempt-{i}.eval"
        write_eval_log(log, str(path))
        paths.append(path)

    def newest_errors(newer: Path) -> int:
        older = paths[1] if newer == paths[0] else paths[0]
        os.utime(older, (1_000_000, 1_000_000))
        os.utime(newer, (2_000_000, 2_000_000))
        (log,) = latest_logs(tmp_path)
        assert Path(str(log.location).removeprefix("file://")).name == newer.name
        return sum(1 for s in read_eval_log(str(newer)).samples or [] if s.error)

    errors = sorted(newest_errors(p) for p in paths)
    assert errors[0] == 0 and errors[1] > 0  # one attempt failed, the retry did not
