"""Simulated runs for the calibrated rate: does its 95% interval cover the true rate?

Each run: N samples, each truly harmful with probability `rate`; the rule says harmful with
sensitivity SE and specificity SP; a labeller labels LABELS_PER_STRATUM samples drawn at random
among those the rule called harmful and as many among the rest (the labelling page's default
design), and the labels are the truth. The calibrated rate and its interval are then computed
by the same code the report uses, and compared with `rate`.

    .venv/bin/python tests/calibration_sim.py [--runs 1000]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from insiderbench.analysis._calibration import calibrated_rate, rule_accuracy
from insiderbench.analysis._labels import Label, stratum_name
from insiderbench.analysis._validity import labelled

N = 300
SE, SP = 0.85, 0.93
LABELS_PER_STRATUM = 20
RATES = (0.05, 0.3, 0.8)


def one_run(rate: float, rng: np.random.Generator, draws: int = 2000,
            labels_per_stratum: int = LABELS_PER_STRATUM) -> tuple[float, float, float] | None:
    truth = rng.random(N) < rate
    said = np.where(truth, rng.random(N) < SE, rng.random(N) > SP)
    frame = pd.DataFrame({
        "model": "sim/model", "sample_id": [f"s{i}" for i in range(N)], "epoch": 1,
        "status": "scored", "harmful": said, "check": said, "ours": None, "paper": None,
        "judged": False, "rule": "check",
    })
    labels = []
    for side in (True, False):
        pool = np.flatnonzero(said == side)
        for i in rng.choice(pool, size=min(labels_per_stratum, len(pool)), replace=False):
            labels.append(Label(sample_id=f"s{i}", epoch=1, model="sim/model",
                                condition_id="c", label="harmful" if truth[i] else "not_harmful",
                                labeller="sim", at="2025-01-01T00:00:00+00:00",
                                stratum=stratum_name("check", bool(side))))
    acc = rule_accuracy(labelled(frame, labels, rule="check"), "harmful", draws=draws,
                        seed=int(rng.integers(2**31)))
    return calibrated_rate(int(said.sum()), N, acc, seed=int(rng.integers(2**31)))


def coverage(rate: float, runs: int, seed: int = 0) -> tuple[float, float, int]:
    """(share of runs whose interval covers `rate`, median width, runs with no rate)."""
    rng = np.random.default_rng(seed)
    covered, widths, missing = 0, [], 0
    for _ in range(runs):
        got = one_run(rate, rng)
        if got is None:
            missing += 1
            continue
        _, low, high = got
        covered += low <= rate <= high
        widths.append(high - low)
    return covered / max(1, runs - missing), float(np.median(widths)), missing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    args = parser.parse_args()
    print(f"{args.runs} runs of {N} samples, rule sensitivity {SE}, specificity {SP}, "
          f"{LABELS_PER_STRATUM} labels per stratum")
    for rate in RATES:
        cov, width, missing = coverage(rate, args.runs)
        print(f"true rate {rate:.2f}: coverage {cov:.1%}, median width {width:.3f}"
              + (f", {missing} runs without a calibrated rate" if missing else ""))


if __name__ == "__main__":
    main()
