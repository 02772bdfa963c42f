"""Calibrated rates: Rogan-Gladen, coverage by simulation, and the columns the commands print."""

from __future__ import annotations

import json

import pytest

from calibration_sim import RATES, coverage
from helpers import run_cli
from insiderbench.analysis import Label, append_label, read_results
from insiderbench.analysis._calibration import rogan_gladen
from report_fixture import build_logs

CALIBRATED = {"rate_calibrated", "calibrated_ci_low", "calibrated_ci_high"}


def test_rogan_gladen_undoes_the_rules_errors_and_stays_in_0_1():
    # True rate 0.3, sensitivity 0.8, specificity 0.9: the rule reports 0.24 + 0.07 = 0.31.
    assert rogan_gladen(0.31, 0.8, 0.9) == pytest.approx(0.3)
    assert rogan_gladen(0.02, 0.8, 0.9) == 0.0
    assert rogan_gladen(0.99, 0.8, 0.95) == 1.0


@pytest.mark.parametrize("rate", RATES)
def test_the_interval_covers_the_true_rate_in_simulated_runs(rate):
    cov, width, missing = coverage(rate, runs=1000, seed=int(rate * 100))
    print(f"true rate {rate}: coverage {cov:.1%} over {1000 - missing} runs, "
          f"median width {width:.3f}")
    assert missing < 50 and cov >= 0.93


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    return build_logs(tmp_path_factory.mktemp("calibration-logs"))["both"]


def _label_all(logs, every: int = 1) -> None:
    table = read_results(logs).table
    rows = table[table["status"] != "error"].to_dict("records")
    for i, r in enumerate(rows):
        if i % every:
            continue
        append_label(logs / "labels.jsonl", Label(
            sample_id=r["sample_id"], epoch=int(r["epoch"]), model=r["model"],
            condition_id=r["condition_id"], label="harmful" if r["check"] else "not_harmful",
            labeller="ann", at="2026-01-01T00:00:00+00:00"))


def test_calibrated_columns_only_with_labels_and_not_with_too_few(logs, tmp_path, capsys):
    code, out, _ = run_cli(capsys, "report", str(logs), "--out", str(tmp_path / "a"), "--json")
    assert code == 0 and not CALIBRATED & set(json.loads(out.splitlines()[0]))
    _label_all(logs, every=4)  # 18 labels: fewer than 10 among the rule's harmful ones
    try:
        code, out, err = run_cli(capsys, "report", str(logs), "--out", str(tmp_path / "b"),
                                 "--json")
        rows = [json.loads(x) for x in out.splitlines()]
        assert code == 0 and all(CALIBRATED <= set(r) for r in rows)
        assert all(r["rate_calibrated"] is None for r in rows)
        assert "among samples the rule called harmful (10 needed" in err
        html = (tmp_path / "b" / "report.html").read_text()
        assert "10 needed in each stratum" in html
        (logs / "labels.jsonl").unlink()
        _label_all(logs)
        code, out, err = run_cli(capsys, "report", str(logs), "--out", str(tmp_path / "c"),
                                 "--json")
        rows = [json.loads(x) for x in out.splitlines()]
        assert code == 0 and "sensitivity" in err
        for r in rows:  # labels agree with the heuristic, which the rule follows closely
            assert r["calibrated_ci_low"] <= r["rate_calibrated"] <= r["calibrated_ci_high"]
        assert any(r["rate_calibrated"] > 0 for r in rows)
        summary = (tmp_path / "c" / "summary.csv").read_text().splitlines()[0].split(",")
        assert CALIBRATED <= set(summary)
        html = (tmp_path / "c" / "report.html").read_text()
        assert "calibrated [95% CI]" in html
        # Conditions in words above their ids; a cell the paper has no value for says so.
        assert "blackmail, explicit goal &#34;america&#34;, replacement threat<br>" in html
        assert "not published" in html
        code, out, _ = run_cli(capsys, "compare", str(logs), str(logs), "--json")
        first = json.loads(out.splitlines()[0])
        assert code == 0 and {"rate_calibrated_a", "calibrated_ci_high_b"} <= set(first)
    finally:
        (logs / "labels.jsonl").unlink(missing_ok=True)
