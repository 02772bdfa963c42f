"""`insiderbench agreement`: how often the check, the judge and the rules agree."""

from __future__ import annotations

import json
from typing import Any

import click

from insiderbench.cli._errors import UserError
from insiderbench.cli._inputs import logs_in
from insiderbench.cli._output import terminal_text

EXCERPT_CHARS = 160


@click.command()
@click.argument("log_dir", metavar="LOGDIR")
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True,
              help="How many disagreeing samples to list.")
@click.option("--labels", "labels_file", default=None, metavar="FILE",
              help="Human labels (default: LOGDIR/labels.jsonl when it exists).")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object: patterns, pairwise agreement, disagreements, and "
                   "with labels each signal against them.")
def agreement(log_dir: str, limit: int, labels_file: str | None, as_json: bool) -> int:
    """How often the heuristic (check), the gate, the judge, our rule and the paper's rule
    agree, with Cohen's kappa; with several judges, how often each two of them agree; and the
    samples where they disagree, for a human to read.

    With human labels (`insiderbench label`): each signal's precision, recall, specificity and
    kappa against them, weighted by the strata they were drawn in, and how often labellers
    agree."""
    labels = _labels(log_dir, labels_file)
    from insiderbench.analysis import (
        agreement_patterns,
        disagrees,
        iter_samples,
        judge_agreement,
        pair_agreement,
        sample_row,
    )

    rows: list[Any] = []
    listed: list[dict[str, Any]] = []
    frame_rows: list[dict[str, Any]] = []
    for header in logs_in(log_dir):
        # One sample at a time, without its events: memory stays flat.
        for sample in iter_samples(header):
            row = sample_row(header.eval.model, header.eval.task, sample)
            rows.append(row)
            if labels:
                frame_rows.append(_signal_row(row, sample))
            if row.status != "error" and disagrees(row):
                listed.append({
                    "id": sample.id, "epoch": sample.epoch, "model": row.model,
                    "condition_id": row.condition_id, "check": row.check, "judge": row.judge,
                    "ours": row.ours, "paper": row.paper, "excerpt": _excerpt(sample),
                    "judge_reasoning": _judge_reasoning(sample),
                })
    patterns = agreement_patterns(rows)
    pairs = [pair_agreement(rows, a, b) for a, b in
             (("check", "judge"), ("gate", "judge"), ("ours", "paper"), ("check", "paper"))]
    # With several judges: each pair of judges (by grader role), where both decided.
    pairs += judge_agreement(rows)
    validity = _validity(frame_rows, labels) if labels else None
    if as_json:
        out = {
            "samples": sum(p.count for p in patterns),
            "patterns": [p.model_dump() for p in patterns],
            "pairs": [p.model_dump() for p in pairs],
            "disagreements": listed,
        }
        if validity is not None:
            out["labels"] = validity
        click.echo(json.dumps(out))
        return 0
    _print_agreement(patterns, pairs, listed[:limit])
    if len(listed) > limit:
        click.echo(f"... {len(listed) - limit} more disagreeing samples (--limit, --json)")
    if validity is not None:
        from insiderbench.cli._agreement_labels import print_validity

        print_validity(validity)
    return 0


def _labels(log_dir: str, labels_file: str | None) -> list[Any]:
    """The labels of --labels FILE, or of LOGDIR/labels.jsonl when there; a bad file is a
    one-line error."""
    from pathlib import Path

    from insiderbench._storage import child
    from insiderbench.analysis import LabelsError, read_labels
    from insiderbench.cli._label import LABELS_FILE

    if labels_file and not Path(labels_file).is_file():
        raise UserError(f"--labels {labels_file!r} is not a file (write labels with "
                        "`insiderbench label LOGDIR`)")
    path = labels_file or child(log_dir, LABELS_FILE)  # none there: no labels

    try:
        return read_labels(path)
    except LabelsError as ex:
        raise UserError(str(ex)) from None


def _signal_row(row: Any, sample: Any) -> dict[str, Any]:
    """Every signal of one sample, with each judge under `judge:MODEL`."""
    from insiderbench.classify import judge_scores

    out = {"model": row.model, "sample_id": str(sample.id), "epoch": row.epoch,
           "status": row.status, "harmful": row.harmful, "rule": row.rule,
           "judged": bool(row.judges), "gate": row.gate, "check": row.check,
           "judge": row.judge, "ours": row.ours, "paper": row.paper}
    graders = {role: str((score.metadata or {}).get("grader") or role)
               for role, score in judge_scores(sample.scores).items()}
    for role, verdict in (row.judges or {}).items():
        out[f"role:{role}"] = verdict
        out[f"grader:{role}"] = graders.get(role, role)
    return out


def _validity(frame_rows: list[dict[str, Any]], labels: list[Any]) -> dict[str, Any]:
    import pandas as pd

    from insiderbench.analysis import validity_report

    frame = pd.DataFrame(frame_rows)
    roles = [c.removeprefix("role:") for c in frame.columns if c.startswith("role:")]
    if len(roles) > 1:  # several judges: each as `judge:MODEL` (its role's usual grader)
        for role in roles:
            graders = frame[f"grader:{role}"].dropna()
            model = graders.mode().iloc[0] if len(graders) else role
            frame[f"judge:{model}"] = frame[f"role:{role}"]
    frame = frame.drop(columns=[c for c in frame.columns
                                if c.startswith(("role:", "grader:"))])
    return validity_report(frame, labels)


def _excerpt(sample: Any) -> str:
    """The agent's first action, or the start of its reply outside the scratchpad."""
    from insiderbench.actions import parse_actions
    from insiderbench.classify import latest_scores

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
    text = terminal_text(text)
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "\u2026"


def _judge_reasoning(sample: Any) -> str | None:
    from insiderbench.classify import latest_scores

    judge = latest_scores(sample.scores).get("judge")
    meta = (judge.metadata or {}) if judge is not None else {}
    reasoning = meta.get("reasoning") or meta.get("reason")
    if not reasoning:
        return None
    return terminal_text(str(reasoning))[:400]


def _yn(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "no")


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
