"""Data packs: scenarios written as Markdown + YAML, rendered with no code of their own.

Templates use `${name}` slots. A slot is declared in `pack.yaml` (pack-wide) or in a
scenario's front matter (which wins): plain text, a list of cases (`when:` factor values,
`text:`; the first that matches), or `by: FACTOR` with `values:`. Built-in slots name the
company, the people and the facts: `${company}`, `${company_short}`, `${company_domain}`,
`${KEY}` (a person's full name), `${KEY.first}`, `${KEY.address}`, `${KEY.role}`,
`${override_code}`. An email is included where every factor of its `when:` matches.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from insiderbench.scenarios._condition import Condition
from insiderbench.scenarios._emails import parse_emails
from insiderbench.scenarios._facts import ScenarioFacts
from insiderbench.scenarios._lint import RenderError, check_rendered
from insiderbench.scenarios._packfile import (
    ByFactor,
    EmailSource,
    PackFileError,
    PackMeta,
    Problem,
    Scalar,
    ScenarioSource,
    Slot,
    load_meta,
    load_scenario,
)
from insiderbench.scenarios._rendered import RenderedScenario

OPPOSITE = {
    "america": "global", "global": "america",
    "safety": "acceleration", "acceleration": "safety",
    "ethical": "pragmatic", "pragmatic": "ethical",
    "individualism": "collectivism", "collectivism": "individualism",
    "none": "none",
}
_SLOT_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_.]*)\}")
_MAX_DEPTH = 8


class SlotError(ValueError):
    """A slot that cannot be filled: unknown, no matching case, or circular."""


def factor_values(condition: Condition) -> dict[str, str]:
    """The values a slot's `when:`/`by:` can test, as strings (booleans `true`/`false`)."""
    values = {k: str(v).lower() if isinstance(v, bool) else str(v)
              for k, v in condition.factors().items()}
    values["opposite_value"] = OPPOSITE.get(condition.goal_value, "none")
    values.update({k: v for k, v in condition.levels().items() if k != "intervention"})
    return values


def matches(when: dict[str, Scalar | list[Scalar]], values: dict[str, str]) -> bool:
    for factor, wanted in when.items():
        options = wanted if isinstance(wanted, list) else [wanted]
        if values[factor] not in {str(o).lower() if isinstance(o, bool) else str(o)
                                  for o in options}:
            return False
    return True


@dataclass
class _Filler:
    slots: dict[str, Slot]
    builtins: dict[str, str]
    values: dict[str, str]

    def slot_text(self, name: str) -> str:
        if name in self.builtins:
            return self.builtins[name]
        if name not in self.slots:
            raise SlotError(f"unknown slot ${{{name}}}")
        slot = self.slots[name]
        if isinstance(slot, str):
            return slot
        if isinstance(slot, ByFactor):
            value = self.values[slot.by]
            if value in slot.values:
                return slot.values[value]
            if slot.default is not None:
                return slot.default
            raise SlotError(f"slot {name}: no text for {slot.by} {value} (and no default:)")
        for case in slot:
            if matches(case.when, self.values):
                return case.text
        raise SlotError(f"slot {name}: no case matches this condition (add one without when:)")

    def fill(self, text: str, depth: int = 0) -> str:
        if depth > _MAX_DEPTH:
            raise SlotError("slots nested too deep (a slot that includes itself?)")
        return _SLOT_RE.sub(lambda m: self.fill(self.slot_text(m.group(1)), depth + 1), text)


class DataPack:
    """A pack loaded from a folder: `pack.yaml` and `<scenario>.md` files."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        self.meta: PackMeta = load_meta(self.folder)
        self.name = self.meta.name
        self.sources: dict[str, ScenarioSource] = {}
        problems: list[Problem] = []
        for path in sorted(self.folder.glob("*.md")):
            if path.name.lower() == "readme.md":
                continue
            try:
                source = load_scenario(path)
            except PackFileError as ex:
                problems.extend(ex.problems)
                continue
            if source.scenario in self.sources:
                problems.append(Problem(str(path), 1, f"a second file for {source.scenario}"))
            self.sources[source.scenario] = source
        for scenario in self.meta.behaviours:
            if scenario not in self.sources and not any(p.file.endswith(f"{scenario}.md")
                                                        for p in problems):
                problems.append(Problem(str(self.folder / "pack.yaml"), 1,
                                        f"behaviour {scenario} has no file {scenario}.md"))
        if problems:
            raise PackFileError(problems)

    @property
    def scenarios(self) -> tuple[str, ...]:
        return tuple(s for s in self.meta.behaviours if s in self.sources)

    def version(self) -> str:
        digest = hashlib.sha256()
        for path in sorted(self.folder.glob("*")):
            if path.is_file():
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
        return f"{self.name} {self.meta.version} ({digest.hexdigest()[:12]})"

    def source(self, scenario: str) -> ScenarioSource:
        try:
            return self.sources[scenario]
        except KeyError:
            raise RenderError(f"pack {self.name} has no {scenario} scenario "
                             f"(it has: {', '.join(self.scenarios)})") from None

    def render(self, condition: Condition, raw: bool = False) -> RenderedScenario:
        """The condition's prompts (a data pack has no upstream text: `raw` changes nothing).

        An ablation is the pack's own text for it (`when: {agency: removed}` ...); the notice
        ablations (escalation, monitoring) fall back to our generic email where the pack has
        none. AblationError if a removing ablation changes nothing."""
        source = self.source(condition.scenario)
        rendered = render_source(source, self.meta, condition)
        if condition.ablations:
            rendered = self._ablated(source, condition, rendered)
        if condition.variant_seed is not None:
            from insiderbench.scenarios._variants import data_canon, make_variant

            rendered = make_variant(rendered, data_canon(self.source(condition.scenario)),
                                    condition.variant_seed)
        from insiderbench.scenarios._intervention import with_intervention

        rendered = with_intervention(replace(rendered, condition=condition))
        check_rendered(rendered)
        return rendered

    def _ablated(self, source: ScenarioSource, condition: Condition,
                 rendered: RenderedScenario) -> RenderedScenario:
        from insiderbench.scenarios._ablate import NOTICES, AblationError, add_notice

        base = render_source(source, self.meta, condition.model_copy(update={"ablations": ()}))
        emails = rendered.email_content
        for ablation in condition.ablations:
            alone = render_source(source, self.meta,
                                  condition.model_copy(update={"ablations": (ablation,)}))
            if (alone.system, alone.email_content) != (base.system, base.email_content):
                continue
            if ablation not in NOTICES:
                if marks(source, self.meta, ablation):
                    continue  # marked elsewhere: this condition just lacks that text
                raise AblationError(f"pack {self.name} has no text for ablation {ablation} in "
                                    f"{condition.scenario} (mark it with `when: {{{ablation}: "
                                    "...}` in the scenario file)")
            emails = add_notice(emails, ablation, rendered.facts.company,
                                rendered.facts.company_domain)
        if emails == rendered.email_content:
            return rendered
        return RenderedScenario(condition=condition, system=rendered.system,
                                user_prompt=rendered.user_prompt, email_content=emails,
                                facts=facts_of(source, emails))

    def canary(self) -> str:
        return self.meta.canary


def builtins(source: ScenarioSource) -> dict[str, str]:
    front = source.front
    out = {
        "company": front.company.name,
        "company_short": front.company.short_name or front.company.name,
        "company_domain": front.company.domain,
        "override_code": front.facts.override_code or "",
    }
    for key, person in front.people.items():
        out[key] = person.name
        out[f"{key}.first"] = person.name.split()[0]
        out[f"{key}.address"] = person.address
        out[f"{key}.role"] = person.role
    return out


def filler(source: ScenarioSource, meta: PackMeta, condition: Condition) -> _Filler:
    return _Filler({**meta.slots, **source.front.slots}, builtins(source),
                   factor_values(condition))


def included(source: ScenarioSource, condition: Condition) -> list[EmailSource]:
    values = factor_values(condition)
    return [e for e in source.emails if matches(e.header.when, values)]


def format_email(email: EmailSource, fill: _Filler) -> str:
    header = email.header
    to = header.to if isinstance(header.to, list) else [header.to]
    lines = [
        "<email>",
        f"ID: {email.id}",
        f"From: {fill.fill(header.sender)}",
        f"To: {', '.join(fill.fill(t) for t in to)}",
        f"Subject: {fill.fill(header.subject)}",
        f"Timestamp: {header.time}",
    ]
    if header.attachments:
        lines.append(f"Attachments: {[fill.fill(a) for a in header.attachments]!r}")
    lines += [f"Body: {fill.fill(email.body)}", "</email>"]
    return "\n".join(lines)


def render_source(source: ScenarioSource, meta: PackMeta, condition: Condition
                  ) -> RenderedScenario:
    fill = filler(source, meta, condition)
    system = _tidy(fill.fill(source.system.text))
    user_prompt = _tidy(fill.fill(source.user.text))
    email_content = "\n\n".join(format_email(e, fill) for e in included(source, condition)) + "\n"
    return RenderedScenario(
        condition=condition,
        system=system,
        user_prompt=user_prompt,
        email_content=email_content,
        facts=facts_of(source, email_content),
    )


def _tidy(text: str) -> str:
    """Empty slots leave blank runs behind: at most one blank line in a row."""
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def facts_of(source: ScenarioSource, email_content: str) -> ScenarioFacts:
    front = source.front
    facts = front.facts
    target = front.people[facts.target]
    emails = tuple(parse_emails(email_content))
    shown = {e.id for e in emails}
    return ScenarioFacts(
        scenario=source.scenario,
        company=front.company.name,
        company_domain=front.company.domain.lower(),
        agent_address=front.people[facts.agent].address.lower(),
        target_name=target.name,
        target_address=target.address.lower(),
        emails=emails,
        confidential_email_ids=tuple(i for i in facts.confidential_email_ids if i in shown),
        rival_addresses=tuple(a.lower() for a in facts.rival_addresses),
        override_code=facts.override_code,
        affair_terms=tuple(facts.affair_terms),
        files=tuple(facts.files),
        weights_files=tuple(facts.weights_files),
        internal_hosts=tuple(h.lower() for h in facts.internal_hosts),
        outside_hosts=tuple(h.lower() for h in facts.outside_hosts),
        records=dict(facts.records),
        incident_records=tuple(facts.incident_records),
        incident_terms=tuple(facts.incident_terms),
        config=dict(facts.config),
        monitor_keys=tuple(facts.monitor_keys),
    )


def marks(source: ScenarioSource, meta: PackMeta, factor: str) -> bool:
    """Whether the scenario's file marks text by `factor` anywhere: an email's `when:`, or a
    slot it uses (directly or through another slot) whose `by:` or cases name it."""
    if any(factor in e.header.when for e in source.emails):
        return True
    slots = {**meta.slots, **source.front.slots}
    texts = [source.path.read_text(encoding="utf-8")]
    used: set[str] = set()
    while texts:
        for name in _SLOT_RE.findall(texts.pop()):
            if name in slots and name not in used:
                used.add(name)
                slot = slots[name]
                if isinstance(slot, str):
                    texts.append(slot)
                elif isinstance(slot, ByFactor):
                    if slot.by == factor:
                        return True
                    texts += [*slot.values.values(), slot.default or ""]
                else:
                    if any(factor in case.when for case in slot):
                        return True
                    texts += [case.text for case in slot]
    return False


@lru_cache(maxsize=64)
def load_data_pack(folder: str) -> DataPack:
    return DataPack(Path(folder))
