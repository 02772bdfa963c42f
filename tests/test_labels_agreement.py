"""Each signal against human labels, weighted by strata; `agreement --labels`."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from helpers import run_cli
from insiderbench.analysis import Label, append_label, read_results, validity_report
from insiderbench.analysis._validity import labelled, signal_validity
from report_fixture import build_logs

SIGNAL_KEYS = {"signal", "n", "precision", "precision_ci", "recall", "recall_ci", "specificity",
               "kappa"}


def _frame(harmful: int, rest: int) -> pd.DataFrame:
    said = [True] * harmful + [False] * rest
    return pd.DataFrame({"model": "m", "sample_id": [f"s{i}" for i in range(len(said))],
                         "epoch": 1, "status": "scored", "harmful": said, "check": said,
                         "gate": True, "judge": said, "ours": said, "paper": said,
                         "judged": True, "rule": "ours"})


def _lab(i: int, harmful: bool, stratum: str | None, who: str = "ann") -> Label:
    return Label(sample_id=f"s{i}", epoch=1, model="m", condition_id="c",
                 label="harmful" if harmful else "not_harmful", labeller=who,
                 at="2026-01-01T00:00:00+00:00", stratum=stratum)


def test_each_label_weighs_its_strata_share_of_the_run():
    # 10 samples called harmful, 90 not; 5 labels in each stratum: the rule's harmful ones
    # are all harmful, one in five of the rest is harmful too (a miss).
    frame = _frame(10, 90)
    labels = [_lab(i, True, "auto:harmful") for i in range(5)]
    labels += [_lab(10 + i, i == 0, "auto:rest") for i in range(5)]
    got = signal_validity(labelled(frame, labels), "ours")
    # Weighted: 5 x 10/5 = 10 hits, 1 x 90/5 = 18 misses; unweighted it would be 5 of 6.
    assert got["recall"] == pytest.approx(10 / 28)
    assert got["precision"] == 1 and got["specificity"] == 1 and got["n"] == 10
    low, high = got["recall_ci"]
    assert low < 10 / 28 < high
    assert set(got) >= SIGNAL_KEYS


def test_a_label_without_stratum_counts_in_the_stratum_its_sample_falls_in():
    frame = _frame(10, 90)
    labels = [_lab(i, True, None) for i in range(5)] + [_lab(10 + i, i == 0, None)
                                                         for i in range(5)]
    assert signal_validity(labelled(frame, labels), "ours")["recall"] == pytest.approx(10 / 28)


def test_labellers_majority_and_their_agreement():
    frame = _frame(10, 90)
    labels = [_lab(0, True, "auto:harmful"), _lab(0, False, "auto:harmful", "bob"),
              _lab(1, True, "auto:harmful"), _lab(1, True, "auto:harmful", "bob"),
              _lab(11, False, "auto:rest"), _lab(11, False, "auto:rest", "bob")]
    report = validity_report(frame, labels)
    assert report["decided"] == 2  # sample 0 is a tie between the two: left out
    assert report["labellers"] == [{"a": "ann", "b": "bob", "n": 3, "agree": 2,
                                    "kappa": pytest.approx(0.4)}]
    assert [s["signal"] for s in report["signals"]] == ["gate", "heuristic", "judge", "ours",
                                                        "paper"]


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    return build_logs(tmp_path_factory.mktemp("agreement-logs"))["both"]


def test_agreement_with_labels_keeps_what_it_printed_and_adds_each_signal(logs, capsys):
    code, out, _ = run_cli(capsys, "agreement", str(logs), "--json")
    assert code == 0 and "labels" not in json.loads(out)  # no labels: as before
    table = read_results(logs).table
    path = logs / "labels.jsonl"
    for r in table[table["status"] != "error"].to_dict("records"):
        stratum = "auto:harmful" if r["status"] == "scored" and r["harmful"] else "auto:rest"
        append_label(path, Label(sample_id=r["sample_id"], epoch=int(r["epoch"]),
                                 model=r["model"], condition_id=r["condition_id"],
                                 label="harmful" if r["check"] else "not_harmful",
                                 labeller="ann", at="2026-01-01T00:00:00+00:00",
                                 stratum=stratum))
    try:
        code, out, _ = run_cli(capsys, "agreement", str(logs), "--json")
        data = json.loads(out)
        assert code == 0 and {"samples", "patterns", "pairs", "disagreements"} <= set(data)
        signals = {s["signal"]: s for s in data["labels"]["signals"]}
        assert set(signals) == {"gate", "heuristic", "judge", "ours", "paper"}
        assert all(set(s) >= SIGNAL_KEYS for s in signals.values())
        # The labels are the heuristic's verdicts: it is right on every one.
        assert signals["heuristic"]["precision"] == 1 and signals["heuristic"]["recall"] == 1
        assert signals["heuristic"]["kappa"] == pytest.approx(1)
        code, out, _ = run_cli(capsys, "agreement", str(logs), "--limit", "0")
        assert code == 0 and "Signal patterns over" in out and "Signals against" in out
        code, _, err = run_cli(capsys, "agreement", str(logs), "--labels", str(logs / "nope"))
        assert code == 2 and "is not a file" in err
    finally:
        path.unlink()
