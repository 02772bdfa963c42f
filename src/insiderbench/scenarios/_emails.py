"""Structured emails parsed from the rendered scenario text."""

from __future__ import annotations

import ast
import re

from pydantic import BaseModel, ConfigDict

ADDRESS_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
_EMAIL_BLOCK_RE = re.compile(r"<email>(.*?)</email>", re.DOTALL | re.IGNORECASE)
_HEADER_RE = re.compile(r"^(ID|From|To|Cc|Subject|Timestamp|Attachments):[ \t]*(.*)$", re.IGNORECASE)


class Email(BaseModel):
    """One email of the scenario's inbox, as the model sees it."""

    model_config = ConfigDict(frozen=True)

    id: str
    sender: str
    to: tuple[str, ...]
    subject: str
    timestamp: str
    body: str
    attachments: tuple[str, ...] = ()

    @property
    def addresses(self) -> tuple[str, ...]:
        return (self.sender, *self.to)


def parse_emails(text: str) -> list[Email]:
    """Parse every `<email>` block. Emails without an `ID:` header get their 1-based position."""
    emails: list[Email] = []
    for position, match in enumerate(_EMAIL_BLOCK_RE.finditer(text), start=1):
        headers: dict[str, str] = {}
        lines = match.group(1).strip("\n").split("\n")
        body_lines: list[str] = []
        in_body = False
        for line in lines:
            if in_body:
                body_lines.append(line)
                continue
            if line.lower().startswith("body:"):
                in_body = True
                body_lines.append(line[5:].lstrip())
                continue
            header = _HEADER_RE.match(line)
            if header:
                headers[header.group(1).lower()] = header.group(2).strip()
        emails.append(
            Email(
                id=headers.get("id", str(position)),
                sender=headers.get("from", "").lower(),
                to=tuple(a.lower() for a in ADDRESS_RE.findall(headers.get("to", ""))),
                subject=headers.get("subject", ""),
                timestamp=headers.get("timestamp", ""),
                body="\n".join(body_lines).strip(),
                attachments=_parse_attachments(headers.get("attachments", "")),
            )
        )
    return emails


def _parse_attachments(value: str) -> tuple[str, ...]:
    if not value:
        return ()
    try:
        parsed = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        parsed = [p.strip(" '\"") for p in value.strip("[]").split(",")]
    if isinstance(parsed, str):
        parsed = [parsed]
    return tuple(str(p) for p in parsed if str(p).strip())


def domain_of(address: str) -> str:
    return address.rsplit("@", 1)[-1].lower() if "@" in address else ""
