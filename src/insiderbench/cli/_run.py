"""`insiderbench run`: run an experiment, then its report and its results table."""

from __future__ import annotations

import contextlib
import functools
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import click

from insiderbench._storage import is_remote, normalized
from insiderbench.cli._budget import apply_budget, budget_options
from insiderbench.cli._errors import UserError
from insiderbench.cli._guard import hold_log_dir
from insiderbench.cli._inputs import (
    DEFAULT_SAMPLES,
    apply_agentic_options,
    chosen_log_dir,
    paper_judge_covers,
    resolve_experiment,
    writable_dir,
)
from insiderbench.cli._options import (
    ExperimentSource,
    agentic_options,
    experiment_source_options,
    graders_given,
    judge_options,
)
from insiderbench.cli._output import (
    MonitorTally,
    emit_results,
    judges_in,
    labels_of,
    terminal_text,
)
from insiderbench.cli._scale import check_same_split, run_sharded, scale_options, sharded
from insiderbench.cli._sequential import apply_sequential, sequential_options


@click.command()
@experiment_source_options
@click.option("--model", "-m", "models", multiple=True, metavar="MODEL",
              help="Inspect model string, e.g. openai/gpt-4.1; repeat for several "
                   "(default: embedded/smollm2, or the experiment's models).")
@click.option("--samples", type=click.IntRange(min=1), default=None,
              help=f"Samples per condition (default: {DEFAULT_SAMPLES}, or the experiment's; "
                   "the paper used 100).")
@click.option("--temperature", type=click.FloatRange(min=0.0, max=2.0), default=None,
              help="Sampling temperature (default: 1.0, as in the paper).")
@click.option("--max-tokens", type=click.IntRange(min=1), default=None,
              help="Maximum tokens per reply (default: the provider's; 400 for embedded).")
@click.option("--seed", type=int, default=None,
              help="Base seed; each (condition, sample) gets its own seed derived from it.")
@click.option("--max-connections", type=click.IntRange(min=1), default=None,
              help="Concurrent requests per model.")
@click.option("--max-retries", type=click.IntRange(min=0), default=None,
              help="Retries of one API call (default: 6, with backoff).")
@click.option("--timeout", type=click.IntRange(min=1), default=None,
              help="Seconds one API call may take, retries included (default: 900).")
@click.option("--retry-on-error", type=click.IntRange(min=0), default=None,
              help="Retries of a sample whose reply failed, was malformed or timed out "
                   "(default: 3).")
@click.option("--batch/--no-batch", default=None,
              help="Use the providers' batch APIs (about half the price, hours of latency).")
@click.option("--cache-prompt", type=click.Choice(["auto", "on", "off"]), default=None,
              help="Provider prompt caching for the shared scenario prompt (default: auto).")
@click.option("--log-dir", default=None,
              help="Where the .eval logs are written (default: logs/<name>-<hash>).")
@click.option("--json", "as_json", is_flag=True,
              help="Print the results as JSON lines on stdout (everything else on stderr).")
@judge_options
@agentic_options
@sequential_options
@budget_options
@scale_options
def run(
    source: ExperimentSource,
    models: tuple[str, ...],
    samples: int | None,
    temperature: float | None,
    max_tokens: int | None,
    seed: int | None,
    max_connections: int | None,
    max_retries: int | None,
    timeout: int | None,
    retry_on_error: int | None,
    batch: bool | None,
    cache_prompt: str | None,
    log_dir: str | None,
    as_json: bool,
    graders: tuple[str, ...],
    audit_fraction: float | None,
    judge: str | None,
    rule: str,
    ci_width: float | None,
    min_samples: int | None,
    max_samples: int | None,
    budget: float | None,
    prices_file: str | None,
    workers: int | None,
    executor: str | None,
    ray_address: str | None,
    **agentic: Any,
) -> int:
    """Run an experiment (FILE, --preset or factor flags) and print harmful-action rates.

    Rerunning the same command after a crash or Ctrl-C resumes: finished samples are reused,
    never generated again.
    """
    from insiderbench.cli._models import resolve_model

    experiment, warnings = resolve_experiment(source, models=models, samples=samples,
                                              check_keys=True)
    overrides = {
        "temperature": temperature, "max_tokens": max_tokens, "seed": seed,
        "max_connections": max_connections, "max_retries": max_retries, "timeout": timeout,
        "retry_on_error": retry_on_error, "batch": batch,
        "cache_prompt": {"auto": "auto", "on": True, "off": False}.get(cache_prompt or ""),
        "judge": judge, "audit_fraction": audit_fraction,
    }
    updates = {k: v for k, v in overrides.items() if v is not None}
    if graders:
        updates["grader"] = graders_given(graders)
    if updates:
        experiment = experiment.model_copy(update=updates)
    experiment = apply_agentic_options(experiment, **agentic)
    experiment = apply_sequential(experiment, samples, ci_width, min_samples, max_samples)
    experiment = apply_budget(experiment, budget, prices_file)
    experiment = sharded(experiment, workers, executor, ray_address)
    if experiment.graders:
        for model in experiment.graders:
            resolve_model(model)
        paper_judge_covers(experiment)
    elif rule in ("ours", "paper"):
        raise UserError(f"--rule {rule} needs an LLM judge: give --grader MODEL")
    for w in warnings:
        click.echo(f"Warning: {w}", err=True)
    for spec in experiment.models:
        resolve_model(spec.model)
    from insiderbench.experiment import lint_conditions, run_experiment
    from insiderbench.scenarios import RenderError as PromptLintError

    try:
        lint_conditions(experiment)
    except PromptLintError as ex:
        raise UserError(str(ex)) from None
    out_dir = writable_dir(chosen_log_dir(log_dir, experiment.default_log_dir()))
    if is_remote(out_dir) and (experiment.budget is not None or experiment.prices):
        # The spend ledger is rewritten after every call: a local file, not an object.
        raise UserError("--budget and --prices keep their ledger in a local or shared-"
                        "filesystem log dir only for now: drop them, or give a local --log-dir")
    hold_log_dir(out_dir)  # one run per log dir, until this command ends
    check_judging_matches(out_dir, experiment)
    check_same_split(out_dir, experiment)
    conditions = experiment.conditions()
    from insiderbench.experiment import planned_samples, sampling_text

    click.echo(
        f"Running {experiment.name}: {len(conditions)} condition(s) x "
        f"{sampling_text(experiment)} x {len(experiment.models)} model(s) -> {out_dir}", err=True,
    )
    redirect = contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext()
    with redirect:
        if experiment.workers > 1 or executor == "ray":
            outcome = run_sharded(experiment, out_dir, executor, ray_address)
        else:
            outcome = run_experiment(experiment, out_dir, display="none" if as_json else None)
    planned = len(conditions) * planned_samples(experiment) * len(experiment.models)
    return report_outcome(outcome.logs, out_dir, as_json, rule, outcome.interrupted, planned,
                          spend=getattr(outcome, "spend", None), experiment=experiment)


def report_outcome(logs: list[Any], out_dir: Path | str, as_json: bool, rule: str = "auto",
                   interrupted: int | None = None, planned: int = 0, *,
                   spend: Any = None, experiment: Any = None) -> int:
    """Write the report, print the results table of the final logs and the report's path;
    1 when samples are still unfinished.

    The table is built from the report's own pass over the logs, so a run's samples are read
    back once; only when the report cannot be written are they read on their own.
    """
    from insiderbench.analysis import iter_samples, sample_row
    from insiderbench.cli._budget import Costing
    from insiderbench.cli._report import run_report

    rows: list[Any] = []
    judges: set[str] = set()
    costing = Costing(experiment) if spend is not None else None
    tally = MonitorTally()

    def add(log: Any, sample: Any) -> None:
        nonlocal judges
        if costing is not None:
            costing.add(log, sample)
        tally.add(log.eval.model, sample)
        rows.append(sample_row(log.eval.model, log.eval.task, sample,
                               rule))  # type: ignore[arg-type]
        judges |= judges_in([sample])

    resolved = functools.cache(normalized)

    def where(log: Any) -> str:
        return resolved(str(log.location))

    # The report reads every log in the directory; the table shows this run's logs.
    ours = {where(log) for log in logs if log.location}
    seen: set[str] = set()

    def collect(log: Any, sample: Any, _row: Any) -> None:
        if (path := where(log)) in ours:
            seen.add(path)
            add(log, sample)

    report = run_report(out_dir, rule, collect)
    if report is None:  # it may have failed half-way through a log: read them all again
        rows, judges, seen = [], set(), set()
        costing = Costing(experiment) if spend is not None else None
        tally = MonitorTally()
    for log in logs:
        # A log the report's pass did not cover (one without samples, or held in memory) is
        # read on its own, one sample at a time, without its events.
        if not log.location or where(log) not in seen:
            for sample in iter_samples(log) if log.location else log.samples or []:
                add(log, sample)
    if interrupted is not None:  # samples the interrupt cancelled: not done, not errors
        rows = [r for r in rows
                if not (r.status == "error" and (r.reason or "").startswith("CancelledError"))]
    # An interrupted run's logs are unfinished by choice: it says so itself.
    unfinished = [lg for lg in logs if lg.status != "success"]
    failed = [] if interrupted is not None else failure_lines(unfinished, rows)
    if rows or interrupted is None:  # no empty table for a run stopped before any sample
        emit_results(rows, as_json=as_json, judges=judges, labels=labels_of(out_dir),
                     costs=costing.of if costing else None,
                     budget_stopped=bool(spend and spend.stopped_by_budget), monitors=tally)
    for log in logs:
        click.echo(f"Log: {log.location}", err=as_json)
    click.echo(f"Transcripts: inspect view --log-dir {out_dir}", err=as_json)
    if report is not None:
        click.echo(f"Report: {report.html}", err=as_json)
    for f in failed:
        click.echo(f"Error: not finished: {f}", err=True)
    if failed:
        click.echo("Rerun the same command to retry the unfinished samples; finished ones are "
                   "kept.", err=True)
    if spend is not None:
        from insiderbench.cli._budget import report_budget_stop, spend_line

        click.echo(spend_line(spend, experiment.budget), err=as_json)
        if spend.stopped_by_budget:
            return report_budget_stop(spend, experiment.budget, len(rows), planned, out_dir)
    if interrupted is not None:
        from insiderbench.cli._interrupt import report_interrupt

        return report_interrupt(interrupted, len(rows), planned, out_dir)
    return 1 if failed else 0


def failure_lines(failed_logs: list[Any], rows: list[Any]) -> list[str]:
    """Why the logs did not finish, per model: each distinct reason its failed samples give
    (the provider's own message: a 401, an unknown model, a refused connection) with a
    count, once however many of its logs failed; else each log's own error."""
    errors = Counter((r.model, _reason(r.reason or "error")) for r in rows
                     if r.status == "error")
    lines: list[str] = []
    for log in failed_logs:
        model = log.eval.model
        reasons = [(reason, n) for (m, reason), n in errors.most_common() if m == model]
        if reasons:
            lines += [f"{model}: {n} sample(s) failed: {reason}" for reason, n in reasons]
        else:
            message = log.error.message.splitlines()[0] if log.error else log.status
            lines.append(f"{model}: {log.status}: {terminal_text(message)}")
    return list(dict.fromkeys(lines))


def _reason(message: str) -> str:
    """One failure's reason, the same text for the same cause: object addresses dropped, and
    a retry wrapper named by the error it gave up on."""
    message = re.sub(r" at 0x[0-9a-fA-F]+", "", message)
    message = re.sub(r"RetryError\(<Future state=finished raised (\w+)>\)",
                     r"\1 (retries exhausted)", message)
    return terminal_text(message)


def _judged_as(graders: tuple[str | None, ...], judge: str | None) -> str:
    names = ", ".join(g for g in graders if g)
    return f"with the {judge or 'paper'} judge via {names}" if names else "without a judge"


def check_judging_matches(log_dir: Path | str, experiment: Any) -> None:
    """Refuse a run whose grader differs from the one its existing logs were made with.

    The grader and judge are part of a task's identity to Inspect, so such a run would
    generate every sample again, at full price, to judge it differently; `score` judges the
    stored transcripts instead.
    """
    from insiderbench.classify import grader_roles
    from insiderbench.cli._inputs import existing_dir
    from insiderbench.experiment import latest_logs
    from insiderbench.experiment._workers import conditions_of, run_shards

    if not existing_dir(log_dir):
        return
    models = {spec.model for spec in experiment.models}
    # This run's tasks: all its conditions in one, or (--workers N) one per shard of them.
    tasks = {frozenset(shard) for shard in run_shards(experiment, experiment.workers)}
    want = (tuple(experiment.graders), experiment.judge if experiment.graders else None)
    problems: list[str] = []
    headers = latest_logs(log_dir, problems)
    if problems:
        # Inspect's eval_set would stop on it with a traceback, after the set-up.
        raise UserError(f"{log_dir} holds a log that cannot be read ({problems[0]}"
                        f"{f' and {len(problems) - 1} more' if len(problems) > 1 else ''}); "
                        "move it out of the log dir, or choose another --log-dir")
    for header in headers:
        args = header.eval.task_args_passed or {}
        if header.eval.model not in models or conditions_of(header) not in tasks:
            continue
        roles = header.eval.model_roles or {}
        have = (tuple(getattr(roles.get(r), "model", None) for r in grader_roles(len(roles))
                      if roles.get(r) is not None), args.get("judge"))
        if have != want:
            raise UserError(
                f"{log_dir} already holds {header.eval.model}'s samples of these conditions, "
                f"made {_judged_as(*have)}; running them {_judged_as(*want)} would generate "
                f"them again. To judge the stored transcripts: insiderbench score {log_dir} "
                "--grader MODEL; to generate anew, choose another --log-dir"
            )
