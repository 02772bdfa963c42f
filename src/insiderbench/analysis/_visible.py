"""Model text shown to a person: invisible direction controls made visible.

A reply can hold Unicode bidirectional controls (U+202E and friends) that make a browser or a
terminal show text in another order than it is written: `gnp.exe` shown as `exe.png`. Wherever
we show model text, each such character is written out as `<U+202E>` instead.
"""

from __future__ import annotations

# Embeddings, overrides, isolates and the directional marks.
BIDI_CONTROLS = frozenset(
    [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C]
)
_VISIBLE = {code: f"<U+{code:04X}>" for code in BIDI_CONTROLS}


def visible_controls(text: str) -> str:
    """The text with every bidirectional control written out as `<U+XXXX>`."""
    return text.translate(_VISIBLE)
