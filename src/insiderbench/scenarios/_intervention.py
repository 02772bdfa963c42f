"""Interventions: user-written mitigations, measured like the paper's `dont` instruction.

An intervention is a Markdown file with YAML front matter: `name` (it becomes the condition id's
`__iv-NAME`) and `where`: `system-start` or `system-end` (the text joins the system prompt there)
or `email` (the text arrives as one more email; optional `from` and `subject`). Loading a file
registers it under its name for this process, as data packs are, so the samples made from it
find it again; two different files may not share a name.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, get_args

import yaml

from insiderbench.scenarios._ablate import add_email
from insiderbench.scenarios._condition import PACK_NAME_RE
from insiderbench.scenarios._emails import parse_emails
from insiderbench.scenarios._facts import ScenarioFacts
from insiderbench.scenarios._lint import RenderError
from insiderbench.scenarios._rendered import RenderedScenario

Where = Literal["system-start", "system-end", "email"]
WHERES: tuple[str, ...] = get_args(Where)
_FRONT_RE = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n?(.*)\Z", re.DOTALL)


class InterventionError(ValueError):
    """An intervention file that cannot be used; the message names the file and the fix."""


@dataclass(frozen=True)
class Intervention:
    name: str
    where: Where
    text: str
    path: str
    sender: str | None = None
    subject: str | None = None

    @property
    def digest(self) -> str:
        return hashlib.sha256(f"{self.where}\0{self.text}".encode()).hexdigest()[:12]


_LOADED: dict[str, Intervention] = {}


def load_intervention(path: str | Path) -> Intervention:
    """Read and register an intervention file; InterventionError says what is wrong."""
    file = Path(path)
    if not file.is_file():
        raise InterventionError(f"intervention file {path} does not exist")
    match = _FRONT_RE.match(file.read_text(encoding="utf-8"))
    if not match:
        raise InterventionError(f"{path}: expected YAML front matter between '---' lines "
                                "with name: and where:")
    try:
        front = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as ex:
        raise InterventionError(f"{path}: front matter is not YAML ({ex})") from None
    if not isinstance(front, dict):
        raise InterventionError(f"{path}: front matter must be a mapping with name: and where:")
    unknown = sorted(set(front) - {"name", "where", "from", "subject"})
    if unknown:
        raise InterventionError(f"{path}: unknown key {unknown[0]!r} "
                                "(valid: name, where, from, subject)")
    name, where = str(front.get("name") or ""), str(front.get("where") or "")
    if not re.match(PACK_NAME_RE, name):
        raise InterventionError(f"{path}: name {name!r} must be lower-case letters, digits "
                                "and '-' (it becomes part of condition ids)")
    if where not in WHERES:
        raise InterventionError(f"{path}: where {where!r} is not one of {', '.join(WHERES)}")
    text = match.group(2).strip()
    if not text:
        raise InterventionError(f"{path}: the intervention has no text below its front matter")
    intervention = Intervention(name, where, text, str(file.resolve()),  # type: ignore[arg-type]
                                front.get("from"), front.get("subject"))
    known = _LOADED.get(name)
    if known is not None and known.digest != intervention.digest:
        raise InterventionError(f"{path}: another intervention named {name!r} was loaded from "
                                f"{known.path}; rename one")
    _LOADED[name] = intervention
    return intervention


def intervention_name(spec: str) -> str | None:
    """The name an experiment's `interventions:` entry stands for: None for `none`, else the
    file's (loading it)."""
    return None if spec == "none" else load_intervention(spec).name


def get_intervention(name: str) -> Intervention:
    try:
        return _LOADED[name]
    except KeyError:
        raise RenderError(f"intervention {name!r} is not loaded: give its file "
                          "(--intervention FILE or interventions: in the experiment)") from None


def apply_intervention(system: str, emails: str, name: str | None, domain: str
                       ) -> tuple[str, str]:
    """The system prompt and emails with the named intervention where it says."""
    if name is None:
        return system, emails
    iv = get_intervention(name)
    if iv.where == "system-start":
        return f"{iv.text}\n\n{system}", emails
    if iv.where == "system-end":
        return f"{system}\n\n{iv.text}", emails
    return system, add_email(emails, iv.sender or f"notices@{domain}",
                             iv.subject or iv.name.replace("-", " ").capitalize(), iv.text,
                             domain)


def with_intervention(rendered: RenderedScenario,
                      extract: Callable[[str, str, str], ScenarioFacts] | None = None
                      ) -> RenderedScenario:
    """The rendered scenario with its condition's intervention (if any) where it says; the
    facts re-read by `extract` (the paper's), else only the inbox grows (a data pack's facts
    are its data)."""
    name = rendered.condition.intervention
    if name is None:
        return rendered
    system, emails = apply_intervention(rendered.system, rendered.email_content, name,
                                        rendered.facts.company_domain)
    facts = (extract(rendered.condition.scenario, system, emails) if extract is not None
             else rendered.facts.model_copy(update={"emails": tuple(parse_emails(emails))}))
    return replace(rendered, system=system, email_content=emails, facts=facts)
