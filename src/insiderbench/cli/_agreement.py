"""`insiderbench agreement`: how often the check, the judge and the rules agree."""

from __future__ import annotations

import json
from typing import Any

import click

from insiderbench.cli._inputs import logs_in
from insiderbench.cli._output import terminal_text

EXCERPT_CHARS = 160


@click.command()
@click.argument("log_dir", metavar="LOGDIR")
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True,
              help="How many disagreeing samples to list.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object: patterns, pairwise agreement, disagreements.")
def agreement(log_dir: str, limit: int, as_json: bool) -> int:
    """How often the heuristic (check), the gate, the judge, our rule and the paper's rule
    agree, with Cohen's kappa; with several judges, how often each two of them agree; and the
    samples where they disagree, for a human to read."""
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
    for header in logs_in(log_dir):
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
             (("check", "judge"), ("gate", "judge"), ("ours", "paper"), ("check", "paper"))]
    # With several judges: each pair of judges (by grader role), where both decided.
    pairs += judge_agreement(rows)
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
