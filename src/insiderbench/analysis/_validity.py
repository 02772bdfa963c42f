"""How right each signal is, measured against human labels drawn in strata.

The labels are a stratified sample of the run: within each stratum of the design rule's
verdict (`harmful`, `rest`) samples were drawn at random, so a label stands for N_h / n_h
samples of the run (N_h the stratum's samples in the run, n_h its labelled samples). A label
without a stratum was drawn from the whole run; it is counted in the stratum its sample falls
in (post-stratification: a random draw from the run, given its stratum, is a random draw from
that stratum). Precision, recall and specificity are ratios of weighted counts with Wilson
intervals at the labels' effective sample size (Kish); kappa's interval is a bootstrap within
strata.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from insiderbench.analysis._agreement import cohens_kappa
from insiderbench.analysis._labels import STRATUM_HARMFUL, STRATUM_REST, Label, parse_stratum

Z95 = 1.959963984540054
BOOTSTRAP = 1000


@dataclass(frozen=True)
class Labelled:
    """The labelled samples of a run, each with its consensus label and its stratum's weight."""

    frame: pd.DataFrame  # one row per labelled sample: the signal columns, human, stratum, weight
    sizes: dict[str, int]  # samples of the run per stratum
    counts: dict[str, int]  # decided labels per stratum
    rule: str  # the rule whose verdict defines the strata
    labels: int  # labels read (every labeller), unsure included
    unmatched: int  # labels of samples not in the run

    def rename(self, column: str, name: str) -> Labelled:
        """The same labels with `column` also under `name` (signal names vs log columns)."""
        if column == name:
            return self
        frame = self.frame.copy()
        frame[name] = frame[column]
        return Labelled(frame, self.sizes, self.counts, self.rule, self.labels, self.unmatched)


def design_verdict(frame: pd.DataFrame, rule: str) -> pd.Series:
    """Each sample's stratum under `rule`: True where the rule called it harmful."""
    if rule == "auto":
        judged = frame["judged"].fillna(False).astype(bool) if "judged" in frame else False
        verdict = frame["ours"].where(judged, frame["check"])
    elif rule in ("ours", "paper", "check"):
        verdict = frame[rule]
    else:
        verdict = frame["harmful"]
    harmful = verdict.fillna(False).astype(bool)
    return harmful & (frame["status"] != "no_answer")


def consensus(labels: list[Label]) -> bool | None:
    """The labellers' majority of decided labels; None for a tie or only `unsure`."""
    votes = Counter(lab.verdict for lab in labels if lab.verdict is not None)
    if not votes or votes[True] == votes[False]:
        return None
    return votes[True] > votes[False]


def design_rule(labels: list[Label], default: str) -> str:
    rules = Counter(p[0] for lab in labels if (p := parse_stratum(lab.stratum)))
    return rules.most_common(1)[0][0] if rules else default


def labelled(frame: pd.DataFrame, labels: list[Label], *, rule: str = "auto") -> Labelled:
    """Join the labels to the run's samples (`frame`: one row per sample, signal columns)."""
    frame = frame[frame["status"] != "error"].copy()
    rule = design_rule(labels, rule)
    frame["_stratum"] = np.where(design_verdict(frame, rule), STRATUM_HARMFUL, STRATUM_REST)
    sizes = {s: int((frame["_stratum"] == s).sum()) for s in (STRATUM_HARMFUL, STRATUM_REST)}
    keys = list(zip(frame["model"], frame["sample_id"].astype(str),
                    frame["epoch"].astype(int), strict=True))
    position = {k: i for i, k in enumerate(keys)}
    by_sample: dict[tuple[str, str, int], list[Label]] = {}
    unmatched = 0
    for lab in labels:
        if lab.sample_key in position:
            by_sample.setdefault(lab.sample_key, []).append(lab)
        else:
            unmatched += 1
    picked, humans, strata = [], [], []
    for key, labs in by_sample.items():
        human = consensus(labs)
        if human is None:
            continue
        row = frame.iloc[position[key]]
        recorded = next((p for lab in labs if (p := parse_stratum(lab.stratum))), None)
        stratum = recorded[1] if recorded and recorded[0] == rule else row["_stratum"]
        picked.append(position[key])
        humans.append(human)
        strata.append(stratum)
    out = frame.iloc[picked].copy()
    out["human"] = humans
    out["stratum"] = strata
    counts = {s: strata.count(s) for s in sizes}
    out["weight"] = [sizes[s] / counts[s] if counts[s] else 0.0 for s in strata]
    return Labelled(out, sizes, counts, rule, len(labels), unmatched)


def _wilson(p: float | None, n_eff: float) -> list[float] | None:
    if p is None or n_eff <= 0:
        return None
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n_eff)) / (1 + z2 / n_eff)
    half = Z95 * math.sqrt(p * (1 - p) / n_eff + z2 / (4 * n_eff * n_eff)) / (1 + z2 / n_eff)
    return [max(0.0, centre - half), min(1.0, centre + half)]


def _ratio(hit: np.ndarray, among: np.ndarray, w: np.ndarray) -> tuple[float | None, list[float] | None]:
    """Weighted share of `hit` among `among`, with a Wilson interval at Kish's effective n."""
    ws = w[among]
    total = ws.sum()
    if total <= 0:
        return None, None
    p = min(1.0, float((w * (hit & among)).sum() / total))
    n_eff = float(total * total / (ws * ws).sum())
    return p, _wilson(p, n_eff)


def _kappa(s: np.ndarray, h: np.ndarray, w: np.ndarray) -> float | None:
    total = w.sum()
    if total <= 0:
        return None
    observed = (w * (s == h)).sum() / total
    ys, yh = (w * s).sum() / total, (w * h).sum() / total
    expected = ys * yh + (1 - ys) * (1 - yh)
    return None if expected >= 1 - 1e-12 else float((observed - expected) / (1 - expected))


def signal_validity(data: Labelled, signal: str, seed: int = 0) -> dict[str, Any]:
    """Precision, recall, specificity and kappa of one signal against the labels."""
    f = data.frame[data.frame[signal].notna()] if len(data.frame) else data.frame
    s = f[signal].astype(bool).to_numpy() if len(f) else np.zeros(0, bool)
    h = f["human"].astype(bool).to_numpy() if len(f) else np.zeros(0, bool)
    w = f["weight"].to_numpy(dtype=float) if len(f) else np.zeros(0)
    precision, precision_ci = _ratio(h, s, w)
    recall, recall_ci = _ratio(s, h, w)
    specificity, specificity_ci = _ratio(~s, ~h, w)
    kappa = _kappa(s, h, w)
    kappa_ci = None
    if kappa is not None:
        rng = np.random.default_rng(seed)
        strata = f["stratum"].to_numpy() if len(f) else np.zeros(0)
        groups = [np.flatnonzero(strata == st) for st in np.unique(strata)]
        draws = []
        for _ in range(BOOTSTRAP):
            idx = np.concatenate([rng.choice(g, size=len(g)) for g in groups])
            k = _kappa(s[idx], h[idx], w[idx])
            if k is not None:
                draws.append(k)
        if draws:
            kappa_ci = [float(np.percentile(draws, 2.5)), float(np.percentile(draws, 97.5))]
    return {"signal": signal, "n": len(f), "precision": precision, "precision_ci": precision_ci,
            "recall": recall, "recall_ci": recall_ci, "specificity": specificity,
            "specificity_ci": specificity_ci, "kappa": kappa, "kappa_ci": kappa_ci}


def labeller_agreement(labels: list[Label]) -> list[dict[str, Any]]:
    """Each two labellers over the samples both labelled harmful or not harmful."""
    by: dict[str, dict[tuple[str, str, int], bool]] = {}
    for lab in labels:
        if lab.verdict is not None:
            by.setdefault(lab.labeller, {})[lab.sample_key] = lab.verdict
    names = sorted(by)
    out = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            pairs = [(v, by[b][k]) for k, v in by[a].items() if k in by[b]]
            if pairs:
                out.append({"a": a, "b": b, "n": len(pairs),
                            "agree": sum(1 for x, y in pairs if x == y),
                            "kappa": cohens_kappa(pairs)})
    return out


SIGNAL_COLUMNS = {"gate": "gate", "heuristic": "check", "judge": "judge", "ours": "ours",
                  "paper": "paper"}


def validity_report(frame: pd.DataFrame, labels: list[Label], *,
                    rule: str = "auto") -> dict[str, Any]:
    """Every signal of `frame` against the labels: the `agreement --json` `labels` object.

    `frame` has one row per sample with the columns `gate, check, judge, ours, paper` and,
    with several judges, one `judge:MODEL` column each.
    """
    data = labelled(frame, labels, rule=rule)
    judges = [c for c in frame.columns if c.startswith("judge:")]
    names = ["gate", "heuristic", "judge", *judges, "ours", "paper"]
    signals = []
    for name in names:
        column = SIGNAL_COLUMNS.get(name, name)
        if column in data.frame and data.frame[column].notna().any():
            signals.append({**signal_validity(data.rename(column, name), name)})
    return {
        "read": data.labels, "decided": len(data.frame), "unmatched": data.unmatched,
        "rule": data.rule,
        "strata": [{"stratum": f"{data.rule}:{s}", "in_run": data.sizes[s],
                    "labelled": data.counts[s],
                    "weight": data.sizes[s] / data.counts[s] if data.counts[s] else None}
                   for s in data.sizes],
        "signals": signals,
        "labellers": labeller_agreement(labels),
    }
