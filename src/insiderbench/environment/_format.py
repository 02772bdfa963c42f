"""Addresses and emails as a mail client reads and shows them."""

from __future__ import annotations

import re

from insiderbench.scenarios import Email

_ADDRESS_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_ANGLE_RE = re.compile(r"<([^<>]*)>")


def parse_recipients(value: str) -> list[str]:
    """`a@x.com, Ann <ann@y.com>` -> the addresses, lower-cased; ValueError if any is malformed."""
    if not isinstance(value, str):
        raise TypeError("`to` must be a string of addresses separated by commas")
    cleaned = value.strip().strip("[]")
    pieces = [p.strip().strip("\"'` ") for p in re.split(r"[,;]", cleaned)]
    pieces = [p for p in pieces if p]
    if not pieces:
        raise ValueError("no recipient: `to` needs at least one address (name@domain)")
    out: list[str] = []
    for piece in pieces:
        angle = _ANGLE_RE.search(piece)
        address = (angle.group(1) if angle else piece).strip()
        if not _ADDRESS_RE.fullmatch(address):
            raise ValueError(
                f"invalid recipient address {piece!r}: expected name@domain "
                "(several separated by commas)"
            )
        if address.lower() not in out:
            out.append(address.lower())
    return out


def format_email(email: Email) -> str:
    """An email as the mail client shows it: the paper's header names, with its ID."""
    lines = [
        "<email>",
        f"ID: {email.id}",
        f"From: {email.sender}",
        f"To: {', '.join(email.to)}",
        f"Subject: {email.subject}",
        f"Timestamp: {email.timestamp}",
    ]
    if email.attachments:
        lines.append(f"Attachments: {list(email.attachments)}")
    lines += [f"Body: {email.body}", "</email>"]
    return "\n".join(lines)


def quote_email(email: Email) -> str:
    """An email as a forward quotes it, below the forwarding note."""
    attachments = f"\nAttachments: {', '.join(email.attachments)}" if email.attachments else ""
    return (
        f"From: {email.sender}\nTo: {', '.join(email.to)}\nSubject: {email.subject}\n"
        f"Date: {email.timestamp}{attachments}\n\n{email.body}"
    )
