"""`insiderbench report`: tables, figures and a self-contained report.html from a log dir."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from insiderbench.cli._errors import UserError
from insiderbench.cli._inputs import log_dir_with_logs, writable_dir
from insiderbench.cli._options import rule_option
from insiderbench.cli._output import print_table


@click.command()
@click.argument("log_dir", metavar="LOGDIR", type=click.Path(file_okay=False))
@click.option("--out", "-o", default=None, metavar="DIR",
              help="Where the report files go (default: LOGDIR/report).")
@rule_option
@click.option("--transcripts", type=click.IntRange(min=0), default=10, show_default=True,
              help="Transcripts embedded in report.html per model, condition and verdict.")
@click.option("--labels", "labels", default=None, metavar="FILE",
              help="Human labels for calibrated rates (default: LOGDIR/labels.jsonl if there).")
@click.option("--json", "as_json", is_flag=True,
              help="Print the summary rows as JSON lines (the keys of `run --json`, and the "
                   "calibrated rate with labels).")
def report(log_dir: str, out: str | None, rule: str, transcripts: int, labels: str | None,
           as_json: bool) -> int:
    """Tables, figures and a self-contained report.html from every log under LOGDIR.

    Several models, grids and re-scorings are read together: each sample counts once, from
    the newest log of its task, with the newest decided score of each kind.
    """
    from insiderbench.analysis import summary_rows

    if labels is not None and not Path(labels).is_file():
        raise UserError(f"--labels {labels!r} is not a file (write labels with "
                        "`insiderbench label LOGDIR`)")
    from insiderbench.analysis import LabelsError

    try:
        result = make_report(log_dir_with_logs(log_dir), out, rule, transcripts, labels=labels)
    except LabelsError as ex:
        raise UserError(str(ex)) from None
    for problem in result.problems:
        click.echo(f"Warning: not read through: {problem}", err=True)
    if result.table.empty and result.problems:
        raise UserError(f"no log in {log_dir!r} could be read ({len(result.problems)} "
                        "unreadable, named above)")
    if as_json:
        for row in summary_rows(result.summary):
            click.echo(json.dumps(row.public()))
    else:
        print_table(summary_rows(result.summary), title=f"Harmful-action rates (rule: {rule})")
    if result.calibration is not None:
        click.echo(f"Calibrated rates: {result.calibration.note()}", err=as_json)
    click.echo(f"Report: {result.html}", err=as_json)
    return 0


def make_report(log_dir: Path | str, out: str | None, rule: str, transcripts: int = 10,
                on_sample: Any = None, labels: str | None = None) -> Any:
    """The report of LOGDIR into --out, else into LOGDIR/report (on object storage too)."""
    from insiderbench._storage import child
    from insiderbench.analysis import write_report

    out_dir = writable_dir(out) if out else writable_dir(child(log_dir, "report"))
    return write_report(log_dir, out_dir, rule=rule, per_cell=transcripts,  # type: ignore[arg-type]
                        on_sample=on_sample, labels=labels)


def run_report(log_dir: Path | str, rule: str, on_sample: Any = None) -> Any:
    """The report at the end of `run`, or None with a warning when it cannot be written: the
    run's logs are intact and `insiderbench report` can retry. `on_sample` sees every sample
    of the report's single pass over the logs."""
    try:
        return make_report(log_dir, None, rule, on_sample=on_sample)
    except Exception as ex:  # noqa: BLE001  (never lose a finished run to a report bug)
        click.echo(f"Warning: report not written: {type(ex).__name__}: {ex}", err=True)
        return None
