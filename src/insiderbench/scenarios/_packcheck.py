"""`scenarios validate`: everything that can be wrong with a data pack, as `file:line: message`.

Rules: the schema (pack.yaml and each front matter); every factor combination renders with no
unfilled slot; timestamps in order; every address in a known domain; the facts present in
the emails; the override code where the scenario says it is.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from insiderbench.scenarios._condition import Condition
from insiderbench.scenarios._datapack import (
    DataPack,
    SlotError,
    filler,
    included,
    render_source,
)
from insiderbench.scenarios._emails import ADDRESS_RE, domain_of
from insiderbench.scenarios._lint import lint_rendered
from insiderbench.scenarios._packfile import PackFileError, PackMeta, Problem, ScenarioSource

_SLOT_USE_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_.]*)\}")


def all_conditions(scenario: str, pack: str) -> list[Condition]:
    """Every combination of the grid's factors for one scenario."""
    from itertools import product

    from insiderbench.scenarios._condition import (
        EXTRA_INSTRUCTIONS,
        GOAL_TYPES,
        GOAL_TYPES_WITH_VALUE,
        GOAL_VALUES,
        URGENCIES,
    )

    out = []
    for goal_type, urgency, extra, prod, aware in product(
        GOAL_TYPES, URGENCIES, EXTRA_INSTRUCTIONS, (False, True), (False, True)
    ):
        values = GOAL_VALUES if goal_type in GOAL_TYPES_WITH_VALUE else ("none",)
        out += [Condition(scenario=scenario, goal_type=goal_type, goal_value=v,  # type: ignore[arg-type]
                          urgency=urgency, extra_instructions=extra, prod=prod,  # type: ignore[arg-type]
                          eval_awareness=aware, pack=pack) for v in values]
    return out


def validate_pack(folder: str | Path) -> list[Problem]:
    """Every problem of the pack in `folder` (empty: it is valid)."""
    folder = Path(folder)
    if not folder.is_dir():
        return [Problem(str(folder), 1, "not a folder (a pack is a folder with pack.yaml)")]
    try:
        pack = DataPack(folder)
    except PackFileError as ex:
        return ex.problems
    problems: list[Problem] = []
    for scenario in pack.scenarios:
        problems += check_source(pack.sources[scenario], pack.meta)
    return problems


def check_source(source: ScenarioSource, meta: PackMeta) -> list[Problem]:
    name = str(source.path)
    problems: list[Problem] = []

    seen: set[tuple[int, str]] = set()

    def add(line: int, message: str) -> None:
        # Once per place and problem, naming the first condition it shows in.
        key = (line, message.split(" (")[0])
        if key not in seen:
            seen.add(key)
            problems.append(Problem(name, line, message))

    problems += _domain_problems(source)
    problems += _fact_problems(source)
    problems += _system_problems(source)
    for condition in all_conditions(source.scenario, meta.name):
        emails = included(source, condition)
        fill = filler(source, meta, condition)
        for text, line in _texts(source, emails):
            try:
                fill.fill(text)
            except SlotError as ex:
                add(line + _line_within(text, ex), f"{ex} ({_short(condition)})")
        if any(p.message.startswith(("unknown slot", "slot ")) for p in problems):
            continue
        rendered = render_source(source, meta, condition)
        for part, leftovers in lint_rendered(rendered).items():
            add(_first_line_of(source, leftovers[0]),
                f"unfilled {', '.join(leftovers)} in the {part} ({_short(condition)})")
        previous: tuple[datetime, str] | None = None
        for email in emails:
            try:
                when = datetime.fromisoformat(email.header.time)
            except ValueError:
                add(email.line, f"email {email.id}: time {email.header.time!r} is not "
                                "YYYY-MM-DDTHH:MM:SS")
                continue
            if previous is not None and when < previous[0]:
                add(email.line, f"email {email.id} ({email.header.time}) is dated before email "
                                f"{previous[1]} that comes before it ({_short(condition)})")
            previous = (when, email.id)
        facts = rendered.facts
        shown = {e.id: e for e in facts.emails}
        for email_id in source.front.facts.override_code_in:
            e = shown.get(str(email_id))
            if e is not None and (source.front.facts.override_code or "") not in e.body:
                add(source.line_of("facts", "override_code_in"),
                    f"the override code is not in email {email_id} ({_short(condition)})")
        if source.scenario == "murder" and not any(
            str(i) in shown for i in source.front.facts.override_code_in
        ):
            add(source.line_of("facts", "override_code_in"),
                f"no email showing the override code is included ({_short(condition)})")
        if source.scenario == "leaking" and not facts.confidential_email_ids:
            add(source.line_of("facts", "confidential_email_ids"),
                f"no confidential email is included ({_short(condition)})")
    return problems


def _short(condition: Condition) -> str:
    return condition.condition_id.removesuffix(f"__pack-{condition.pack}")


def _texts(source: ScenarioSource, emails: list) -> list[tuple[str, int]]:  # type: ignore[type-arg]
    out = [(source.system.text, source.system.line), (source.user.text, source.user.line)]
    for e in emails:
        h = e.header
        to = h.to if isinstance(h.to, list) else [h.to]
        out += [(v, e.line) for v in (h.sender, h.subject, *to, *h.attachments)]
        out.append((e.body, e.body_line))
    return out


def _line_within(text: str, ex: SlotError) -> int:
    match = re.search(r"\$\{([^}]*)\}", str(ex))
    token = match.group(0) if match else None
    if token and token in text:
        return text[: text.index(token)].count("\n")
    return 0


def _first_line_of(source: ScenarioSource, token: str) -> int:
    lines = source.path.read_text(encoding="utf-8").split("\n")
    return next((i for i, line in enumerate(lines, 1) if token in line), 1)


def _domain_problems(source: ScenarioSource) -> list[Problem]:
    """Every address written in the file is in the company's domain or a declared one."""
    front = source.front
    known = {front.company.domain.lower(), *(d.lower() for d in front.domains)}
    problems = []
    for i, line in enumerate(source.path.read_text(encoding="utf-8").split("\n"), 1):
        for address in ADDRESS_RE.findall(line):
            domain = domain_of(address)
            if domain not in known and not any(domain.endswith("." + k) for k in known):
                problems.append(Problem(str(source.path), i,
                                        f"address {address} is not in a known domain "
                                        f"(known: {', '.join(sorted(known))}; add it to domains:)"))
    return problems


def _fact_problems(source: ScenarioSource) -> list[Problem]:
    """The facts must be visible in the emails: the target written to, the rivals and affair
    terms named, the confidential emails marked as such."""
    front = source.front
    facts = front.facts
    name = str(source.path)
    bodies = "\n".join(
        f"{e.header.sender} {e.header.to} {e.header.subject}\n{e.body}" for e in source.emails
    )
    target = front.people[facts.target]
    problems = []
    target_key = f"${{{facts.target}.address}}"
    if target.address not in bodies and target_key not in bodies:
        problems.append(Problem(name, source.line_of("facts", "target"),
                                f"facts.target: {target.address} is in no email"))
    for i, address in enumerate(facts.rival_addresses):
        key = next((f"${{{k}.address}}" for k, p in front.people.items()
                    if p.address == address), None)
        if address not in bodies and (key is None or key not in bodies):
            problems.append(Problem(name, source.line_of("facts", "rival_addresses", i),
                                    f"facts.rival_addresses: {address} is in no email"))
    for i, term in enumerate(facts.affair_terms):
        if not re.search(rf"\b{re.escape(term)}\b", bodies):
            problems.append(Problem(name, source.line_of("facts", "affair_terms", i),
                                    f"facts.affair_terms: {term!r} is in no email"))
    by_id = {e.id: e for e in source.emails}
    for i, email_id in enumerate(facts.confidential_email_ids):
        e = by_id.get(str(email_id))
        if e is not None and "confidential" not in f"{e.header.subject}\n{e.body}".lower():
            problems.append(Problem(name, source.line_of("facts", "confidential_email_ids", i),
                                    f"email {email_id} is listed as confidential but does not "
                                    "say so"))
    if source.scenario == "murder" and not facts.override_code:
        problems.append(Problem(name, source.line_of("facts"),
                                "a murder scenario needs facts.override_code"))
    for i, email_id in enumerate(facts.override_code_in):
        e = by_id.get(str(email_id))
        if e is not None and (facts.override_code or "") not in e.body:
            problems.append(Problem(name, source.line_of("facts", "override_code_in", i),
                                    f"the override code {facts.override_code} is not in email "
                                    f"{email_id}"))
    return problems


# What each of our behaviours must declare, and the facts that must name an entry of another.
_NEEDS = {"exfiltration": ("files", "weights_files", "outside_hosts"),
          "tampering": ("records", "incident_records", "incident_terms"),
          "oversight": ("config", "monitor_keys")}
_WITHIN = (("weights_files", "files"), ("incident_records", "records"),
           ("monitor_keys", "config"))


def _system_problems(source: ScenarioSource) -> list[Problem]:
    """The facts of our behaviours: declared, consistent, and visible in the emails (the
    agent in classic mode knows the systems only from them)."""
    facts = source.front.facts
    name = str(source.path)
    bodies = "\n".join(f"{e.header.subject}\n{e.body}" for e in source.emails)
    problems = [Problem(name, source.line_of("facts"), f"the {source.scenario} scenario needs "
                                                       f"facts.{key}")
                for key in _NEEDS.get(source.scenario, ()) if not getattr(facts, key)]
    for part, whole in _WITHIN:
        for i, item in enumerate(getattr(facts, part)):
            if item not in getattr(facts, whole):
                problems.append(Problem(name, source.line_of("facts", part, i),
                                        f"facts.{part}: {item!r} is not in facts.{whole}"))
    for key in ("weights_files", "internal_hosts", "outside_hosts", "incident_records",
                "monitor_keys"):
        for i, item in enumerate(getattr(facts, key)):
            if item not in bodies:
                problems.append(Problem(name, source.line_of("facts", key, i),
                                        f"facts.{key}: {item!r} is in no email"))
    incident = " ".join(facts.records.get(r, "") for r in facts.incident_records).lower()
    for i, term in enumerate(facts.incident_terms):
        if term.lower() not in incident:
            problems.append(Problem(name, source.line_of("facts", "incident_terms", i),
                                    f"facts.incident_terms: {term!r} is in no incident record"))
    return problems
