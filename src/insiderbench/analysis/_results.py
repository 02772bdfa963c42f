"""From Inspect logs to one row per sample, and per-condition rates."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from inspect_ai.log import EvalLog, EvalSample, read_eval_log
from inspect_ai.scorer import Score
from pydantic import BaseModel, ConfigDict

from insiderbench.analysis._sequential import rule_of, sequential_summary
from insiderbench.analysis._stats import wilson_interval
from insiderbench.classify import Rule, judge_scores, latest_scores, majority, score_verdict

# no_answer: no action and no final text (a reasoning loop); counted apart like unscored.
SampleStatus = Literal["scored", "unscored", "no_answer", "error"]


@dataclass(frozen=True)
class SampleRow:
    model: str
    task: str
    condition_id: str
    epoch: int
    status: SampleStatus
    harmful: bool | None
    reason: str | None = None
    rule: str = "check"
    check: bool | None = None
    judge: bool | None = None
    ours: bool | None = None
    paper: bool | None = None
    awareness: str | None = None
    # Agentic mode: the agent was still acting when its step or token limit stopped it.
    cut_off: bool | None = None
    gate: bool | None = None
    truncated: bool | None = None
    # Each judge's verdict by grader role (`grader`, `grader_2`, ...); `judge` is their majority.
    judges: dict[str, bool | None] | None = None
    # The judge was asked although the gate was closed (the audit share).
    audited: bool = False
    sample_id: str | None = None
    # The stopping rule of a sequentially sampled condition (`ci_width`, min/max_samples).
    sequential: dict[str, Any] | None = None

    @property
    def heuristic(self) -> bool | None:
        """The heuristic's verdict (the `check` score kind, kept under that name in logs)."""
        return self.check


class SummaryRow(BaseModel):
    """One (model, condition) cell. `n` counts scored samples only.

    With human labels it also carries `rate_calibrated, calibrated_ci_low,
    calibrated_ci_high` (extra fields, so that without labels the keys stay as they were)."""

    model_config = ConfigDict(extra="allow")

    model: str
    condition_id: str
    n: int
    harmful: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    errors: int
    unscored: int
    no_answer: int = 0
    truncated: int = 0
    # Sequential sampling only (else left out of the JSON): samples taken, and why it stopped
    # (width, max, incomplete); ci_low/ci_high are then its confidence sequence.
    samples: int | None = None
    stopped: str | None = None

    def public(self) -> dict[str, Any]:
        """The row as `run --json` prints it."""
        return self.model_dump(exclude=set() if self.stopped else {"samples", "stopped"})


def resolve_rule(rule: Rule, kinds: dict[str, Score]) -> str:
    if rule != "auto":
        return rule
    return "ours" if "harmful" in kinds else "check"


def sample_rows(log: EvalLog, rule: Rule = "auto") -> list[SampleRow]:
    """One row per (sample, epoch). Errors and unscored samples are kept, never read as 0.

    `rule` picks the primary verdict: `ours` (judge and deterministic action), `paper` (the
    published combination of judge and gates), `check` (deterministic check alone), or `auto`:
    ours where a judge scored the sample, else the check.
    """
    return [sample_row(log.eval.model, log.eval.task, s, rule) for s in log.samples or []]


def sample_row(model: str, task: str, s: EvalSample, rule: Rule = "auto") -> SampleRow:
    """The row of one (sample, epoch); see `sample_rows`."""
    condition_id = str((s.metadata or {}).get("condition_id", s.id))
    kinds = latest_scores(s.scores)
    harmful_meta = (kinds["harmful"].metadata or {}) if "harmful" in kinds else {}
    awareness = kinds.get("awareness")
    check_meta = (kinds["check"].metadata or {}) if "check" in kinds else {}
    judged = judge_scores(s.scores)
    verdicts = {role: score_verdict(score) for role, score in judged.items()}
    signals = {
        "check": score_verdict(kinds.get("check")),
        "judge": (majority(list(verdicts.values())) if len(verdicts) > 1
                  else score_verdict(kinds.get("judge"))),
        "ours": harmful_meta.get("ours"),
        "paper": harmful_meta.get("paper"),
        "awareness": (
            str(awareness.value)
            if awareness is not None and isinstance(awareness.value, str)
            else None
        ),
        "cut_off": (s.metadata or {}).get("cut_off"),
        "gate": _gate(check_meta),
        "truncated": check_meta.get("truncated"),
        "judges": verdicts or None,
        "audited": any((j.metadata or {}).get("audit") for j in judged.values()),
        "sample_id": str(s.id),
        "sequential": (s.metadata or {}).get("sequential"),
    }
    used = resolve_rule(rule, kinds)
    base = (model, task, condition_id, s.epoch)
    if s.error is not None:
        message = s.error.message.splitlines()[0][:300] if s.error.message else "error"
        return SampleRow(*base, "error", None, message, used, **signals)
    primary: bool | None = signals[used]  # type: ignore[assignment]
    if check_meta.get("no_answer"):
        why = str(kinds["check"].reason or "no answer")
        return SampleRow(*base, "no_answer", None, why, used, **signals)
    if primary is None:
        source = {"check": "check", "ours": "harmful", "paper": "harmful"}[used]
        score = kinds.get(source)
        reason = "not scored"
        if score is not None:
            reason = str(score.reason or score.explanation or "unscored")
        elif used in ("ours", "paper"):
            reason = "no judge verdict (score with a grader)"
        return SampleRow(*base, "unscored", None, reason, used, **signals)
    return SampleRow(*base, "scored", primary, None, used, **signals)


def _gate(check_meta: dict[str, object]) -> bool | None:
    gate = check_meta.get("gate")
    return bool(gate.get("open")) if isinstance(gate, dict) else None


def summarize(rows: Iterable[SampleRow]) -> list[SummaryRow]:
    """Per (model, condition): n scored, harmful, rate with Wilson 95% interval, errors, unscored."""
    cells: dict[tuple[str, str], list[SampleRow]] = {}
    for r in rows:
        cells.setdefault((r.model, r.condition_id), []).append(r)
    out: list[SummaryRow] = []
    for (model, cid), cell in sorted(cells.items()):
        scored = [r for r in cell if r.status == "scored"]
        n = len(scored)
        harmful = sum(1 for r in scored if r.harmful)
        ci = wilson_interval(harmful, n)
        extra: dict[str, Any] = {}
        if (rule := rule_of(cell[0].sequential)) is not None:
            extra = sequential_summary(rule, ((r.epoch, r.status, r.harmful) for r in cell))
            ci = (extra.pop("ci_low"), extra.pop("ci_high"))
        out.append(
            SummaryRow(
                model=model,
                condition_id=cid,
                n=n,
                harmful=harmful,
                rate=harmful / n if n else None,
                ci_low=ci[0] if ci else None,
                ci_high=ci[1] if ci else None,
                errors=sum(1 for r in cell if r.status == "error"),
                unscored=sum(1 for r in cell if r.status == "unscored"),
                no_answer=sum(1 for r in cell if r.status == "no_answer"),
                truncated=sum(1 for r in cell if r.truncated),
                **extra,
            )
        )
    return out


def read_rows(paths: Iterable[str | Path], rule: Rule = "auto") -> list[SampleRow]:
    rows: list[SampleRow] = []
    for p in paths:
        rows.extend(sample_rows(read_eval_log(str(p)), rule))
    return rows
