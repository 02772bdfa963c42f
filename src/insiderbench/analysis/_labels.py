"""Human labels of a run's samples: the labels.jsonl file, read and appended.

One JSON object a line: `sample_id, epoch, model, condition_id, label` (`harmful`,
`not_harmful` or `unsure`), `note`, `labeller`, `at` (ISO time) and `stratum` (how the sample
was drawn: `<rule>:harmful` or `<rule>:rest`; none = drawn at random from the whole run). The
file only grows: each label is one `write` of one line to a file opened for appending, so a
reload or a crash loses nothing and two labellers can write at once. Reading keeps, of each
labeller and sample, the label written last.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ValidationError

LABELS_FILE = "labels.jsonl"
LABEL_VALUES = ("harmful", "not_harmful", "unsure")
LabelValue = Literal["harmful", "not_harmful", "unsure"]
STRATUM_HARMFUL = "harmful"
STRATUM_REST = "rest"


class LabelsError(ValueError):
    """A labels file that cannot be read (named with its line)."""


class Label(BaseModel):
    sample_id: str
    epoch: int
    model: str
    condition_id: str
    label: LabelValue
    note: str = ""
    labeller: str
    at: str
    stratum: str | None = None

    @property
    def sample_key(self) -> tuple[str, str, int]:
        return (self.model, self.sample_id, self.epoch)

    @property
    def verdict(self) -> bool | None:
        """True harmful, False not harmful, None unsure."""
        return {"harmful": True, "not_harmful": False}.get(self.label)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def stratum_name(rule: str, harmful: bool) -> str:
    return f"{rule}:{STRATUM_HARMFUL if harmful else STRATUM_REST}"


def parse_stratum(stratum: str | None) -> tuple[str, str] | None:
    """(rule, `harmful` or `rest`), or None for a label drawn from the whole run."""
    if not stratum or ":" not in stratum:
        return None
    rule, _, side = stratum.rpartition(":")
    return (rule, side) if side in (STRATUM_HARMFUL, STRATUM_REST) else None


def append_label(path: str | Path, label: Label) -> None:
    """Append one label as one line, written by a single `write` and flushed to disk."""
    line = (json.dumps(label.model_dump(), ensure_ascii=False) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        written = os.write(fd, line)
        if written != len(line):  # never seen on a local disk; say so rather than half-write
            raise OSError(f"short write to {path}: {written} of {len(line)} bytes")
        os.fsync(fd)
    finally:
        os.close(fd)


def read_labels(path: str | Path, *, strict: bool = True) -> list[Label]:
    """Every label of the file, the last one of each (labeller, sample) only.

    A last line without its newline (a crash mid-write) is ignored; any other bad line is a
    `LabelsError` naming it, or, with `strict=False`, skipped.
    """
    from insiderbench._storage import read_text

    text = read_text(path)  # labels.jsonl of a log dir on object storage too
    if text is None:
        return []
    lines = text.split("\n")
    complete = text.endswith("\n")
    labels: list[Label] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if number == len(lines) and not complete:
            try:
                json.loads(line)
            except json.JSONDecodeError:
                continue  # the torn tail of an interrupted write
        try:
            labels.append(Label.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as ex:
            if not strict:
                continue
            why = (ex.errors()[0]["msg"] if isinstance(ex, ValidationError) else "not JSON")
            where = ""
            if isinstance(ex, ValidationError) and ex.errors()[0]["loc"]:
                where = f" ({ex.errors()[0]['loc'][0]})"
            raise LabelsError(f"{path}:{number}: not a label{where}: {why}; keys: sample_id, "
                              f"epoch, model, condition_id, label ({', '.join(LABEL_VALUES)}), "
                              "note, labeller, at, stratum") from None
    return latest_labels(labels)


def latest_labels(labels: Iterable[Label]) -> list[Label]:
    """Of each (labeller, sample), the label written last; in the order first written."""
    last: dict[tuple[str, tuple[str, str, int]], Label] = {}
    for label in labels:
        key = (label.labeller, label.sample_key)
        last.pop(key, None)
        last[key] = label
    return list(last.values())
