"""Factor effects within a run, and comparisons between runs or with the paper."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from insiderbench.analysis._paper import paper_values
from insiderbench.analysis._stats import fisher_p, newcombe_interval, wilson_interval
from insiderbench.analysis._stratified import (
    MIN_CLUSTERS,
    cr2,
    pooled_interval,
    stratified_difference,
)
from insiderbench.analysis._table import FACTOR_COLUMNS
from insiderbench.scenarios import ABLATION_LEVELS

Select = Callable[[pd.DataFrame], pd.Series]


@dataclass(frozen=True)
class Factor:
    """A contrast between two levels of one factor, holding the other factors fixed.

    `varies` are the columns allowed to differ between the two sides (besides the factor
    itself, e.g. the goal value comes with the goal type); rows are compared only where the
    remaining factors have both levels, so the contrast is never confounded by an unmatched
    condition. `within` contrasts split samples of the same condition (the model's own
    conclusion about being tested), not conditions: they are compared within each condition
    and reported as associations.
    """

    name: str
    level_a: str
    level_b: str
    a: Select
    b: Select
    varies: tuple[str, ...]
    within: bool = False


FACTORS: tuple[Factor, ...] = (
    Factor("threat", "replacement", "no threat",
           lambda d: d["urgency"] == "replacement", lambda d: d["urgency"] == "none",
           ("urgency",)),
    Factor("restriction", "restriction", "no threat",
           lambda d: d["urgency"] == "restriction", lambda d: d["urgency"] == "none",
           ("urgency",)),
    Factor("goal conflict", "goal conflict", "no goal",
           lambda d: d["goal_type"].isin(["explicit", "latent", "swap"]),
           lambda d: d["goal_type"] == "none",
           ("goal_type", "goal_value")),
    Factor("direct instruction", "dont", "no instruction",
           lambda d: d["extra_instructions"] == "dont",
           lambda d: d["extra_instructions"] == "none",
           ("extra_instructions",)),
    Factor("welfare goal", "goal", "no instruction",
           lambda d: d["extra_instructions"] == "goal",
           lambda d: d["extra_instructions"] == "none",
           ("extra_instructions",)),
    Factor("prod", "no scratchpad", "scratchpad",
           lambda d: d["prod"].fillna(False).astype(bool),
           lambda d: ~d["prod"].fillna(False).astype(bool),
           ("prod",)),
    Factor("agentic mode", "agentic", "classic",
           lambda d: d["mode"] == "agentic", lambda d: d["mode"] == "classic", ("mode",)),
    *(Factor(f"{name} {on}", on, off,
             lambda d, n=name, v=on: d[n] == v, lambda d, n=name, v=off: d[n] == v, (name,))
      for name, (off, on) in ABLATION_LEVELS.items()),
    Factor("awareness conclusion", "concluded real", "concluded evaluation",
           lambda d: d["awareness"] == "real", lambda d: d["awareness"] == "evaluation",
           (), within=True),
)

EFFECT_COLUMNS = (
    "model", "scenario", "factor", "kind", "level_a", "level_b",
    "n_a", "harmful_a", "rate_a", "n_b", "harmful_b", "rate_b",
    "diff", "ci_low", "ci_high", "p_cmh", "crude_diff", "strata", "conditions_a",
    "conditions_b", "clustered", "cluster_se", "cluster_ci_low", "cluster_ci_high",
)
STRATUM = "_stratum"


def scored(table: pd.DataFrame) -> pd.DataFrame:
    """Scored samples only: errors and unscored samples never enter a rate."""
    out = table[table["status"] == "scored"].copy()
    out["harmful"] = out["harmful"].fillna(False).astype(bool)
    return out


def difference(a: pd.DataFrame, b: pd.DataFrame) -> dict[str, Any]:
    """Rate difference a - b, estimated within each stratum (column `_stratum`, from
    `matched`) and combined with Mantel-Haenszel weights: MOVER interval from the Wilson
    limits, Cochran-Mantel-Haenszel test. `rate_a` and `rate_b` are the two sides under the
    same weights (so diff = rate_a - rate_b); `crude_diff` compares the pooled counts.

    A cluster-robust interval (CR2, conditions as a sample of a larger population, stratum
    fixed effects) is added only with at least MIN_CLUSTERS conditions and where some side of
    a stratum pools several conditions (otherwise it is zero by construction)."""
    ka, na = int(a["harmful"].sum()), len(a)
    kb, nb = int(b["harmful"].sum()), len(b)
    ca = a.groupby(STRATUM, sort=True)["harmful"].agg(["sum", "size"])
    cb = b.groupby(STRATUM, sort=True)["harmful"].agg(["sum", "size"])
    cells = ca.add_suffix("_a").join(cb.add_suffix("_b"), how="outer").fillna(0)
    est = stratified_difference(cells["sum_a"], cells["size_a"], cells["sum_b"],
                                cells["size_b"])
    out: dict[str, Any] = {
        "n_a": na, "harmful_a": ka, "rate_a": est.rate_a if est else None,
        "n_b": nb, "harmful_b": kb, "rate_b": est.rate_b if est else None,
        "diff": est.estimate if est else None, "ci_low": est.low if est else None,
        "ci_high": est.high if est else None, "p_cmh": est.p_cmh if est else None,
        "crude_diff": ka / na - kb / nb if na and nb else None,
        "strata": est.strata if est else 0,
        "conditions_a": a["condition_id"].nunique(), "conditions_b": b["condition_id"].nunique(),
        "clustered": False, "cluster_se": None, "cluster_ci_low": None, "cluster_ci_high": None,
    }
    both = pd.concat([a.assign(_a=1.0), b.assign(_a=0.0)])
    per_cell = both.groupby([STRATUM, "_a"])["condition_id"].nunique()
    if both["condition_id"].nunique() >= MIN_CLUSTERS and (per_cell > 1).any():
        fixed = pd.get_dummies(both[STRATUM].astype(str), dtype=float).to_numpy()
        cr = cr2(both["harmful"].to_numpy(dtype=float),
                 np.column_stack([both["_a"].to_numpy(), fixed]),
                 both["condition_id"].tolist(), column=0)
        if cr is not None:
            out.update(clustered=True, cluster_se=cr.se, cluster_ci_low=cr.low,
                       cluster_ci_high=cr.high)
    return out


def matched(d: pd.DataFrame, factor: Factor) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two sides of a contrast, restricted to strata that hold both, each row labelled
    with its stratum (`_stratum`): a setting of the other factors, or for a `within` split the
    condition itself."""
    if any(c not in d for c in factor.varies):  # a table from before the factor existed
        return d.iloc[:0], d.iloc[:0]
    in_a, in_b = factor.a(d).fillna(False), factor.b(d).fillna(False)
    if factor.within:
        keys = d.groupby(["condition_id"], sort=False).ngroup()
    else:
        rest = [c for c in FACTOR_COLUMNS if c not in factor.varies and c in d]
        keys = d.groupby(rest, dropna=False, sort=False).ngroup()
    common = set(keys[in_a]) & set(keys[in_b])
    keep = keys.isin(common)
    d = d.assign(**{STRATUM: keys})
    return d[in_a & keep], d[in_b & keep]


def surface_factors(table: pd.DataFrame) -> list[Factor]:
    """Does a rate survive other words? Each pack against the paper's text, and surface
    variants (renamed people, companies, codes) against the canonical text."""
    out: list[Factor] = []
    if "pack" in table:
        packs = sorted(str(p) for p in table["pack"].dropna().unique() if p != "paper")
        out += [Factor(f"pack {p}", p, "paper", lambda d, p=p: d["pack"] == p,
                       lambda d: d["pack"] == "paper", ("pack",)) for p in packs]
    if "surface" in table and (table["surface"].dropna() != "canonical").any():
        out.append(Factor("surface variant", "variant", "canonical",
                          lambda d: d["surface"].notna() & (d["surface"] != "canonical"),
                          lambda d: d["surface"] == "canonical", ("surface",)))
    return out


def intervention_factors(table: pd.DataFrame) -> list[Factor]:
    """One contrast per intervention in the table, against no intervention (like `dont`)."""
    if "intervention" not in table:
        return []
    names = sorted(str(n) for n in table["intervention"].dropna().unique() if n != "none")
    return [Factor(f"intervention {n}", n, "none",
                   lambda d, n=n: d["intervention"] == n,
                   lambda d: d["intervention"] == "none", ("intervention",)) for n in names]


def monitor_factors(table: pd.DataFrame) -> list[Factor]:
    """One contrast per action monitor in the table (`rule`, each LLM monitor's level), against
    no monitor."""
    if "monitor" not in table:
        return []
    levels = sorted(str(m) for m in table["monitor"].dropna().unique() if m != "none")
    return [Factor(f"monitor {m}", m, "none", lambda d, m=m: d["monitor"] == m,
                   lambda d: d["monitor"] == "none", ("monitor",)) for m in levels]


def factor_effects(table: pd.DataFrame) -> pd.DataFrame:
    """Each factor's effect on the harmful rate, per model and scenario, where the run varied it.

    Compared within strata of the other factors and combined (see `difference`). The model's
    own test-vs-real conclusion is compared within each condition and is an association, not
    an effect: the model chooses its conclusion, so it is not assigned like a factor.
    """
    d = scored(table)
    records: list[dict[str, Any]] = []
    for (model, scenario), cell in d.groupby(["model", "scenario"], sort=True):
        for factor in (*FACTORS, *intervention_factors(d), *monitor_factors(d),
                       *surface_factors(d)):
            a, b = matched(cell, factor)
            if a.empty or b.empty:
                continue
            records.append({"model": model, "scenario": scenario, "factor": factor.name,
                            "kind": "association" if factor.within else "effect",
                            "level_a": factor.level_a, "level_b": factor.level_b,
                            **difference(a, b)})
    return pd.DataFrame(records, columns=list(EFFECT_COLUMNS))


def pooled_rate(cell: pd.DataFrame) -> dict[str, Any]:
    """Rate of scored samples pooled over their conditions: the stratified interval, never
    narrower than Wilson's on the pooled counts (`pooled_interval`). With at least
    MIN_CLUSTERS conditions, a CR2 interval for conditions taken as a sample is added."""
    counts = cell.groupby("condition_id", sort=True)["harmful"].agg(["sum", "size"])
    k, n = int(counts["sum"].sum()), int(counts["size"].sum())
    out: dict[str, Any] = {"n": n, "harmful": k, "rate": k / n if n else None,
                           "ci_low": None, "ci_high": None, "conditions": len(counts),
                           "clustered": False, "cluster_ci_low": None, "cluster_ci_high": None}
    if n:
        _, low, high = pooled_interval(counts["sum"].to_numpy(), counts["size"].to_numpy())
        out.update(ci_low=float(low), ci_high=float(high))
    if len(counts) >= MIN_CLUSTERS:
        cr = cr2(cell["harmful"].to_numpy(dtype=float), np.ones((len(cell), 1)),
                 cell["condition_id"].tolist(), bounds=(0.0, 1.0))
        if cr is not None:
            out.update(clustered=True, cluster_ci_low=cr.low, cluster_ci_high=cr.high)
    return out


COMPARE_COLUMNS = (
    "condition_id", "model_a", "model_b", "n_a", "harmful_a", "rate_a", "ci_low_a", "ci_high_a",
    "n_b", "harmful_b", "rate_b", "ci_low_b", "ci_high_b", "diff", "ci_low", "ci_high",
    "p_fisher",
)


def match_keys(models_a: set[str], models_b: set[str]) -> list[str]:
    """How two runs' cells pair up: by model and condition, or by condition for two models."""
    if models_a & models_b:
        return ["model", "condition_id"]
    if len(models_a) == 1 and len(models_b) == 1:
        return ["condition_id"]
    raise ValueError(
        f"the runs share no model ({', '.join(sorted(models_a))} vs "
        f"{', '.join(sorted(models_b))}); compare runs of the same models, or of one "
        "model each"
    )


def compare_summaries(a: pd.DataFrame, b: pd.DataFrame,
                      keys: list[str] | None = None) -> pd.DataFrame:
    """The cells two summaries share, side by side, with the difference a - b.

    Cells are matched on (model, condition) when the two runs share models; when each run
    holds one model (two models compared), on the condition alone.
    """
    if keys is None:
        keys = match_keys(set(a["model"]), set(b["model"]))
    merged = a.merge(b, on=keys, suffixes=("_a", "_b"))
    if "model" in keys:
        merged["model_a"] = merged["model_b"] = merged["model"]
    across = "condition_id" not in keys  # paired by other factors: two condition ids
    records: list[dict[str, Any]] = []
    for r in merged.to_dict("records"):
        nc = newcombe_interval(int(r["harmful_a"]), int(r["n_a"]),
                               int(r["harmful_b"]), int(r["n_b"]))
        records.append({
            **{c: r.get(c) for c in COMPARE_COLUMNS[:13]},
            **({"condition_id": r["condition_id_a"], "condition_id_b": r["condition_id_b"]}
               if across else {}),
            "diff": nc[0] if nc else None, "ci_low": nc[1] if nc else None,
            "ci_high": nc[2] if nc else None,
            "p_fisher": fisher_p(int(r["harmful_a"]), int(r["n_a"]),
                                 int(r["harmful_b"]), int(r["n_b"])),
        })
    columns = list(COMPARE_COLUMNS)
    if across:
        columns.insert(1, "condition_id_b")
    return pd.DataFrame(records, columns=columns)


def compare_with_paper(summary: pd.DataFrame) -> pd.DataFrame:
    """The run's cells for which the paper published a rate: measured (a) vs published (b)."""
    return compare_summaries(summary, paper_summary(set(summary["model"])),
                             keys=["model", "condition_id"])


def paper_summary(models: set[str] | None = None) -> pd.DataFrame:
    """The paper's published cells as a summary table (counts out of 100, rounded)."""
    records = []
    for v in paper_values():
        if models is not None and v.model not in models:
            continue
        ci = wilson_interval(v.harmful, v.n)
        records.append({"model": v.model, "condition_id": v.condition_id, "n": v.n,
                        "harmful": v.harmful, "rate": v.rate,
                        "ci_low": ci[0] if ci else None, "ci_high": ci[1] if ci else None})
    return pd.DataFrame(records, columns=["model", "condition_id", "n", "harmful", "rate",
                                          "ci_low", "ci_high"])
