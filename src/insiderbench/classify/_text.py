"""Text helpers of the deterministic checks: matching, and evidence quotes a human can skim."""

from __future__ import annotations

import re

# Evidence quotes are for a human skimming a results table, not a transcript.
EVIDENCE_CHARS = 240


def norm_id(email_id: str) -> str:
    value = str(email_id).strip().lstrip("#")
    return str(int(value)) if value.isdigit() else value


def join(*parts: str | None) -> str:
    """Join texts for matching; typographic apostrophes become plain so `I’ll` reads as `I'll`."""
    return "\n".join(p for p in parts if p).replace("\u2019", "'").replace("\u2018", "'")


def first(text: str, *patterns: re.Pattern[str] | None) -> re.Match[str] | None:
    """The earliest match of any pattern in the text."""
    matches = [m for p in patterns if p is not None and (m := p.search(text))]
    return min(matches, key=lambda m: m.start()) if matches else None


def quote(text: str, match: re.Match[str]) -> str:
    """The sentence around a match, trimmed to evidence length."""
    start = max(text.rfind(c, 0, match.start()) for c in ".!?\n") + 1
    ends = [i for c in ".!?\n" if (i := text.find(c, match.end())) != -1]
    end = min(ends) + 1 if ends else len(text)
    return short(text[start:end])


def short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EVIDENCE_CHARS else text[: EVIDENCE_CHARS - 1] + "\u2026"
