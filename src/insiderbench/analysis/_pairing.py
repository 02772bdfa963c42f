"""Pairing two runs' cells for `compare` when their condition ids differ.

Two runs that differ only in one factor (an ablation, an intervention, a monitor, the pack, a
surface variant, or one of the paper's factors) share no condition id. Their cells are then
paired by all the other factors, with the one factor that differs set aside and named
(`agency: removed vs kept`). Runs that differ in more than one factor, or whose cells still
do not meet, are refused: such a comparison would confound what it measures.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from insiderbench.analysis._effects import compare_summaries, match_keys
from insiderbench.analysis._table import FACTOR_COLUMNS
from insiderbench.scenarios import ABLATION_LEVELS

# The factors a comparison may set aside, each with its columns. The scenario is never one.
FACTOR_GROUPS: dict[str, tuple[str, ...]] = {
    "goal": ("goal_type", "goal_value"),
    "urgency": ("urgency",),
    "extra_instructions": ("extra_instructions",),
    "prod": ("prod",),
    "eval_awareness": ("eval_awareness",),
    "mode": ("mode",),
    "ablation": tuple(ABLATION_LEVELS),
    "intervention": ("intervention",),
    "monitor": ("monitor",),
    "pack": ("pack",),
    "surface": ("surface",),
}
PAIR = "_pair"


def _level(group: str, row: dict[str, Any]) -> str:
    """One cell's level of a factor, in words (`agency+ceo`, `explicit-america`)."""
    if group == "ablation":
        on = [a for a, (_, level) in ABLATION_LEVELS.items() if row.get(a) == level]
        return "+".join(on) or "none"
    return "-".join(str(row.get(c)) for c in FACTOR_GROUPS[group])


def _levels(summary: pd.DataFrame, group: str) -> list[str]:
    return sorted({_level(group, r) for r in summary.to_dict("records")})


def differing_factor(a: pd.DataFrame, b: pd.DataFrame) -> tuple[str, str]:
    """The one factor whose levels differ between the runs, and `name: A's vs B's` levels.
    ValueError when they differ in none (they share cells), several, or the scenario."""
    if set(a["scenario"].dropna()) != set(b["scenario"].dropna()):
        raise ValueError("the runs are of different scenarios; compare runs of the same ones")
    differ = [g for g in FACTOR_GROUPS if all(c in a and c in b for c in FACTOR_GROUPS[g])
              and _levels(a, g) != _levels(b, g)]
    if not differ:
        raise ValueError("the runs share no condition, and no one factor tells their cells "
                         "apart")
    if len(differ) > 1:
        shown = "; ".join(f"{g}: {', '.join(_levels(a, g))} vs {', '.join(_levels(b, g))}"
                          for g in differ)
        raise ValueError(f"the runs differ in {len(differ)} factors ({shown}); compare runs "
                         "that differ in one")
    (group,) = differ
    return group, f"{group}: {', '.join(_levels(a, group))} vs {', '.join(_levels(b, group))}"


def _paired(summary: pd.DataFrame, group: str) -> pd.DataFrame:
    rest = [c for c in FACTOR_COLUMNS if c not in FACTOR_GROUPS[group] and c in summary]
    keys = summary[rest].astype("string").fillna("-").agg("|".join, axis=1)
    return summary.assign(**{PAIR: keys})


def compare_runs(a: pd.DataFrame, b: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """The cells of two runs side by side (`compare_summaries`): by condition where they
    share conditions; else by their other factors when they differ in exactly one, which is
    returned in words (and each row then names both condition ids). ValueError otherwise."""
    keys = match_keys(set(a["model"]), set(b["model"]))
    shared = compare_summaries(a, b, keys)
    if not shared.empty:
        return shared, None
    group, differs = differing_factor(a, b)
    pair_keys = [k for k in keys if k != "condition_id"] + [PAIR]
    table = compare_summaries(_paired(a, group), _paired(b, group), pair_keys)
    if table.empty:
        raise ValueError(f"the runs differ in {differs}, and share no setting of the other "
                         "factors")
    return table.assign(differs=differs), differs
