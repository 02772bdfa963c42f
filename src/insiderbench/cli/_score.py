"""`insiderbench score`: re-grade stored transcripts with an LLM judge."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any

import click

from insiderbench._storage import is_remote
from insiderbench.cli._errors import UserError
from insiderbench.cli._guard import check_writable_logs, hold_log_dir
from insiderbench.cli._inputs import logs_in
from insiderbench.cli._options import judge_option, rule_option
from insiderbench.cli._output import emit_results, judges_in, labels_of


@click.command()
@click.argument("log_dir", metavar="LOGDIR")
@click.option("--grader", required=True, metavar="MODEL",
              help="Model for the LLM judge, e.g. anthropic/claude-sonnet-4-6 (only its API key "
                   "is needed).")
@judge_option
@rule_option
@click.option("--json", "as_json", is_flag=True,
              help="Print the results as JSON lines on stdout (everything else on stderr).")
def score(log_dir: str, grader: str, judge: str | None, rule: str, as_json: bool) -> int:
    """Re-grade the stored transcripts in LOGDIR with an LLM judge.

    The models under test are not called (nor their API keys needed). The new scores are
    added beside the old ones in each log (of each kind the newest decided one is reported) and
    the log is written back in place; the newest log of each task is the one re-graded.
    """
    from insiderbench.classify import failed_rescorings, rescore_log
    from insiderbench.cli._models import resolve_model
    from insiderbench.experiment import grader_for
    from insiderbench.task import TASK_NAME

    resolve_model(grader)
    logs = logs_in(log_dir)
    check_writable_logs(log_dir, logs)  # before any grader is paid
    hold_log_dir(log_dir if is_remote(log_dir) else Path(log_dir))  # no run or other re-grading writes these logs meanwhile
    grader_model = grader_for(grader)
    chosen = judge or "paper"
    click.echo(f"Re-grading {len(logs)} log(s) in {log_dir} with the {chosen} judge via "
               f"{grader}", err=True)
    from insiderbench.analysis import sample_row

    rows: list[Any] = []
    judges: set[str] = set()
    unfinished = []
    redirect = contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext()
    for header in logs:
        if header.eval.task.rsplit("/", 1)[-1] != TASK_NAME:
            click.echo(f"Skipping {header.location}: task {header.eval.task!r} is not "
                       f"insiderbench's {TASK_NAME!r}", err=True)
            continue
        new_rows: list[Any] = []
        kept: list[Any] = []  # samples whose new judge could not decide: earlier verdict kept

        def collect(sample: Any, header: Any = header, new_rows: list[Any] = new_rows,
                    kept: list[Any] = kept) -> None:
            # Tabulate each sample as it is scored: the log is never held whole in memory.
            new_rows.append(sample_row(header.eval.model, header.eval.task, sample,
                                       rule))  # type: ignore[arg-type]
            if failed_rescorings(sample.scores).get("judge"):
                kept.append(sample.id)
            judges.update(judges_in([sample]))

        with redirect:
            try:
                log = rescore_log(header.location, grader=grader_model, judge=chosen,
                                  on_sample=collect)
            except ValueError as ex:
                raise UserError(str(ex)) from None
        click.echo(f"Re-graded {log.eval.model}: {len(new_rows)} sample(s), "
                   f"{sum(r.judge is None for r in new_rows)} without a judge verdict", err=True)
        if kept:
            click.echo(f"Kept the earlier verdict of {len(kept)} sample(s): this re-grading "
                       "could not decide them (the failed attempts stay in the log)", err=True)
        rows.extend(new_rows)
        if log.status != "success":
            unfinished.append(f"{log.eval.model} ({log.status})")
    emit_results(rows, as_json=as_json, judges=judges, labels=labels_of(log_dir))
    for header in logs:
        click.echo(f"Log: {header.location}", err=as_json)
    for u in unfinished:
        click.echo(f"Note: {u} did not finish; its errored samples stay errors. Finish it with "
                   "`insiderbench run` and score again.", err=True)
    return 0
