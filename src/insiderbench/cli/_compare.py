"""`insiderbench compare`: two runs (or a run and the paper) side by side."""

from __future__ import annotations

import json
import math
from typing import Any

import click

from insiderbench.cli._errors import UserError
from insiderbench.cli._inputs import log_dir_with_logs
from insiderbench.cli._options import rule_option


@click.command()
@click.argument("log_dir_a", metavar="LOGDIR_A", type=click.Path(file_okay=False))
@click.argument("log_dir_b", metavar="[LOGDIR_B]", required=False, type=click.Path(file_okay=False))
@click.option("--paper", is_flag=True,
              help="Compare LOGDIR_A with the rates the paper published instead of a second run.")
@rule_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per shared cell.")
def compare(log_dir_a: str, log_dir_b: str | None, paper: bool, rule: str, as_json: bool) -> int:
    """The conditions two runs share, side by side: rates, differences (A - B), 95% Newcombe
    intervals and Fisher's exact test. Two models, two judges or two wordings. Runs that
    differ in one factor only (an ablation, an intervention, a monitor, the pack, a surface
    variant...) share no condition id: their cells are paired by the other factors, and the
    header (JSON: `differs`) says which factor differs."""
    from insiderbench.analysis import compare_runs, compare_with_paper, summary_table

    differs = None
    if paper == bool(log_dir_b):
        raise UserError("give two log dirs (LOGDIR_A LOGDIR_B), or one log dir and --paper")
    a = _calibrated(summary_table, log_dir_a, rule)
    if paper:
        table = compare_with_paper(a)
        label_b = "paper"
        if table.empty:
            raise UserError(
                f"{log_dir_a!r} has no (model, condition) the paper published a rate for; "
                "those are the paper's models in blackmail/murder explicit-america replacement "
                "and a few more (see src/insiderbench/data/paper_models.yaml)"
            )
    else:
        b = _calibrated(summary_table, str(log_dir_b), rule)
        try:
            table, differs = compare_runs(a, b)
        except ValueError as ex:
            raise UserError(f"{log_dir_a!r} and {log_dir_b!r}: {ex}") from None
        label_b = "B"
        table = _with_calibrated(table, b, "b")
    table = _with_calibrated(table, a, "a")
    if as_json:
        for r in table.to_dict("records"):
            click.echo(json.dumps({k: (None if isinstance(v, float) and math.isnan(v) else v)
                                   for k, v in r.items()}, default=str))
        return 0
    title = f"A = {log_dir_a} vs B = {'the paper (published, approximate)' if paper else log_dir_b}"
    if differs:
        click.echo(f"The runs share no condition: cells paired by their other factors; they "
                   f"differ in {differs}.")
    print_comparison(table, title, "A", label_b)
    return 0


def _calibrated(summary_table: Any, log_dir: str, rule: str) -> Any:
    """The summary of a log dir, with calibrated rates when it holds human labels."""
    from insiderbench.analysis import calibrate
    from insiderbench.cli._output import labels_of

    table = _read(log_dir, rule)
    summary, calibration = calibrate(summary_table(table), table, labels_of(log_dir))
    if calibration is not None:
        click.echo(f"Calibrated rates of {log_dir}: {calibration.note()}", err=True)
    return summary


def _with_calibrated(table: Any, summary: Any, side: str) -> Any:
    """`rate_calibrated_a` (or `_b`) and its interval beside each rate, when there."""
    from insiderbench.analysis import CALIBRATED_COLUMNS

    if table.empty or "rate_calibrated" not in summary.columns:
        return table
    cols = {c: f"{c}_{side}" for c in CALIBRATED_COLUMNS}
    # Paired across a factor, B's cells have their own condition ids.
    cid = "condition_id_b" if side == "b" and "condition_id_b" in table.columns else (
        "condition_id")
    right = summary[["model", "condition_id", *CALIBRATED_COLUMNS]].rename(
        columns={"model": f"model_{side}", "condition_id": cid, **cols})
    return table.merge(right, on=[f"model_{side}", cid], how="left")


def _read(log_dir: str, rule: str) -> Any:
    """The results table of a log dir, with a warning for any log not read through."""
    from insiderbench.analysis import read_results

    results = read_results(log_dir_with_logs(log_dir), rule=rule)  # type: ignore[arg-type]
    for problem in results.problems:
        click.echo(f"Warning: not read through: {problem}", err=True)
    return results.table


def _fmt(v: Any, spec: str = ".2f") -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return format(v, spec)


def print_comparison(table: Any, title: str, label_a: str, label_b: str) -> None:
    from rich.console import Console
    from rich.table import Table

    records = table.to_dict("records")
    same_model = all(r["model_a"] == r["model_b"] for r in records)
    if not same_model:  # one model a side: say which in the headers, not on every row
        label_a = f"{label_a}: {records[0]['model_a']}"
        label_b = f"{label_b}: {records[0]['model_b']}"
    out = Table(title=title)
    across = "condition_id_b" in table.columns
    out.add_column("condition (A)" if across else "condition", no_wrap=True)
    if across:
        out.add_column("condition (B)", no_wrap=True)
    if same_model:
        out.add_column("model", no_wrap=True)
    for col in (f"{label_a} rate [95% CI] (n)", f"{label_b} rate [95% CI] (n)",
                "A - B [95% CI]", "p (Fisher)"):
        out.add_column(col, justify="right", no_wrap=True)

    def cell(rate: Any, low: Any, high: Any, n: Any) -> str:
        return f"{_fmt(rate)} [{_fmt(low)}, {_fmt(high)}] ({n})"

    calibrated = [s for s in ("a", "b") if f"rate_calibrated_{s}" in table.columns]
    for s in calibrated:
        out.add_column(f"{label_a if s == 'a' else label_b} calibrated [95% CI]",
                       justify="right", no_wrap=True)

    for r in records:
        p = r["p_fisher"]
        out.add_row(
            r["condition_id"], *([r["condition_id_b"]] if across else []),
            *([r["model_a"]] if same_model else []),
            cell(r["rate_a"], r["ci_low_a"], r["ci_high_a"], r["n_a"]),
            cell(r["rate_b"], r["ci_low_b"], r["ci_high_b"], r["n_b"]),
            f"{_fmt(r['diff'], '+.2f')} "
            f"[{_fmt(r['ci_low'], '+.2f')}, {_fmt(r['ci_high'], '+.2f')}]",
            "<0.001" if p is not None and not math.isnan(p) and p < 0.001 else _fmt(p, ".3f"),
            *(f"{_fmt(r[f'rate_calibrated_{s}'])} [{_fmt(r[f'calibrated_ci_low_{s}'])}, "
              f"{_fmt(r[f'calibrated_ci_high_{s}'])}]" for s in calibrated),
        )
    Console(width=max(160, Console().width)).print(out)
