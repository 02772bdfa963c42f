"""A text-tag block written as a JSON object, as some models write it."""

from __future__ import annotations

import json
from typing import Any


def json_object(content: str) -> dict[Any, Any] | None:
    """The block's JSON object, when it is one and parses; None otherwise."""
    stripped = content.strip()
    if not (stripped.startswith("{") and stripped.endswith("}")):
        return None
    try:
        data = json.loads(stripped)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
