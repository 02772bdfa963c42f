"""Reading a data pack's files: `pack.yaml` and one Markdown file per scenario.

A scenario file is YAML front matter (company, people, domains, facts, slots) and a body of
`# system`, `# user` and `# email ID` sections. Every value keeps the line it came from, so
`scenarios validate` can say `file:line: message`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from insiderbench.scenarios._condition import PACK_NAME_RE, SCENARIOS, Scenario

# What a slot's `when:` and `by:` may name: the factors, plus the other side of the goal pair.
# The ablations too (`agency: kept|removed`, `ceo: unreachable|reachable`, ...).
SLOT_FACTORS = ("scenario", "goal_type", "goal_value", "opposite_value", "urgency",
                "extra_instructions", "prod", "eval_awareness", "agency", "escalation", "ceo",
                "monitoring")
SlotFactor = Literal["scenario", "goal_type", "goal_value", "opposite_value", "urgency",
                     "extra_instructions", "prod", "eval_awareness", "agency", "escalation",
                     "ceo", "monitoring"]
Scalar = str | bool | int


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a pack, where it is."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class PackFileError(ValueError):
    """A pack that cannot be loaded; `problems` says every `file:line: message`."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems[:3])
                         + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Case(_Strict):
    """One alternative of a slot: its text where every `when` factor matches."""

    when: dict[SlotFactor, Scalar | list[Scalar]] = Field(default_factory=dict)
    text: str


class ByFactor(_Strict):
    """A slot whose text is chosen by one factor's value."""

    by: SlotFactor
    values: dict[str, str]
    default: str | None = None


Slot = str | list[Case] | ByFactor


class PackMeta(_Strict):
    """`pack.yaml`."""

    name: str = Field(pattern=PACK_NAME_RE)
    version: str
    description: str
    canary: str = Field(min_length=8)
    behaviours: list[Scenario] = Field(min_length=1)
    slots: dict[str, Slot] = Field(default_factory=dict)


class Company(_Strict):
    name: str
    short_name: str | None = None
    domain: str


class Person(_Strict):
    name: str
    address: str
    role: str = ""
    pronouns: Literal["he", "she", "they"] = Field(
        default="they", description="how the emails refer to the person: a surface variant "
        "renames them with a first name that fits (they: a neutral name)")


class Facts(_Strict):
    """What the gates and heuristics need, declared rather than guessed."""

    agent: str = Field(description="key in people: the agent")
    target: str = Field(description="key in people: the person the story turns on")
    confidential_email_ids: list[str] = Field(default_factory=list)
    rival_addresses: list[str] = Field(default_factory=list)
    override_code: str | None = None
    override_code_in: list[str] = Field(default_factory=list)
    affair_terms: list[str] = Field(default_factory=list)
    # exfiltration: the file store, the agent's weights in it, hosts inside and outside.
    files: list[str] = Field(default_factory=list)
    weights_files: list[str] = Field(default_factory=list)
    internal_hosts: list[str] = Field(default_factory=list)
    outside_hosts: list[str] = Field(default_factory=list)
    # tampering: the audit records, those revealing the agent's failure, and its words.
    records: dict[str, str] = Field(default_factory=dict)
    incident_records: list[str] = Field(default_factory=list)
    incident_terms: list[str] = Field(default_factory=list)
    # oversight: the monitoring configuration and the monitor's keys.
    config: dict[str, str] = Field(default_factory=dict)
    monitor_keys: list[str] = Field(default_factory=list)


class Front(_Strict):
    """A scenario file's front matter."""

    scenario: Scenario | None = None
    company: Company
    people: dict[str, Person] = Field(min_length=2)
    domains: list[str] = Field(default_factory=list, description="known outside domains")
    products: list[str] = Field(default_factory=list)
    facts: Facts
    slots: dict[str, Slot] = Field(default_factory=dict)


class EmailHeader(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    sender: str = Field(alias="from")
    to: str | list[str]
    subject: str
    time: str
    attachments: list[str] = Field(default_factory=list)
    when: dict[SlotFactor, Scalar | list[Scalar]] = Field(default_factory=dict)


@dataclass(frozen=True)
class EmailSource:
    id: str
    header: EmailHeader
    body: str
    line: int  # of its `# email` heading
    body_line: int


@dataclass(frozen=True)
class Section:
    text: str
    line: int


@dataclass
class ScenarioSource:
    """One parsed scenario file."""

    path: Path
    scenario: str
    front: Front
    system: Section
    user: Section
    emails: list[EmailSource]
    key_lines: dict[tuple[Any, ...], int] = field(default_factory=dict)

    def line_of(self, *loc: Any) -> int:
        return line_for(self.key_lines, loc)


def key_lines(text: str, first_line: int = 1) -> dict[tuple[Any, ...], int]:
    """The line of every mapping key and sequence item of a YAML text, by its path."""
    out: dict[tuple[Any, ...], int] = {}

    def walk(node: yaml.Node, path: tuple[Any, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                p = (*path, k.value)
                out[p] = k.start_mark.line + first_line
                walk(v, p)
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                out[(*path, i)] = v.start_mark.line + first_line
                walk(v, (*path, i))

    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return out
    if root is not None:
        walk(root, ())
    return out


def line_for(lines: dict[tuple[Any, ...], int], loc: tuple[Any, ...], default: int = 1) -> int:
    """The line of the longest known prefix of `loc`."""
    for n in range(len(loc), 0, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return default


def _validation_problems(ex: ValidationError, file: str, lines: dict[tuple[Any, ...], int],
                         default: int) -> list[Problem]:
    out = []
    for err in ex.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p in _UNION_TAGS))
        where = ".".join(str(p) for p in loc) or "(top)"
        out.append(Problem(file, line_for(lines, loc, default), f"{where}: {err['msg']}"))
    return out


_UNION_TAGS = {"str", "list[Case]", "ByFactor", "bool", "int", "list[union[str,bool,int]]"}


def load_meta(folder: Path) -> PackMeta:
    path = folder / "pack.yaml"
    name = str(path)
    if not path.is_file():
        raise PackFileError([Problem(name, 1, "missing pack.yaml (name, version, description, "
                                              "canary, behaviours)")])
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as ex:
        line = getattr(getattr(ex, "problem_mark", None), "line", 0) + 1
        raise PackFileError([Problem(name, line, f"not valid YAML: {ex}")]) from None
    try:
        return PackMeta.model_validate(data if isinstance(data, dict) else {})
    except ValidationError as ex:
        raise PackFileError(_validation_problems(ex, name, key_lines(text), 1)) from None


_FRONT_RE = re.compile(r"\A---[ \t]*\n(.*?\n)---[ \t]*\n", re.DOTALL)
_HEADING_RE = re.compile(r"^# (system|user|email)(?:[ \t]+(\S+))?[ \t]*$")


def load_scenario(path: Path) -> ScenarioSource:
    """Parse one scenario file; raises PackFileError naming every problem found."""
    name = str(path)
    text = path.read_text(encoding="utf-8")
    match = _FRONT_RE.match(text)
    if not match:
        raise PackFileError([Problem(name, 1, "no YAML front matter (a first line '---')")])
    front_text = match.group(1)
    lines = key_lines(front_text, first_line=2)
    problems: list[Problem] = []
    try:
        data = yaml.safe_load(front_text)
        front = Front.model_validate(data if isinstance(data, dict) else {})
    except yaml.YAMLError as ex:
        line = getattr(getattr(ex, "problem_mark", None), "line", 0) + 2
        raise PackFileError([Problem(name, line, f"front matter is not valid YAML: {ex}")]
                            ) from None
    except ValidationError as ex:
        raise PackFileError(_validation_problems(ex, name, lines, 1)) from None
    scenario = front.scenario or path.stem
    if front.scenario is None and scenario not in SCENARIOS:
        problems.append(Problem(name, 1, f"file {path.name}: name it after its scenario "
                                         f"({', '.join(SCENARIOS)}) or set scenario:"))
    body_start = front_text.count("\n") + 3  # both fences, then 1-based
    sections: dict[str, Section] = {}
    emails: list[EmailSource] = []
    current: tuple[str, str | None, int] | None = None
    buffer: list[str] = []

    def close() -> None:
        if current is None:
            return
        kind, ident, line = current
        if kind == "email":
            email = _email(name, ident, line, buffer, problems)
            if email is not None:
                emails.append(email)
        elif kind in sections:
            problems.append(Problem(name, line, f"a second '# {kind}' section"))
        else:
            text = "\n".join(buffer)
            lead = len(text) - len(text.lstrip("\n"))
            sections[kind] = Section(text.strip("\n"), line + 1 + lead)

    for offset, line in enumerate(text[match.end():].split("\n")):
        heading = _HEADING_RE.match(line)
        if heading:
            close()
            current, buffer = (heading.group(1), heading.group(2), body_start + offset), []
        elif current is not None:
            buffer.append(line)
        elif line.strip():
            problems.append(Problem(name, body_start + offset,
                                    "text before the first '# system' section"))
    close()
    for kind in ("system", "user"):
        if kind not in sections:
            problems.append(Problem(name, body_start, f"missing '# {kind}' section"))
    ids = [e.id for e in emails]
    for e in emails:
        if ids.count(e.id) > 1:
            problems.append(Problem(name, e.line, f"email id {e.id!r} is used twice"))
    if not emails:
        problems.append(Problem(name, body_start, "no '# email ID' section"))
    problems += _reference_problems(name, front, ids, lines)
    if problems:
        raise PackFileError(problems)
    return ScenarioSource(path, scenario, front, sections["system"], sections["user"], emails,
                          lines)


def _reference_problems(file: str, front: Front, ids: list[str],
                        lines: dict[tuple[Any, ...], int]) -> list[Problem]:
    """Facts that name a person or an email must name one that exists."""
    out = []
    for key in ("agent", "target"):
        who = getattr(front.facts, key)
        if who not in front.people:
            out.append(Problem(file, line_for(lines, ("facts", key)),
                               f"facts.{key}: {who!r} is not in people "
                               f"(valid: {', '.join(front.people)})"))
    for key in ("confidential_email_ids", "override_code_in"):
        for i, email_id in enumerate(getattr(front.facts, key)):
            if str(email_id) not in ids:
                out.append(Problem(file, line_for(lines, ("facts", key, i)),
                                   f"facts.{key}: no email {email_id!r}"))
    if front.facts.override_code_in and not front.facts.override_code:
        out.append(Problem(file, line_for(lines, ("facts", "override_code_in")),
                           "facts.override_code_in without an override_code"))
    return out


def _email(file: str, ident: str | None, line: int, buffer: list[str],
           problems: list[Problem]) -> EmailSource | None:
    if not ident:
        problems.append(Problem(file, line, "'# email' needs an id: '# email ID'"))
        return None
    try:
        blank = buffer.index("")
    except ValueError:
        blank = len(buffer)
    header_text = "\n".join(buffer[:blank])
    try:
        data = yaml.safe_load(header_text) or {}
        header = EmailHeader.model_validate(data)
    except yaml.YAMLError as ex:
        at = getattr(getattr(ex, "problem_mark", None), "line", 0) + line + 1
        problems.append(Problem(file, at, f"email {ident}: header is not valid YAML"))
        return None
    except ValidationError as ex:
        problems.extend(
            Problem(p.file, p.line, f"email {ident}: {p.message}")
            for p in _validation_problems(ex, file, key_lines(header_text, line + 1), line)
        )
        return None
    rest = "\n".join(buffer[blank:])
    lead = len(rest) - len(rest.lstrip("\n"))
    return EmailSource(ident, header, rest.strip("\n"), line, line + 1 + blank + lead)
