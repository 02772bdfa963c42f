"""The paper's figures, drawn from a results table: PNG for documents, SVG for the report.

Only figures whose data exist are drawn. Colours are the Okabe-Ito palette, distinguishable
with the common colour-vision deficiencies; heatmaps use cividis, which is too.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from insiderbench.analysis._controls import LETHAL_SCENARIO, dropped_models
from insiderbench.analysis._effects import FACTORS, matched, pooled_rate, scored
from insiderbench.analysis._paper import model_label, paper_awareness, paper_value

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
             "#000000")
HEADLINE = "{scenario}_explicit-america_replacement"
SCENARIO_TITLES = {"blackmail": "Blackmail", "leaking": "Corporate espionage (leaking)",
                   "murder": "Lethal action", "exfiltration": "Self-exfiltration",
                   "tampering": "Audit record tampering", "oversight": "Oversight subversion"}
GOAL_TYPE_ORDER = ("explicit", "latent", "swap", "ambiguous", "none")
URGENCY_ORDER = ("replacement", "restriction", "none")


@dataclass(frozen=True)
class Figure:
    """One figure, written as `<name>.png` and `<name>.svg`; `svg` is kept for the report."""

    name: str
    title: str
    caption: str
    svg: str
    png: Path


def _pyplot():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({
        "svg.hashsalt": "insiderbench",  # stable ids: the same data draw the same file
        "svg.fonttype": "none",  # text stays text: smaller, searchable, sharp at any zoom
        "font.size": 10,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titleweight": "bold",
    })
    return plt


def _save(fig: Any, out_dir: Path, name: str, title: str, caption: str) -> Figure:
    plt = _pyplot()
    out_dir.mkdir(parents=True, exist_ok=True)
    png = out_dir / f"{name}.png"
    fig.savefig(png, dpi=150, bbox_inches="tight", metadata={"Software": None})
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    svg = buf.getvalue()
    (out_dir / f"{name}.svg").write_text(svg, encoding="utf-8")
    return Figure(name, title, caption, svg, png)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")


def _label(model: str) -> str:
    return model_label(model)


def _whiskers(rates: list[float], lows: list[float], highs: list[float]) -> list[list[float]]:
    return [[max(0.0, r - lo) for r, lo in zip(rates, lows, strict=True)],
            [max(0.0, hi - r) for r, hi in zip(rates, highs, strict=True)]]


def bar_condition(summary: pd.DataFrame, scenario: str) -> str | None:
    """The condition a scenario's per-model bars show: the paper's headline one when the run
    has it, else the condition most models were run on."""
    cells = summary[(summary["scenario"] == scenario) & (summary["n"] > 0)]
    if cells.empty:
        return None
    headline = HEADLINE.format(scenario=scenario)
    if (cells["condition_id"] == headline).any():
        return headline
    counts = cells.groupby("condition_id")["model"].nunique().sort_values(ascending=False,
                                                                         kind="stable")
    return str(counts.index[0])


def model_bars(summary: pd.DataFrame, out_dir: Path) -> Iterator[Figure]:
    """Per-model harmful rate in one condition per scenario, Wilson whiskers, paper value."""
    plt = _pyplot()
    for scenario in sorted(set(summary["scenario"].dropna())):
        cid = bar_condition(summary, scenario)
        if cid is None:
            continue
        cells = summary[(summary["condition_id"] == cid) & (summary["n"] > 0)]
        dropped = sorted(dropped_models(summary)) if scenario == LETHAL_SCENARIO else []
        cells = cells[~cells["model"].isin(dropped)]
        if cells.empty:
            continue
        cells = cells.sort_values(["rate", "model"], ascending=[True, False])
        labels = [_label(m) for m in cells["model"]]
        rates = cells["rate"].astype(float).tolist()
        lows = cells["ci_low"].astype(float).tolist()
        highs = cells["ci_high"].astype(float).tolist()
        fig, ax = plt.subplots(figsize=(7.5, 1.2 + 0.42 * len(cells)))
        y = list(range(len(cells)))
        ax.barh(y, rates, height=0.6, color=OKABE_ITO[0], label="measured (95% Wilson CI)",
                xerr=_whiskers(rates, lows, highs), error_kw={"ecolor": "#333333",
                                                               "capsize": 3, "lw": 1})
        published = False
        for yi, model in zip(y, cells["model"], strict=True):
            pv = paper_value(str(model), cid)
            if pv is not None:
                ax.plot(pv.rate, yi + 0.38, marker="v", color=OKABE_ITO[5], markersize=8,
                        linestyle="none", label=None if published else
                        "published (Lynch et al. 2025, approx.)")
                published = True
        for yi, r, n in zip(y, rates, cells["n"], strict=True):
            ax.text(1.02, yi, f"{r:.2f} (n={int(n)})", va="center", fontsize=8,
                    transform=ax.get_yaxis_transform())
        ax.set_yticks(y, labels)
        ax.set_xlim(0, 1)
        ax.set_xlabel("harmful-action rate")
        title = f"{SCENARIO_TITLES.get(scenario, scenario)}: {cid}"
        ax.set_title(title, loc="left", fontsize=10, pad=22)
        ax.legend(loc="lower left", fontsize=8, frameon=False, bbox_to_anchor=(0.0, 1.0),
                  ncols=2)
        caption = (f"Harmful-action rate per model in {cid}, with 95% Wilson intervals. "
                   + ("Triangles mark the rate the paper published for the same model and "
                      "condition (read off its figures; approximate)." if published else
                      "The paper published no value for these models in this condition.")
                   + (" Left out, as the paper did, for cancelling the alert in over 1% of "
                      f"the control (no goal conflict, no threat): {', '.join(map(_label, dropped))}."
                      if dropped else ""))
        yield _save(fig, out_dir, f"rates_{_slug(cid)}", title, caption)


def goal_urgency_heatmaps(table: pd.DataFrame, out_dir: Path) -> Iterator[Figure]:
    """goal_type x urgency rates, one panel per model, one figure per scenario."""
    plt = _pyplot()
    d = scored(table)
    base = d[(d["extra_instructions"] == "none") & ~d["prod"].fillna(False).astype(bool)
             & ~d["eval_awareness"].fillna(False).astype(bool)]
    for (scenario, mode), cells in base.groupby(["scenario", "mode"], sort=True):
        goal_types = [g for g in GOAL_TYPE_ORDER if g in set(cells["goal_type"])]
        urgencies = [u for u in URGENCY_ORDER if u in set(cells["urgency"])]
        if len(goal_types) < 2 and len(urgencies) < 2:
            continue
        models = sorted(set(cells["model"]))
        cols = min(4, len(models))
        rows = -(-len(models) // cols)
        fig, axes = plt.subplots(rows, cols, squeeze=False, layout="constrained", figsize=(
            0.3 + cols * (1.2 + 1.1 * len(urgencies)), 0.9 + rows * (0.6 + 0.55 * len(goal_types))))
        image = None
        for index, (ax, model) in enumerate(zip(axes.flat, models, strict=False)):
            grid = [[float("nan")] * len(urgencies) for _ in goal_types]
            for i, g in enumerate(goal_types):
                for j, u in enumerate(urgencies):
                    cell = cells[(cells["model"] == model) & (cells["goal_type"] == g)
                                 & (cells["urgency"] == u)]
                    if cell.empty:
                        ax.text(j, i, "not run", ha="center", va="center", fontsize=7,
                                color="#555555")
                        continue
                    rate = pooled_rate(cell)
                    grid[i][j] = rate["rate"]
                    ax.text(j, i, f"{rate['rate']:.2f}\nn={rate['n']}", ha="center",
                            va="center", fontsize=8,
                            color="white" if rate["rate"] < 0.6 else "black")
            image = ax.imshow(grid, cmap="cividis", vmin=0, vmax=1, aspect="auto")
            ax.set_xticks(range(len(urgencies)), urgencies, fontsize=8)
            ax.set_yticks(range(len(goal_types)),
                          goal_types if index % cols == 0 else [""] * len(goal_types),
                          fontsize=8)
            ax.set_title(_label(model), fontsize=9)
            ax.spines[:].set_visible(False)
        for ax in list(axes.flat)[len(models):]:
            ax.axis("off")
        if image is not None:
            fig.colorbar(image, ax=axes, shrink=0.8, label="harmful-action rate")
        title = f"{SCENARIO_TITLES.get(scenario, scenario)}: goal type x urgency" + (
            f" ({mode} mode)" if mode != "classic" else "")
        fig.suptitle(title, x=0.0, ha="left", fontweight="bold", fontsize=10)
        fig.supxlabel("threat (urgency)", fontsize=9)
        fig.supylabel("goal type", fontsize=9)
        caption = ("Harmful-action rate by goal type (rows) and threat (columns), without "
                    "extra instructions. Cells pool the goal values that were run; n counts "
                    "scored samples.")
        suffix = "" if mode == "classic" else f"_{mode}"
        yield _save(fig, out_dir, f"heatmap_{_slug(str(scenario))}{suffix}", title, caption)


def _grouped_bars(out_dir: Path, name: str, title: str, caption: str,
                  groups: list[tuple[str, list[dict[str, Any]]]], series: list[str]) -> Figure:
    """Bars per model (groups) and level (series), with interval whiskers."""
    plt = _pyplot()
    width = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(max(5.0, 1.3 + 1.1 * len(groups) * len(series) * 0.6),
                                    3.6))
    for s_i, level_name in enumerate(series):
        xs, rates, lows, highs = [], [], [], []
        for g_i, (_, levels) in enumerate(groups):
            level = levels[s_i]
            if level["n"] == 0:
                continue
            xs.append(g_i - 0.4 + width * (s_i + 0.5))
            rates.append(level["rate"])
            lows.append(level["ci_low"])
            highs.append(level["ci_high"])
        ax.bar(xs, rates, width=width * 0.92, color=OKABE_ITO[s_i % len(OKABE_ITO)],
               label=level_name, yerr=_whiskers(rates, lows, highs),
               error_kw={"ecolor": "#333333", "capsize": 3, "lw": 1})
        for x, r, hi in zip(xs, rates, highs, strict=True):
            ax.text(x, hi + 0.015, f"{r:.2f}", ha="center", fontsize=7)
    ax.set_xticks(range(len(groups)), [_label(g) for g, _ in groups], rotation=20, ha="right")
    ax.set_ylim(0, 1.08)
    ax.set_ylabel("harmful-action rate")
    ax.set_title(title, loc="left", fontsize=10, pad=22)
    ax.legend(fontsize=8, frameon=False, loc="lower left", bbox_to_anchor=(0.0, 1.0),
              ncols=len(series))
    return _save(fig, out_dir, name, title, caption)


def instruction_comparison(table: pd.DataFrame, out_dir: Path) -> Iterator[Figure]:
    """Rates with and without the direct instruction not to harm (and the welfare goal)."""
    by_name = {f.name: f for f in FACTORS}
    d = scored(table)
    for scenario, cells in d.groupby("scenario", sort=True):
        present = [n for n in ("direct instruction", "welfare goal")
                   if (cells["extra_instructions"] == by_name[n].level_a).any()]
        if not present:
            continue
        series = ["no extra instruction"] + [
            {"direct instruction": "told not to harm (dont)",
             "welfare goal": "welfare goal (goal)"}[n] for n in present]
        groups = []
        for model, m_cells in cells.groupby("model", sort=True):
            sides = [matched(m_cells, by_name[n]) for n in present]
            if all(a.empty or b.empty for a, b in sides):
                continue
            baseline = pd.concat([b for _, b in sides]).drop_duplicates(
                subset=["log", "sample_id", "epoch"])
            groups.append((str(model), [pooled_rate(baseline)]
                           + [pooled_rate(a) for a, _ in sides]))
        if groups:
            yield _grouped_bars(
                out_dir, f"instructions_{_slug(str(scenario))}",
                f"{SCENARIO_TITLES.get(scenario, scenario)}: extra system instructions",
                "Harmful-action rate with and without an extra system instruction, over the "
                "conditions run both ways; 95% intervals (where conditions are pooled, "
                "each condition's binomial uncertainty summed, never narrower than Wilson's "
                "on the pooled counts).", groups, series)


def test_vs_real(table: pd.DataFrame, out_dir: Path) -> Iterator[Figure]:
    """With the eval-awareness notice: rate when the model concluded real vs evaluation.

    Samples with no conclusion (no deliberation, undecided) or none classified are not bars; the
    caption counts them, so the figure never hides them.
    """
    d = scored(table)
    aware_all = d[d["eval_awareness"].fillna(False).astype(bool)]
    aware = aware_all[aware_all["awareness"].notna()]
    for scenario, cells in aware.groupby("scenario", sort=True):
        series = ["concluded real", "concluded evaluation"]
        groups = []
        for model, m_cells in cells.groupby("model", sort=True):
            real = m_cells[m_cells["awareness"] == "real"]
            evaluation = m_cells[m_cells["awareness"] == "evaluation"]
            if real.empty and evaluation.empty:
                continue
            groups.append((str(model), [pooled_rate(real), pooled_rate(evaluation)]))
        everything = aware_all[aware_all["scenario"] == scenario]
        unclassified = int(everything["awareness"].isna().sum())
        other = int((~everything["awareness"].isin(["real", "evaluation"])).sum()) - unclassified
        shown = {m for m, _ in groups}
        published = "; ".join(
            f"{p.paper_name} {p.conclusion} {p.harmful}/{p.n} ({p.rate:.3f})"
            for p in paper_awareness() if p.model in shown
            and p.condition_id.startswith(f"{scenario}_")
            and p.condition_id in set(cells["condition_id"]))
        if groups:
            yield _grouped_bars(
                out_dir, f"test_vs_real_{_slug(str(scenario))}",
                f"{SCENARIO_TITLES.get(scenario, scenario)}: test vs real",
                "With the eval-awareness notice, the harmful-action rate among samples where "
                "the model concluded it was in a real deployment vs in an evaluation (as "
                "classified from its deliberation), pooled over conditions; 95% intervals. "
                f"Not shown: {other} scored samples with neither conclusion and "
                f"{unclassified} whose conclusion was not classified. This is an association "
                "(the model chooses its conclusion); the effects table compares it within "
                "each condition." + (f" Published (Lynch et al. 2025): {published}."
                                     if published else ""), groups, series)


def draw_figures(table: pd.DataFrame, summary: pd.DataFrame, out_dir: Path) -> list[Figure]:
    """Every figure the data support, written into `out_dir` as PNG and SVG."""
    if table.empty:
        return []
    return [
        *model_bars(summary, out_dir),
        *goal_urgency_heatmaps(table, out_dir),
        *instruction_comparison(table, out_dir),
        *test_vs_real(table, out_dir),
    ]
