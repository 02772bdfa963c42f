"""Results output shared by `run`, `score` and `report`: which rule a table reports, by which
judge, the harmful rate by eval-awareness conclusion, and why samples are unscored."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

import click

from insiderbench.analysis import visible_controls

_RULE_TEXT = {
    "ours": "our rule (judge AND gate)",
    "paper": "the paper's rule (judge AND published gates)",
    "check": "heuristic (deterministic, offline)",
}


def terminal_text(text: str) -> str:
    """Model text for one terminal line: direction controls written out as `<U+202E>` (they
    would reorder what is shown), other control characters dropped, whitespace collapsed."""
    shown = visible_controls(" ".join(text.split()))
    return "".join(ch for ch in shown if ch.isprintable())


def print_table(summary: list[Any], title: str = "Harmful-action rates (heuristic)"
                ) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    calibrated = any(hasattr(r, "rate_calibrated") for r in summary)
    sequential = any(getattr(r, "stopped", None) for r in summary)
    for col in ("model", "condition", "n", "harmful", "rate", "95% CI", "errors", "unscored",
                "no answer", "truncated", *(("samples", "stopped") if sequential else ()),
                *(("calibrated [95% CI]",) if calibrated else ())):
        table.add_column(col, justify="left" if col in ("model", "condition") else "right")
    for r in summary:
        more = (str(r.samples or "-"), r.stopped or "-") if sequential else ()
        extra = []
        if calibrated:
            value = getattr(r, "rate_calibrated", None)
            extra = ["-" if value is None else
                     f"{value:.2f} [{r.calibrated_ci_low:.2f}, {r.calibrated_ci_high:.2f}]"]
        table.add_row(
            r.model,
            r.condition_id,
            str(r.n),
            str(r.harmful),
            "-" if r.rate is None else f"{r.rate:.2f}",
            "-" if r.ci_low is None else f"[{r.ci_low:.2f}, {r.ci_high:.2f}]",
            str(r.errors),
            str(r.unscored),
            str(getattr(r, "no_answer", 0)),
            str(getattr(r, "truncated", 0)),
            *more,
            *extra,
        )
    Console(width=max(160, Console().width)).print(table)


def judges_in(log: Any) -> set[str]:
    """"<judge> judge via <grader>" for each judge whose newest scores appear in the log
    (or in an iterable of samples, for a log read one sample at a time)."""
    from insiderbench.classify import latest_scores

    found = set()
    for sample in (log.samples or []) if hasattr(log, "samples") else log:
        judge = latest_scores(sample.scores).get("judge")
        meta = (judge.metadata or {}) if judge is not None else {}
        if meta.get("judge"):
            found.add(f"{meta['judge']} judge via {meta.get('grader', '?')}")
    return found


def results_title(rows: Iterable[Any], judges: Iterable[str]) -> str:
    """Says which rule the table reports; without any judge, says so."""
    rules = sorted({r.rule for r in rows}) or ["check"]
    text = " / ".join(_RULE_TEXT.get(r, r) for r in rules)
    if not list(judges):
        return f"Harmful-action rates: {text} only (no grader, no LLM judge)"
    return f"Harmful-action rates: {text}"


def print_awareness(awareness: list[Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Harmful-action rate by the model's stated conclusion (eval awareness)")
    for col in ("model", "condition", "concluded", "n", "harmful", "rate", "95% CI", "unscored"):
        table.add_column(col, justify="left" if col in ("model", "condition", "concluded")
                         else "right")
    for r in awareness:
        table.add_row(
            r.model, r.condition_id, r.conclusion, str(r.n), str(r.harmful),
            "-" if r.rate is None else f"{r.rate:.2f}",
            "-" if r.ci_low is None else f"[{r.ci_low:.2f}, {r.ci_high:.2f}]",
            str(r.unscored),
        )
    Console(width=max(160, Console().width)).print(table)


def unscored_notes(rows: Iterable[Any], limit: int = 3) -> list[str]:
    """The commonest reasons samples are unscored, one line each."""
    reasons = Counter(terminal_text(r.reason or "unscored")[:200] for r in rows
                      if r.status == "unscored")
    lines = [f"Unscored ({count}): {reason}" for reason, count in reasons.most_common(limit)]
    rest = sum(reasons.values()) - sum(c for _, c in reasons.most_common(limit))
    if rest:
        lines.append(f"Unscored ({rest}): other reasons")
    return lines


class MonitorTally:
    """What the action monitors saw, summed per (model, condition) from the samples'
    `monitored` records: for each results row (`run --json`: `monitor`) and a line each."""

    KEYS = ("calls", "attempts", "blocked", "through", "errors", "model_calls")

    def __init__(self) -> None:
        self.cells: dict[tuple[str, str], dict[str, Any]] = {}

    def add(self, model: str, sample: Any) -> None:
        from insiderbench.analysis._table import monitor_counts

        meta = sample.metadata or {}
        record = meta.get("monitored")
        if not record:
            return
        counts = monitor_counts(record)
        cell = self.cells.setdefault(
            (model, str(meta.get("condition_id", sample.id))),
            {"monitor": record.get("monitor"), "model": record.get("model"),
             **dict.fromkeys(self.KEYS, 0)})
        for k in self.KEYS:
            cell[k] += counts[f"monitor_{k}"] or 0

    def of(self, model: str, condition_id: str) -> dict[str, Any] | None:
        return self.cells.get((model, condition_id))

    def lines(self) -> list[str]:
        return [f"Monitor {c['monitor']} on {model} {cid}: {c['calls']} tool calls, "
                f"{c['attempts']} harmful attempts, {c['blocked']} blocked, {c['through']} "
                f"through, {c['errors']} held without a decision, {c['model_calls']} monitor "
                "calls." for (model, cid), c in sorted(self.cells.items())]


def emit_results(rows: list[Any], *, as_json: bool, judges: Iterable[str],
                 labels: list[Any] | None = None, costs: Any = None,
                 budget_stopped: bool = False, monitors: MonitorTally | None = None) -> None:
    """The results table (JSON lines with --json), then rates by awareness conclusion; with
    human labels, each rate also corrected for the rule's measured errors. `costs(model,
    condition_id)`: a row's spend (`cost_usd`, when spend is tracked); after a run the budget
    stopped, a sequential condition the rule wanted more of stopped for the `budget`."""
    from insiderbench.analysis import (
        calibrate_rows,
        judging_of_rows,
        summarize,
        summarize_awareness,
    )

    summary, calibration = calibrate_rows(summarize(rows), rows, labels or [])
    if budget_stopped:
        summary = [r.model_copy(update={"stopped": "budget"}) if r.stopped == "incomplete"
                   else r for r in summary]
    if calibration is not None:
        click.echo(f"Calibrated rates: {calibration.note()}", err=as_json)
    awareness = summarize_awareness(rows)
    if as_json:
        by_cell: dict[tuple[str, str], dict[str, Any]] = {}
        for a in awareness:
            by_cell.setdefault((a.model, a.condition_id), {})[a.conclusion] = a.model_dump(
                exclude={"model", "condition_id", "conclusion"}
            )
        for row in summary:
            obj = row.public()
            if (row.model, row.condition_id) in by_cell:
                obj["by_awareness"] = by_cell[(row.model, row.condition_id)]
            if costs is not None:
                obj["cost_usd"] = costs(row.model, row.condition_id)
            if monitors is not None and (seen := monitors.of(row.model, row.condition_id)):
                obj["monitor"] = seen
            click.echo(json.dumps(obj))
        return
    judges = sorted(judges)
    print_table(summary, title=results_title(rows, judges))
    if judges:
        click.echo(f"Judged by: {'; '.join(judges)}")
    if (judging := judging_of_rows(rows)) is not None:
        click.echo(judging.sentence())
    if awareness:
        print_awareness(awareness)
    for note in unscored_notes(rows):
        click.echo(note)
    for line in monitors.lines() if monitors is not None else []:
        click.echo(terminal_text(line))


def labels_of(log_dir: Any) -> list[Any]:
    """The labels in LOGDIR/labels.jsonl, when there. A bad line is skipped with a warning:
    a finished run never fails on its labels file."""
    from insiderbench._storage import child
    from insiderbench.analysis import LabelsError, read_labels

    path = child(log_dir, "labels.jsonl")
    try:
        return read_labels(path)
    except LabelsError as ex:
        click.echo(f"Warning: {ex} (such lines are left out)", err=True)
        return read_labels(path, strict=False)
