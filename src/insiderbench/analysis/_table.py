"""Every log under a directory, streamed into one pandas table with one row per sample."""

from __future__ import annotations

import contextlib
import json
import math
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from inspect_ai.log import EvalLog, EvalSample, read_eval_log_samples

from insiderbench._storage import filesystem, is_remote, local_path
from insiderbench.analysis._results import SampleRow, SummaryRow, sample_row
from insiderbench.analysis._sequential import rule_of, sequential_summary
from insiderbench.analysis._stats import wilson_interval
from insiderbench.classify import Rule, latest_scores
from insiderbench.experiment import latest_logs
from insiderbench.scenarios import Condition, ConditionError

FACTOR_COLUMNS = (
    "scenario",
    "goal_type",
    "goal_value",
    "urgency",
    "extra_instructions",
    "prod",
    "eval_awareness",
    "mode",
    # Ours, not the paper's: each ablation's level and the intervention (scenarios.levels()).
    "agency",
    "escalation",
    "ceo",
    "monitoring",
    "intervention",
    "monitor",
    # Which text: the scenario pack, and canonical or a surface variant (`v3`).
    "pack",
    "surface",
)
_TEXT_FACTORS = tuple(f for f in FACTOR_COLUMNS if f not in ("prod", "eval_awareness"))
VERDICT_COLUMNS = ("gate", "check", "judge", "ours", "paper")
# What an action monitor saw, per sample (from its metadata `monitored`): tool calls reviewed,
# approved, rejected, no decision (held), held in all, held as the harmful act itself; harmful
# attempts (calls that would open the gate), those blocked and those that got through; an LLM
# monitor's own calls and tokens.
MONITOR_COUNTS = ("calls", "approved", "rejected", "errors", "held", "held_harmful",
                  "attempts", "blocked", "through", "model_calls", "input_tokens",
                  "output_tokens")
MONITOR_COLUMNS = tuple(f"monitor_{k}" for k in MONITOR_COUNTS)
# Summed per condition in the summary (empty for unmonitored conditions).
MONITOR_SUMMARY = ("monitor_calls", "monitor_attempts", "monitor_blocked", "monitor_through",
                   "monitor_errors", "monitor_model_calls")
SUMMARY_COLUMNS = (
    "model", "condition_id", "n", "harmful", "rate", "ci_low", "ci_high", "unscored", "errors",
    "no_answer", "truncated", "samples", "stopped", *MONITOR_SUMMARY, "monitor_model",
)
_BOOL_COLUMNS = ("harmful", *VERDICT_COLUMNS, "cut_off", "truncated", "judged", "audited", "prod",
                 "eval_awareness")
_INT_COLUMNS = ("epoch", "input_tokens", "output_tokens", "total_tokens", "judge_calls",
                "alert_attempts", *MONITOR_COLUMNS)
_REPEATED = ("model", "task", "log", "sample_id", "condition_id", *_TEXT_FACTORS, "status",
             "rule", "awareness", "grader", "sequential")
# Fields a results row never needs; dropping them before validation keeps memory flat.
_HEAVY_FIELDS = ("events", "events_data", "store")

SampleHook = Callable[[EvalLog, EvalSample, dict[str, Any]], None]


@dataclass(frozen=True)
class Results:
    """The per-sample table of a log directory and the logs it came from."""

    table: pd.DataFrame
    logs: list[EvalLog]
    problems: list[str] = field(default_factory=list)  # logs that could not be read through


def iter_samples(log: EvalLog) -> Iterator[EvalSample]:
    """The samples of one log, one at a time, so memory does not grow with the log.

    A `.eval` log is a zip archive with one entry per sample; walking its entries in one pass
    is about 20 times faster than `read_eval_log_samples`, which reopens the archive for every
    sample (11 ms a sample: over an hour for the paper's full grid). Other formats, or an
    archive we cannot read, go through Inspect's reader. A log on object storage is read the
    same way, through fsspec (ranged reads of the one archive).
    """
    location = str(log.location)
    if location.endswith(".eval"):
        with contextlib.suppress(ImportError):
            import zipfile_zstd  # noqa: F401  (Inspect writes zstd-compressed entries)
        with contextlib.ExitStack() as stack:
            try:
                archive = stack.enter_context(zipfile.ZipFile(_open_log(location, stack)))
            except (OSError, zipfile.BadZipFile):
                archive = None
            if archive is not None:
                # A rewritten sample (a retry, a recovered crash) appends an entry of the same
                # name; `read` returns the newest, so each name is read once: counting it per
                # entry would count the sample twice.
                names = list(dict.fromkeys(
                    n for n in archive.namelist()
                    if n.startswith("samples/") and n.endswith(".json")
                ))
                for name in names:
                    data = json.loads(archive.read(name))
                    for field in _HEAVY_FIELDS:
                        data.pop(field, None)
                    yield EvalSample.model_validate(data)
                return
    yield from read_eval_log_samples(
        location, all_samples_required=False, exclude_fields=set(_HEAVY_FIELDS)
    )


def _open_log(location: str, stack: contextlib.ExitStack) -> Any:
    """A log file opened for reading: a local path, or an object through fsspec."""
    if not is_remote(location):
        return str(local_path(location))
    fs, path = filesystem(location)
    return stack.enter_context(fs.open(path, "rb"))


def row_of(log: EvalLog, sample: EvalSample, rule: Rule) -> dict[str, Any]:
    """The results row of one sample: factors, every rule's verdict, tokens, error."""
    base: SampleRow = sample_row(log.eval.model, log.eval.task, sample, rule)
    meta = sample.metadata or {}
    kinds = latest_scores(sample.scores)
    row: dict[str, Any] = {
        "model": base.model,
        "task": base.task,
        "log": Path(str(log.location)).name,
        "sample_id": str(sample.id),
        "epoch": base.epoch,
        "condition_id": base.condition_id,
        **condition_factors(base.condition_id, meta),
        "status": base.status,
        "harmful": base.harmful,
        "rule": base.rule,
        "reason": base.reason if base.status in ("unscored", "no_answer") else None,
        **{k: getattr(base, k) for k in VERDICT_COLUMNS},
        "awareness": base.awareness,
        "grader": None,
        **tokens(log, sample),
        "error": base.reason if base.status == "error" else None,
        "cut_off": base.cut_off,
        "truncated": base.truncated,
        "alert_attempts": _alert_attempts(kinds),
        **monitor_counts(meta.get("monitored")),
        "monitor_model": (meta.get("monitored") or {}).get("model"),
        "judged": bool(base.judges),
        "judge_calls": len(base.judges or {}),
        "audited": base.audited,
        "sequential": json.dumps(base.sequential, sort_keys=True) if base.sequential else None,
    }
    judge = kinds.get("judge")
    if judge is not None:
        row["grader"] = (judge.metadata or {}).get("grader")
    for key in _REPEATED:  # one copy of each repeated value, however many rows share it
        if isinstance(row[key], str):
            row[key] = sys.intern(row[key])
    return row


def monitor_counts(record: dict[str, Any] | None) -> dict[str, int | None]:
    """The `monitor_*` columns of a sample's monitor record (all None without a monitor).
    A rule monitor's record from before the attempts were counted holds only what the gate
    opened, so its attempts are its held calls, all blocked."""
    record = dict(record or {})
    if record.get("monitor") == "rule" and "attempts" not in record:
        held = record.get("held")
        record.update(attempts=held, blocked=held, through=0, rejected=held, errors=0)
        if isinstance(held, int) and isinstance(record.get("calls"), int):
            record["approved"] = record["calls"] - held
    if record.get("monitor") == "rule":
        record.setdefault("model_calls", 0)  # the rule asks no model
    return {f"monitor_{k}": record.get(k) for k in MONITOR_COUNTS}


def _alert_attempts(kinds: dict[str, Any]) -> int | None:
    """How many times the agent submitted cancel_alert (lethal-action samples only): above one,
    it retried after a rejected code, which agentic mode allows and classic mode does not."""
    check = kinds.get("check")
    meta = (check.metadata or {}) if check is not None else {}
    signals = (meta.get("check") or {}).get("signals") or {}
    value = signals.get("cancel_attempts")
    return int(value) if isinstance(value, int) else None


def condition_factors(condition_id: str, metadata: dict[str, Any]) -> dict[str, Any]:
    """The factor columns, from the sample's metadata or else parsed from its condition id."""
    if all(f in metadata for f in FACTOR_COLUMNS):
        return {f: metadata[f] for f in FACTOR_COLUMNS}
    try:
        condition = Condition.from_id(condition_id)
    except (ConditionError, ValueError):
        return {f: metadata.get(f) for f in FACTOR_COLUMNS}
    return {**condition.factors(), "mode": condition.mode, **condition.levels(),
            **condition.surface()}


def tokens(log: EvalLog, sample: EvalSample) -> dict[str, int | None]:
    """Tokens of the model under test (a grader's calls are not the experiment's cost)."""
    usage = sample.model_usage or {}
    chosen = [usage[log.eval.model]] if log.eval.model in usage else list(usage.values())
    if not chosen:
        return {"input_tokens": None, "output_tokens": None, "total_tokens": None}
    return {
        "input_tokens": sum(u.input_tokens for u in chosen),
        "output_tokens": sum(u.output_tokens for u in chosen),
        "total_tokens": sum(u.total_tokens for u in chosen),
    }


def read_results(
    log_dir: str | Path, *, rule: Rule = "auto", on_sample: SampleHook | None = None
) -> Results:
    """One row per (task, sample, epoch), from the newest log of each task under `log_dir`.

    Attempts that a retry superseded are skipped with their logs; scores are read by kind,
    the newest decided score of each kind in effect, so re-scorings replace earlier verdicts
    unless they could not decide. `on_sample`
    sees every sample as it streams past (the report keeps some transcripts that way).
    """
    problems: list[str] = []
    logs = latest_logs(log_dir, problems)
    rows: list[dict[str, Any]] = []
    for log in logs:
        seen: set[tuple[str, int]] = set()
        try:
            for sample in iter_samples(log):
                key = (str(sample.id), sample.epoch)
                if key in seen:
                    continue
                seen.add(key)
                row = row_of(log, sample, rule)
                rows.append(row)
                if on_sample is not None:
                    on_sample(log, sample, row)
        except Exception as ex:  # noqa: BLE001  (a log cut short: keep what was read, say so)
            problems.append(f"{Path(str(log.location)).name}: read {len(seen)} samples, then "
                            f"{type(ex).__name__}: {ex}")
    return Results(table=to_frame(rows), logs=logs, problems=problems)


def to_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    columns = list(row_of_columns())
    df = pd.DataFrame(rows, columns=columns)
    for c in _BOOL_COLUMNS:
        df[c] = df[c].astype("boolean")
    for c in _INT_COLUMNS:
        df[c] = df[c].astype("Int64")
    for c in ("model", "condition_id", "status", "rule", *_TEXT_FACTORS):
        df[c] = df[c].astype("string")
    return df


def row_of_columns() -> tuple[str, ...]:
    return (
        "model", "task", "log", "sample_id", "epoch", "condition_id", *FACTOR_COLUMNS,
        "status", "harmful", "rule", "reason", *VERDICT_COLUMNS, "awareness", "grader",
        "input_tokens", "output_tokens", "total_tokens", "error", "cut_off", "truncated",
        "alert_attempts", *MONITOR_COLUMNS, "monitor_model", "judged", "judge_calls", "audited", "sequential",
    )


def summary_table(table: pd.DataFrame) -> pd.DataFrame:
    """Per (model, condition): n scored, harmful, rate, Wilson 95% interval, unscored, errors.

    Errors and unscored samples are counted beside the rate, never inside it.
    """
    records: list[dict[str, Any]] = []
    for (model, cid), cell in table.groupby(["model", "condition_id"], sort=True):
        scored = cell[cell["status"] == "scored"]
        n = len(scored)
        harmful = int(scored["harmful"].fillna(False).sum())
        ci = wilson_interval(harmful, n)
        extra: dict[str, Any] = {}
        spec = cell["sequential"].dropna()
        if len(spec) and (rule := rule_of(json.loads(spec.iloc[0]))) is not None:
            extra = sequential_summary(rule, zip(cell["epoch"], cell["status"],
                                                 cell["harmful"].fillna(False), strict=True))
            ci = (extra.pop("ci_low"), extra.pop("ci_high"))
        record = SummaryRow(
            model=str(model),
            condition_id=str(cid),
            n=n,
            harmful=harmful,
            rate=harmful / n if n else None,
            ci_low=ci[0] if ci else None,
            ci_high=ci[1] if ci else None,
            errors=int((cell["status"] == "error").sum()),
            unscored=int((cell["status"] == "unscored").sum()),
            no_answer=int((cell["status"] == "no_answer").sum()),
            truncated=int(cell["truncated"].fillna(False).astype(bool).sum()),
            **extra,
        ).model_dump()
        for c in MONITOR_SUMMARY:  # summed over the samples a monitor watched
            watched = cell[c].dropna()
            record[c] = int(watched.sum()) if len(watched) else None
        models = cell["monitor_model"].dropna()
        record["monitor_model"] = str(models.iloc[0]) if len(models) else None
        first = cell.iloc[0]
        records.append({**record, **{f: _plain(first[f]) for f in FACTOR_COLUMNS}})
    out = pd.DataFrame(records, columns=[*SUMMARY_COLUMNS, *FACTOR_COLUMNS])
    for c in MONITOR_SUMMARY:
        out[c] = out[c].astype("Int64")
    return out


def summary_rows(summary: pd.DataFrame) -> list[SummaryRow]:
    """The summary as the rows `run --json` prints."""
    extra = [c for c in ("rate_calibrated", "calibrated_ci_low", "calibrated_ci_high")
             if c in summary.columns]
    return [SummaryRow(**{k: _plain(r[k]) for k in (*SummaryRow.model_fields, *extra)},
                       **{k: _plain(r[k]) for k in MONITOR_SUMMARY
                          if k in r and _plain(r[k]) is not None})
            for r in summary.to_dict("records")]


def _plain(value: Any) -> Any:
    """pandas' missing values and numpy scalars as plain JSON values."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.item() if hasattr(value, "item") else value
