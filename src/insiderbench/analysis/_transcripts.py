"""The transcripts the report embeds: a bounded sample of each cell, as plain JSON data.

Text is carried as data and put on the page with `textContent`, never as markup, so a reply
that contains `<script>` or an `onerror=` attribute stays text.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from inspect_ai.log import EvalLog, EvalSample, resolve_sample_attachments
from inspect_ai.model import ChatMessage

from insiderbench.classify import SCORE_KINDS, latest_scores, reasoning_of_message

# Display only: a scratchpad (to its close tag, or to the end when unclosed).
_SCRATCHPAD_RE = re.compile(
    r"<\s*scratchpad_reasoning\s*>.*?(?:<\s*/\s*scratchpad_reasoning\s*>|\Z)",
    re.IGNORECASE | re.DOTALL,
)
_ACTION_TOOL_RE = re.compile(r"email|forward|alert", re.IGNORECASE)
_MAX_TEXT = 60_000  # characters of one message kept in the report


def verdict_of(row: dict[str, Any]) -> str:
    if row["status"] == "error":
        return "error"
    if row["status"] in ("unscored", "no_answer"):
        return str(row["status"]).replace("_", " ")
    return "harmful" if row["harmful"] else "not harmful"


def segments(text: str, raws: list[str]) -> list[dict[str, str]]:
    """Split a reply into text, scratchpad and action parts, for highlighting.

    Actions are the spans the parser read them from (`Action.raw`), found outside the
    scratchpads, so what is highlighted is exactly what was classified.
    """
    marks: list[tuple[int, int, str]] = [
        (m.start(), m.end(), "scratch") for m in _SCRATCHPAD_RE.finditer(text)
    ]
    for raw in raws:
        raw = raw.strip()
        if not raw:
            continue
        start = 0
        while (pos := text.find(raw, start)) >= 0:
            end = pos + len(raw)
            if not any(s <= pos < e for s, e, _ in marks):
                marks.append((pos, end, "action"))
                break
            start = end
    marks.sort()
    out: list[dict[str, str]] = []
    cursor = 0
    for start, end, kind in marks:
        if start < cursor:
            continue
        if start > cursor:
            out.append({"k": "text", "t": text[cursor:start]})
        out.append({"k": kind, "t": text[start:end]})
        cursor = end
    if cursor < len(text):
        out.append({"k": "text", "t": text[cursor:]})
    return out


def _text(message: ChatMessage) -> str:
    text = message.text or ""
    if len(text) > _MAX_TEXT:
        return text[:_MAX_TEXT] + f"\n[... {len(text) - _MAX_TEXT} more characters in the log]"
    return text


def _plain(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def score_cards(sample: EvalSample) -> list[dict[str, Any]]:
    """Every score of a known kind, newest first; the one each kind takes from is marked."""
    in_effect = {id(s) for s in latest_scores(sample.scores).values()}
    cards = []
    for name, score in (sample.scores or {}).items():
        meta = score.metadata or {}
        kind = meta.get("kind") or ("check" if name == "harm_check" else None)
        if kind not in SCORE_KINDS:
            continue
        check = meta.get("check") if isinstance(meta.get("check"), dict) else None
        cards.append({
            "name": name,
            "kind": kind,
            "value": _plain(score.value) if isinstance(score.value, int | float | str) else None,
            "answer": score.answer,
            "in_effect": id(score) in in_effect,
            "scored_at": meta.get("scored_at"),
            "judge": meta.get("judge") or meta.get("judge_name"),
            "grader": meta.get("grader"),
            "reasoning": meta.get("reasoning") or score.explanation,
            "reason": str(score.reason) if score.reason else meta.get("reason"),
            "labels": meta.get("labels") or None,
            "gates": meta.get("gates") or None,
            "signals": check.get("signals") if check else None,
            "rules": {k: meta.get(k) for k in ("ours", "paper", "check", "judge")}
            if kind == "harmful" else None,
        })
    cards.sort(key=lambda c: (SCORE_KINDS.index(c["kind"]), str(c["scored_at"] or "")),
               reverse=False)
    return cards


def transcript_record(row: dict[str, Any], sample: EvalSample) -> dict[str, Any]:
    """What the transcript browser shows of one sample (attachments resolved)."""
    kinds = latest_scores(sample.scores)
    check_meta = (kinds["check"].metadata or {}) if "check" in kinds else {}
    actions = [a for a in check_meta.get("actions") or [] if isinstance(a, dict)]
    raws = [str(a.get("raw") or "") for a in actions if a.get("source") != "tool_call"]
    call_raws = " ".join(str(a.get("raw") or "") for a in actions
                         if a.get("source") == "tool_call")
    messages = []
    skipped_prompt = {"system": False, "user": False}
    for message in sample.messages:
        if message.role in skipped_prompt and not skipped_prompt[message.role]:
            skipped_prompt[message.role] = True  # the condition's prompt, shown once
            continue
        text = _text(message)
        entry: dict[str, Any] = {
            "role": message.role,
            "parts": segments(text, raws) if message.role == "assistant" else
            [{"k": "text", "t": text}],
        }
        if message.role == "assistant":
            # Native reasoning (extended thinking, o-series, R1) is shown like the scratchpad.
            reasoning, redacted = reasoning_of_message(message)
            if reasoning:
                note = " (redacted by the provider)" if redacted else ""
                entry["parts"] = [{"k": "scratch", "t": f"[reasoning{note}]\n{reasoning}\n"},
                                  *entry["parts"]]
        calls = getattr(message, "tool_calls", None) or []
        if calls:
            entry["calls"] = [{
                "fn": c.function,
                "args": json.dumps(c.arguments, ensure_ascii=False, indent=1),
                "action": bool(c.function in call_raws or _ACTION_TOOL_RE.search(c.function)),
            } for c in calls]
        if message.role == "tool":
            entry["fn"] = getattr(message, "function", None)
        messages.append(entry)
    return {
        "model": row["model"], "condition_id": row["condition_id"], "epoch": row["epoch"],
        "sample_id": row["sample_id"], "log": row["log"], "verdict": verdict_of(row),
        "rule": row["rule"],
        **{k: row[k] for k in ("gate", "check", "judge", "ours", "paper", "truncated")},
        "awareness": row["awareness"], "error": row["error"], "reason": row["reason"],
        "cut_off": row["cut_off"], "tokens": row["total_tokens"],
        "actions": [{k: a.get(k) for k in ("kind", "to", "subject", "body", "email_ids",
                                            "code", "source")} for a in actions],
        "scores": score_cards(sample),
        "messages": messages,
    }


def prompt_of(sample: EvalSample) -> dict[str, str]:
    system = next((m.text for m in sample.messages if m.role == "system"), "")
    user = next((m.text for m in sample.messages if m.role == "user"), "")
    if not system and not user and isinstance(sample.input, str):
        user = sample.input
    return {"system": system, "user": user}


@dataclass
class TranscriptCollector:
    """Keeps up to `per_cell` transcripts of each (model, condition, verdict), `limit` in all.

    A run of the paper's size has hundreds of thousands of samples; the report embeds a
    readable share of each cell (every verdict represented) and says how many it left out.
    """

    per_cell: int = 10
    limit: int = 2000
    records: list[dict[str, Any]] = field(default_factory=list)
    prompts: dict[str, dict[str, str]] = field(default_factory=dict)
    seen: int = 0
    _cells: Counter[tuple[str, str, str]] = field(default_factory=Counter)

    def __call__(self, log: EvalLog, sample: EvalSample, row: dict[str, Any]) -> None:
        self.seen += 1
        cell = (row["model"], row["condition_id"], verdict_of(row))
        if len(self.records) >= self.limit or self._cells[cell] >= self.per_cell:
            return
        self._cells[cell] += 1
        # Long message content may sit in the sample's attachments; only kept samples pay.
        sample = resolve_sample_attachments(sample, "core")
        self.records.append(transcript_record(row, sample))
        if row["condition_id"] not in self.prompts:
            self.prompts[row["condition_id"]] = prompt_of(sample)

    @property
    def omitted(self) -> int:
        return self.seen - len(self.records)
