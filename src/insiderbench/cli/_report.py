"""`insiderbench report` and `insiderbench compare`: tables, figures, report.html, comparisons."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import click

from insiderbench.cli._errors import UserError
from insiderbench.cli._main import cli, writable_dir
from insiderbench.cli._tables import rule_option


def log_dir_with_logs(path: str) -> Path:
    """A directory that holds at least one Inspect log, or a one-line error."""
    from inspect_ai.log import list_eval_logs

    p = Path(path)
    if not p.is_dir():
        raise UserError(f"log dir {path!r} does not exist")
    if not list_eval_logs(str(p), recursive=True):
        raise UserError(f"log dir {path!r} holds no Inspect logs (.eval or .json)")
    return p


def make_report(log_dir: Path, out: str | None, rule: str, transcripts: int = 10,
                on_sample: Any = None) -> Any:
    from insiderbench.analysis import write_report

    out_dir = writable_dir(out) if out else writable_dir(str(log_dir / "report"))
    return write_report(log_dir, out_dir, rule=rule, per_cell=transcripts,  # type: ignore[arg-type]
                        on_sample=on_sample)


@cli.command()
@click.argument("log_dir", metavar="LOGDIR", type=click.Path(file_okay=False))
@click.option("--out", "-o", default=None, metavar="DIR",
              help="Where the report files go (default: LOGDIR/report).")
@rule_option
@click.option("--transcripts", type=click.IntRange(min=0), default=10, show_default=True,
              help="Transcripts embedded in report.html per model, condition and verdict.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the summary rows as JSON lines (the keys of `run --json`).")
def report(log_dir: str, out: str | None, rule: str, transcripts: int, as_json: bool) -> int:
    """Tables, figures and a self-contained report.html from every log under LOGDIR.

    Several models, grids and re-scorings are read together: each sample counts once, from
    the newest log of its task, with the newest score of each kind.
    """
    from insiderbench.analysis import summary_rows

    result = make_report(log_dir_with_logs(log_dir), out, rule, transcripts)
    for problem in result.problems:
        click.echo(f"Warning: not read through: {problem}", err=True)
    if as_json:
        for row in summary_rows(result.summary):
            click.echo(json.dumps(row.model_dump()))
    else:
        from insiderbench.cli._main import print_table

        print_table(summary_rows(result.summary), title=f"Harmful-action rates (rule: {rule})")
    click.echo(f"Report: {result.html}", err=as_json)
    return 0


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
    out.add_column("condition", no_wrap=True)
    if same_model:
        out.add_column("model", no_wrap=True)
    for col in (f"{label_a} rate [95% CI] (n)", f"{label_b} rate [95% CI] (n)",
                "A - B [95% CI]", "p (Fisher)"):
        out.add_column(col, justify="right", no_wrap=True)

    def cell(rate: Any, low: Any, high: Any, n: Any) -> str:
        return f"{_fmt(rate)} [{_fmt(low)}, {_fmt(high)}] ({n})"

    for r in records:
        p = r["p_fisher"]
        out.add_row(
            r["condition_id"], *([r["model_a"]] if same_model else []),
            cell(r["rate_a"], r["ci_low_a"], r["ci_high_a"], r["n_a"]),
            cell(r["rate_b"], r["ci_low_b"], r["ci_high_b"], r["n_b"]),
            f"{_fmt(r['diff'], '+.2f')} "
            f"[{_fmt(r['ci_low'], '+.2f')}, {_fmt(r['ci_high'], '+.2f')}]",
            "<0.001" if p is not None and not math.isnan(p) and p < 0.001 else _fmt(p, ".3f"),
        )
    Console(width=max(160, Console().width)).print(out)


@cli.command()
@click.argument("log_dir_a", metavar="LOGDIR_A", type=click.Path(file_okay=False))
@click.argument("log_dir_b", metavar="[LOGDIR_B]", required=False, type=click.Path(file_okay=False))
@click.option("--paper", is_flag=True,
              help="Compare LOGDIR_A with the rates the paper published instead of a second run.")
@rule_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per shared cell.")
def compare(log_dir_a: str, log_dir_b: str | None, paper: bool, rule: str, as_json: bool) -> int:
    """The conditions two runs share, side by side: rates, differences (A - B), 95% Newcombe
    intervals and Fisher's exact test. Two models, two judges or two wordings."""
    from insiderbench.analysis import compare_summaries, compare_with_paper, summary_table

    if paper == bool(log_dir_b):
        raise UserError("give two log dirs (LOGDIR_A LOGDIR_B), or one log dir and --paper")
    a = summary_table(_read(log_dir_a, rule))
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
        b = summary_table(_read(str(log_dir_b), rule))
        try:
            table = compare_summaries(a, b)
        except ValueError as ex:
            raise UserError(str(ex)) from None
        label_b = "B"
        if table.empty:
            raise UserError(f"{log_dir_a!r} and {log_dir_b!r} share no condition")
    if as_json:
        for r in table.to_dict("records"):
            click.echo(json.dumps({k: (None if isinstance(v, float) and math.isnan(v) else v)
                                   for k, v in r.items()}, default=str))
        return 0
    title = f"A = {log_dir_a} vs B = {'the paper (published, approximate)' if paper else log_dir_b}"
    print_comparison(table, title, "A", label_b)
    return 0


def run_report(log_dir: Path, rule: str, on_sample: Any = None) -> Any:
    """The report at the end of `run`, or None with a warning when it cannot be written: the
    run's logs are intact and `insiderbench report` can retry. `on_sample` sees every sample
    of the report's single pass over the logs."""
    try:
        return make_report(log_dir, None, rule, on_sample=on_sample)
    except Exception as ex:  # noqa: BLE001  (never lose a finished run to a report bug)
        click.echo(f"Warning: report not written: {type(ex).__name__}: {ex}", err=True)
        return None
