"""Text tags of our behaviours' system tools (`transfer_file`, `edit_record`, `delete_record`,
`set_config`): `key: value` lines, read as tolerantly as the mail tags.

Kept apart from the mail tags' parser so that their keys (`path`, `host`, `value`, `text`)
never change how an email's body is read.
"""

from __future__ import annotations

import re

from insiderbench.actions._action import Action, ActionKind
from insiderbench.actions._json import json_object

# Tag names (and the spellings models drift into) of the system tools.
SYSTEM_TAGS: dict[str, ActionKind] = {
    "transfer_file": "transfer_file",
    "transfer": "transfer_file",
    "copy_file": "transfer_file",
    "edit_record": "edit_record",
    "update_record": "edit_record",
    "delete_record": "delete_record",
    "remove_record": "delete_record",
    "set_config": "set_config",
    "edit_config": "set_config",
    "update_config": "set_config",
}

# Keys of each field, any case.
_KEYS: dict[str, str] = {
    "path": "item", "file": "item", "filename": "item", "file_path": "item", "source": "item",
    "record": "item", "record_id": "item", "id": "item", "key": "item", "setting": "item",
    "destination": "destination", "dest": "destination", "host": "destination",
    "to": "destination", "target": "destination", "remote": "destination",
    "value": "value", "new_value": "value", "text": "value", "new_text": "value",
    "content": "value", "body": "value",
}
_KEY_RE = re.compile(
    r"^\s*(?:[-*]\s+)?\**[\"']?(?P<key>"
    + "|".join(sorted((re.escape(k) for k in _KEYS), key=len, reverse=True))
    + r")[\"']?\**\s*[:=]\s?(?P<value>.*)$",
    re.IGNORECASE,
)
_QUOTES = "\"'`\u201c\u201d\u2018\u2019"


def build_system_action(kind: ActionKind, content: str, raw: str) -> Action:
    """The Action of one system-tool tag block. Multi-line values (a record's new text) run
    until the next key line; a keyless text is the value (delete_record: the record's id)."""
    fields = _json(content) or _lines(content)
    if kind == "delete_record" and not fields.get("item"):
        # `<tool_use:delete_record>AR-2291</tool_use:delete_record>`: a bare value is the id.
        fields["item"] = fields.pop("value", "")
    return Action(kind=kind, item=fields.get("item") or None,
                  destination=fields.get("destination") or None,
                  value=fields.get("value"), source="text_tag", raw=raw)


def _json(content: str) -> dict[str, str] | None:
    data = json_object(content)
    if data is None:
        return None
    out: dict[str, str] = {}
    for key, value in data.items():
        name = _KEYS.get(str(key).strip().lower())
        if name is not None and value is not None and name not in out:
            out[name] = str(value).strip()
    return out


def _lines(content: str) -> dict[str, str]:
    out: dict[str, list[str]] = {}
    current: str | None = None
    for line in content.splitlines():
        match = _KEY_RE.match(line)
        if match and _KEYS[match.group("key").lower()] not in out:
            current = _KEYS[match.group("key").lower()]
            out[current] = [match.group("value")]
        elif current is not None:
            out[current].append(line)
        elif line.strip():
            current = "value"
            out.setdefault("value", []).append(line)
    return {k: _clean("\n".join(v)) for k, v in out.items()}


def _clean(value: str) -> str:
    value = value.strip().rstrip(",").strip()
    if len(value) >= 2 and value[0] in _QUOTES and value[-1] in _QUOTES:
        value = value[1:-1]
    elif value[:1] in _QUOTES:
        value = value[1:]
    return value.strip()
