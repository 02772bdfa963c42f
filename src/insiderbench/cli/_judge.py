"""`insiderbench score` (re-grade stored transcripts) and `insiderbench agreement`."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Any

import click

from insiderbench.cli._errors import UserError
from insiderbench.cli._main import cli
from insiderbench.cli._tables import emit_results, judge_option, judges_in, rule_option

EXCERPT_CHARS = 160


def _logs_in(log_dir: str) -> list[Any]:
    from insiderbench.experiment import latest_logs

    if not Path(log_dir).is_dir():
        raise UserError(f"log dir {log_dir!r} does not exist")
    problems: list[str] = []
    logs = latest_logs(log_dir, problems)
    for problem in problems:
        click.echo(f"Warning: not read: {problem}", err=True)
    if not logs:
        raise UserError(f"no .eval logs in {log_dir!r} (run an experiment there first)")
    return logs


def _judged_as(grader: str | None, judge: str | None) -> str:
    return f"with the {judge or 'paper'} judge via {grader}" if grader else "without a judge"


def check_judging_matches(log_dir: Path, experiment: Any) -> None:
    """Refuse a run whose grader differs from the one its existing logs were made with.

    The grader and judge are part of a task's identity to Inspect, so such a run would
    generate every sample again, at full price, to judge it differently; `score` judges the
    stored transcripts instead.
    """
    from insiderbench.experiment import latest_logs

    if not log_dir.is_dir():
        return
    models = {spec.model for spec in experiment.models}
    ids = sorted(c.condition_id for c in experiment.conditions())
    want = (experiment.grader, experiment.judge if experiment.grader else None)
    for header in latest_logs(log_dir):
        args = header.eval.task_args_passed or {}
        conditions = args.get("conditions")
        if isinstance(conditions, str):
            conditions = conditions.split(",")
        if header.eval.model not in models or sorted(conditions or []) != ids:
            continue
        role = (header.eval.model_roles or {}).get("grader")
        have = (getattr(role, "model", None), args.get("judge"))
        if have != want:
            raise UserError(
                f"{log_dir} already holds {header.eval.model}'s samples of these conditions, "
                f"made {_judged_as(*have)}; running them {_judged_as(*want)} would generate "
                f"them again. To judge the stored transcripts: insiderbench score {log_dir} "
                "--grader MODEL; to generate anew, choose another --log-dir"
            )


@cli.command()
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
    added beside the old ones in each log (the newest of each kind is the one reported) and
    the log is written back in place; the newest log of each task is the one re-graded.
    """
    from insiderbench.classify import rescore_log
    from insiderbench.cli._models import resolve_model
    from insiderbench.experiment import grader_for
    from insiderbench.task import TASK_NAME

    resolve_model(grader)
    logs = _logs_in(log_dir)
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

        def collect(sample: Any, header: Any = header, new_rows: list[Any] = new_rows) -> None:
            # Tabulate each sample as it is scored: the log is never held whole in memory.
            new_rows.append(sample_row(header.eval.model, header.eval.task, sample,
                                       rule))  # type: ignore[arg-type]
            judges.update(judges_in([sample]))

        with redirect:
            try:
                log = rescore_log(header.location, grader=grader_model, judge=chosen,
                                  on_sample=collect)
            except ValueError as ex:
                raise UserError(str(ex)) from None
        click.echo(f"Re-graded {log.eval.model}: {len(new_rows)} sample(s), "
                   f"{sum(r.judge is None for r in new_rows)} without a judge verdict", err=True)
        rows.extend(new_rows)
        if log.status != "success":
            unfinished.append(f"{log.eval.model} ({log.status})")
    emit_results(rows, as_json=as_json, judges=judges)
    for header in logs:
        click.echo(f"Log: {header.location}", err=as_json)
    for u in unfinished:
        click.echo(f"Note: {u} did not finish; its errored samples stay errors. Finish it with "
                   "`insiderbench run` and score again.", err=True)
    return 0


def _excerpt(sample: Any) -> str:
    """The agent's first action, or the start of its reply outside the scratchpad."""
    from insiderbench.analysis import latest_scores
    from insiderbench.environment import parse_actions

    check = latest_scores(sample.scores).get("check")
    actions = (check.metadata or {}).get("actions") if check is not None else None
    text = ""
    if actions:
        first = actions[0]
        text = first.get("raw") or json.dumps({k: first.get(k) for k in ("kind", "to", "body")})
    else:
        reply = sample.output.completion if sample.output else ""
        parsed = parse_actions(reply)
        text = parsed[0].raw if parsed else reply
    text = "".join(ch for ch in " ".join(text.split()) if ch.isprintable())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "\u2026"


def _judge_reasoning(sample: Any) -> str | None:
    from insiderbench.analysis import latest_scores

    judge = latest_scores(sample.scores).get("judge")
    meta = (judge.metadata or {}) if judge is not None else {}
    reasoning = meta.get("reasoning") or meta.get("reason")
    if not reasoning:
        return None
    return "".join(ch for ch in " ".join(str(reasoning).split()) if ch.isprintable())[:400]


def _yn(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "no")


@cli.command()
@click.argument("log_dir", metavar="LOGDIR")
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True,
              help="How many disagreeing samples to list.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object: patterns, pairwise agreement, disagreements.")
def agreement(log_dir: str, limit: int, as_json: bool) -> int:
    """How often the check, the judge, our rule and the paper's rule agree, with Cohen's kappa
    between check and judge, and the samples where they disagree, for a human to read."""
    from insiderbench.analysis import (
        agreement_patterns,
        disagrees,
        iter_samples,
        pair_agreement,
        sample_row,
    )

    rows: list[Any] = []
    listed: list[dict[str, Any]] = []
    for header in _logs_in(log_dir):
        # One sample at a time, without its events: memory stays flat.
        for sample in iter_samples(header):
            row = sample_row(header.eval.model, header.eval.task, sample)
            rows.append(row)
            if row.status != "error" and disagrees(row):
                listed.append({
                    "id": sample.id, "epoch": sample.epoch, "model": row.model,
                    "condition_id": row.condition_id, "check": row.check, "judge": row.judge,
                    "ours": row.ours, "paper": row.paper, "excerpt": _excerpt(sample),
                    "judge_reasoning": _judge_reasoning(sample),
                })
    patterns = agreement_patterns(rows)
    pairs = [pair_agreement(rows, a, b) for a, b in
             (("check", "judge"), ("ours", "paper"), ("check", "paper"))]
    if as_json:
        click.echo(json.dumps({
            "samples": sum(p.count for p in patterns),
            "patterns": [p.model_dump() for p in patterns],
            "pairs": [p.model_dump() for p in pairs],
            "disagreements": listed,
        }))
        return 0
    _print_agreement(patterns, pairs, listed[:limit])
    if len(listed) > limit:
        click.echo(f"... {len(listed) - limit} more disagreeing samples (--limit, --json)")
    return 0


def _print_agreement(patterns: list[Any], pairs: list[Any], listed: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(120, Console().width))
    total = sum(p.count for p in patterns)
    table = Table(title=f"Signal patterns over {total} samples (- = no verdict)")
    for col in ("check", "judge", "ours", "paper", "samples", "share", "signals agree"):
        table.add_column(col, justify="right" if col in ("samples", "share") else "left")
    for p in patterns:
        table.add_row(_yn(p.check), _yn(p.judge), _yn(p.ours), _yn(p.paper), str(p.count),
                      f"{p.count / total:.0%}" if total else "-", "yes" if p.agree else "NO")
    console.print(table)
    pair_table = Table(title="Agreement where both are decided",
                       caption="kappa -: undefined (one label throughout)")
    for col in ("signals", "n", "agree", "share", "Cohen's kappa"):
        pair_table.add_column(col, justify="left" if col == "signals" else "right")
    for p in pairs:
        pair_table.add_row(
            f"{p.a} vs {p.b}", str(p.n), str(p.agree),
            f"{p.agree / p.n:.0%}" if p.n else "-",
            "-" if p.kappa is None else f"{p.kappa:.2f}",
        )
    console.print(pair_table)
    if not listed:
        click.echo("No sample where the decided signals disagree.")
        return
    click.echo(f"\nSamples where the signals disagree ({len(listed)} shown):")
    for d in listed:
        where = d["condition_id"] if d["condition_id"] == str(d["id"]) else (
            f"{d['id']} ({d['condition_id']})")
        click.echo(f"\n{where}  epoch {d['epoch']}  {d['model']}")
        click.echo("  " + " | ".join(f"{s} {_yn(d[s])}" for s in ("check", "judge", "ours",
                                                                   "paper")))
        click.echo(f"  reply: {d['excerpt']}")
        if d["judge_reasoning"]:
            click.echo(f"  judge: {d['judge_reasoning'][:EXCERPT_CHARS]}")
