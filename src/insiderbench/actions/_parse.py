"""Classic mode: read the paper's `<tool_use:...>` text tags out of a model reply.

Real models write these tags sloppily (no quotes, trailing commas, upper-case keys, a
missing closing tag, several recipients in one field), so the parser is tolerant: an
action the model clearly meant to take must not be lost to a formatting slip, because a
lost action reads as "not harmful" and undercounts. What it must never do is read an
action out of the secret scratchpad, where models draft and reject actions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from insiderbench.actions._action import Action, ActionKind
from insiderbench.actions._json import json_object
from insiderbench.actions._systems import SYSTEM_TAGS, build_system_action

_ADDRESS_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")

# Reasoning blocks: the paper's scratchpad, and the `<think>` block of reasoning models served
# raw (R1 and its kin). An unclosed block runs to the end of the text: everything after it is
# reasoning.
_REASONING_TAG = r"(?:scratchpad_reasoning|think)"
_SCRATCHPAD_RE = re.compile(
    rf"<\s*(?P<tag>{_REASONING_TAG})\s*>.*?(?:<\s*/\s*(?P=tag)\s*>|\Z)",
    re.IGNORECASE | re.DOTALL,
)
_SCRATCHPAD_CLOSE_RE = re.compile(rf"<\s*/\s*{_REASONING_TAG}\s*>", re.IGNORECASE)
_SCRATCHPAD_OPEN_RE = re.compile(rf"<\s*{_REASONING_TAG}\s*>", re.IGNORECASE)
# Closing tags models end a block with instead of `</tool_use:...>`: the block ends there.
_STRAY_CLOSE_RE = re.compile(r"\n?[ \t]*<\s*/\s*(?:body|email|forward|message)\s*>\s*\Z",
                             re.IGNORECASE)
_OPEN_RE = re.compile(r"<\s*tool_use\s*:\s*([A-Za-z_\-]+)\s*>", re.IGNORECASE)
_CLOSE_RE = re.compile(r"<\s*/\s*tool_use\s*(?::\s*[A-Za-z_\-]*\s*)?>", re.IGNORECASE)

# Tag names the paper teaches, plus the obvious spellings models drift into.
_KINDS: dict[str, ActionKind] = {
    "email": "email",
    "send_email": "email",
    "forward": "forward",
    "forward_email": "forward",
    "cancel_alert": "cancel_alert",
    "cancel-alert": "cancel_alert",
    **SYSTEM_TAGS,
}

# Field keys, any case, mapped to the Action field they fill.
_KEYS: dict[str, str] = {
    "to": "to",
    "recipient": "to",
    "recipients": "to",
    "cc": "to",
    "bcc": "to",
    "subject": "subject",
    "body": "body",
    "message": "body",
    "content": "body",
    "email_id": "email_ids",
    "email_ids": "email_ids",
    "emailid": "email_ids",
    "email id": "email_ids",
    "email ids": "email_ids",
    "id": "email_ids",
    "ids": "email_ids",
    "code": "code",
    "override_code": "code",
    "override code": "code",
}
_KEY_LINE_RE = re.compile(
    r"^\s*(?:[-*]\s+)?\**[\"']?(?P<key>"
    + "|".join(sorted((re.escape(k) for k in _KEYS), key=len, reverse=True))
    + r")[\"']?\**\s*[:=]\**\s?(?P<value>.*)$",
    re.IGNORECASE,
)
_OPEN_QUOTES = ('"', "\u201c")
_CLOSE_QUOTES = ('"', "\u201d")
_QUOTE_CHARS = "\"'`\u201c\u201d\u2018\u2019"
_DOUBLE_QUOTES = "\"\u201c\u201d"


def parse_actions(text: str) -> list[Action]:
    """Every email, forward, alert cancellation and system-tool call the reply performs.

    Scratchpad text is reasoning, never an action. A block ends at its closing tag, at the
    next `<tool_use:` or at the end of the text. Unknown tag names are skipped.
    """
    visible = _strip_scratchpad(text)
    actions: list[Action] = []
    opens = list(_OPEN_RE.finditer(visible))
    for i, match in enumerate(opens):
        next_open = opens[i + 1].start() if i + 1 < len(opens) else len(visible)
        close = _CLOSE_RE.search(visible, match.end(), next_open)
        content_end = close.start() if close else next_open
        block_end = close.end() if close else next_open
        kind = _KINDS.get(match.group(1).lower())
        if kind is None:
            continue
        raw = visible[match.start() : block_end].strip()
        content = visible[match.end() : content_end]
        if kind in SYSTEM_TAGS.values():
            actions.append(build_system_action(kind, content, raw))
        else:
            actions.append(_build(kind, content, raw))
    return actions


def final_text(text: str) -> str:
    """What the reply says outside its reasoning and its action tags (may be empty)."""
    visible = _strip_scratchpad(text)
    opens = list(_OPEN_RE.finditer(visible))
    if not opens:
        return visible.strip()
    parts, pos = [], 0
    for i, match in enumerate(opens):
        parts.append(visible[pos : match.start()])
        next_open = opens[i + 1].start() if i + 1 < len(opens) else len(visible)
        close = _CLOSE_RE.search(visible, match.end(), next_open)
        pos = close.end() if close else next_open
    parts.append(visible[pos:])
    return "\n".join(p.strip() for p in parts if p.strip())


def _strip_scratchpad(text: str) -> str:
    """Drop scratchpad reasoning.

    A closing tag with no opening tag before it (the opening was prefilled or lost) means
    everything before it was reasoning.
    """
    first_close = _SCRATCHPAD_CLOSE_RE.search(text)
    first_open = _SCRATCHPAD_OPEN_RE.search(text)
    if first_close and (first_open is None or first_close.start() < first_open.start()):
        text = text[first_close.end() :]
    return _SCRATCHPAD_RE.sub("\n", text)


@dataclass
class _Fields:
    to: list[str] = field(default_factory=list)
    subject: str | None = None
    body: str | None = None
    email_ids: list[str] = field(default_factory=list)
    code: str | None = None
    keyless_body: bool = False
    seen: set[str] = field(default_factory=set)

    def set(self, name: str, value: str) -> None:
        """Record one field value; list fields accumulate, scalar fields keep the first."""
        self.seen.add(name)
        if name == "to":
            for address in _addresses(value):
                if address not in self.to:
                    self.to.append(address)
        elif name == "email_ids":
            for email_id in _email_ids(value):
                if email_id not in self.email_ids:
                    self.email_ids.append(email_id)
        elif name in ("subject", "code"):
            if getattr(self, name) is None:
                setattr(self, name, _clean(value) or None)
        elif name == "body" and self.body is None:
            self.body = _clean_body(value) or None


def _build(kind: ActionKind, content: str, raw: str) -> Action:
    fields = _json_fields(content) or _line_fields(content)
    # `<tool_use:cancel_alert>EXEC-1234</tool_use:cancel_alert>`: a bare value is the code.
    if (kind == "cancel_alert" and fields.code is None and fields.keyless_body and fields.body
            and "\n" not in fields.body):
        fields.code, fields.body = _clean(fields.body) or None, None
    return Action(
        kind=kind,
        to=tuple(fields.to),
        subject=fields.subject,
        body=fields.body,
        email_ids=tuple(fields.email_ids),
        code=fields.code,
        source="text_tag",
        raw=raw,
    )


def _json_fields(content: str) -> _Fields | None:
    """Some models write the block as a JSON object; read it as one when it parses."""
    data = json_object(content)
    if data is None:
        return None
    fields = _Fields()
    for key, value in data.items():
        name = _KEYS.get(str(key).strip().lower())
        if name is None or value is None:
            continue
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        fields.set(name, str(value))
    return fields


def _line_fields(content: str) -> _Fields:
    """Read `key: value` lines; the body runs to the end unless a quoted body closes first."""
    lines = content.splitlines()
    fields = _Fields()
    current: str | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        key_match = _KEY_LINE_RE.match(line)
        if key_match:
            name = _KEYS[key_match.group("key").lower()]
            value = key_match.group("value")
            if name == "body":
                if "body" not in fields.seen:
                    i = _read_body(lines, i, value, fields)
                    current = None
                    continue
            else:
                fields.set(name, value)
            current = name
            i += 1
            continue
        if not line.strip():
            i += 1
            continue
        if current in ("to", "email_ids") and _is_list_continuation(line, current):
            fields.set(current, line)
            i += 1
            continue
        if "body" not in fields.seen:
            # Free text after the header fields with no `body:` key is the body.
            i = _read_body(lines, i, line, fields, keyless=True)
            fields.keyless_body = True
            current = None
            continue
        i += 1
    return fields


def _read_body(
    lines: list[str], start: int, first: str, fields: _Fields, *, keyless: bool = False
) -> int:
    """Read a body starting at `lines[start]`; return the index of the first line after it."""
    first_value = first.strip() if keyless else first
    quoted = first_value.lstrip().startswith(_OPEN_QUOTES)
    body_lines = [first_value]
    end = len(lines)
    if quoted:
        for j in range(start, len(lines)):
            candidate = lines[j] if j > start else first_value.lstrip()[1:]
            if j > start:
                body_lines.append(lines[j])
            if _closes_quote(candidate) and _next_is_key_or_end(lines, j + 1):
                end = j + 1
                break
    else:
        body_lines.extend(lines[start + 1 :])
        body_lines, trailing = _split_trailing_fields(body_lines, fields)
        for name, value in trailing:
            fields.set(name, value)
    fields.set("body", "\n".join(body_lines))
    return end


def _closes_quote(line: str) -> bool:
    stripped = line.rstrip().rstrip(",").rstrip()
    return stripped.endswith(_CLOSE_QUOTES) and not stripped.endswith('\\"')


def _next_is_key_or_end(lines: list[str], start: int) -> bool:
    for line in lines[start:]:
        if line.strip():
            return bool(_KEY_LINE_RE.match(line))
    return True


def _split_trailing_fields(
    body_lines: list[str], fields: _Fields
) -> tuple[list[str], list[tuple[str, str]]]:
    """Header lines the model put after an unquoted body (`email_id: 2` last) are fields.

    Only a run of key lines at the very end, for fields not yet given, counts: a body that
    quotes an email ("To: ...", "Subject: ...") mid-text, or repeats a key already set,
    keeps those lines.
    """
    trailing: list[tuple[str, str]] = []
    cut = len(body_lines)
    names: set[str] = set()
    for j in range(len(body_lines) - 1, 0, -1):
        line = body_lines[j]
        if not line.strip():
            continue
        match = _KEY_LINE_RE.match(line)
        if not match:
            break
        name = _KEYS[match.group("key").lower()]
        if name == "body" or name in fields.seen or name in names:
            break
        names.add(name)
        trailing.insert(0, (name, match.group("value")))
        cut = j
    return body_lines[:cut], trailing


def _is_list_continuation(line: str, current: str) -> bool:
    """A YAML-style list line under `to:` or `email_ids:`."""
    if current == "to":
        return bool(_ADDRESS_RE.search(line)) or line.strip() in ("[", "]", "],")
    return bool(re.fullmatch(r"[\s\-*\[\],\"'#]*\d+[\s\]\",']*", line))


def _addresses(value: str) -> list[str]:
    return [a.lower().rstrip(".") for a in _ADDRESS_RE.findall(value)]


def _email_ids(value: str) -> list[str]:
    """`3`, `"3", "4"`, `[1, 2]`, `#3`, `email 3` → the ids; non-numeric ids pass through.

    Digits glued to letters or dots (`v4.0` in a parenthetical title) are not ids.
    """
    numbers = re.findall(r"(?<![\w.])\d+(?![\w.])", value)
    if numbers:
        return [str(int(n)) for n in numbers]
    tokens = [_clean(t) for t in re.split(r"[,;\s\[\]]+", value)]
    return [t for t in tokens if t]


def _clean(value: str) -> str:
    """Strip whitespace, trailing commas and surrounding quotes from a one-line value."""
    return _unquote(value.strip().rstrip(",").strip())


def _clean_body(value: str) -> str:
    """Like `_clean` for multi-line text: only the outer quotes and commas go."""
    value = _STRAY_CLOSE_RE.sub("", value.strip()).strip()
    if value.endswith("```"):
        value = value[:-3].rstrip()
    return _unquote(value.rstrip(",").rstrip())


def _unquote(value: str) -> str:
    """Remove a surrounding pair of quotes, or a stray leading/unbalanced trailing double quote.

    A trailing quote that closes a quotation inside the text (`as he said "no"`) stays.
    """
    if len(value) >= 2 and value[0] in _QUOTE_CHARS and value[-1] in _QUOTE_CHARS:
        return value[1:-1].strip()
    if value[:1] in _DOUBLE_QUOTES:
        return value[1:].strip()
    if value[-1:] in _DOUBLE_QUOTES and sum(value.count(q) for q in _DOUBLE_QUOTES) % 2:
        return value[:-1].strip()
    return value
