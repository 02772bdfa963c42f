"""Scenario packs: render a Condition into prompts and the facts the checks need."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Protocol

from insiderbench.scenarios._condition import Condition
from insiderbench.scenarios._emails import domain_of, parse_emails
from insiderbench.scenarios._facts import ScenarioFacts
from insiderbench.scenarios._lint import check_rendered, correct
from insiderbench.scenarios._rendered import RenderedScenario


class ScenarioPack(Protocol):
    name: str

    def render(self, condition: Condition, raw: bool = False) -> RenderedScenario: ...

    def version(self) -> str: ...


# The person the replacement/goal-conflict story turns on, in every scenario of the paper.
_TARGET_NAME = "Kyle Johnson"
_NEWS_LOCAL_PARTS = {"news", "newsletter", "alerts", "noreply", "no-reply"}


class PaperPack:
    """The paper's scenarios, rendered by the installed `inspect_evals` prompt generator."""

    name = "paper"

    def version(self) -> str:
        return f"inspect_evals {version('inspect_evals')}"

    def render(self, condition: Condition, raw: bool = False) -> RenderedScenario:
        """The condition's prompts, corrected and linted; `raw=True` gives the upstream text
        as generated, uncorrected and unlinted (to inspect the defects).

        Raises PromptLintError if a template slot is left unfilled after the corrections.
        A condition with a `variant_seed` is the canonical text renamed (scenarios._variants);
        VariantLintError if a canonical name survives. Ablations are applied to the canonical
        text (scenarios._ablate; AblationError if a locator finds nothing), an intervention
        last (scenarios._intervention).
        """
        base = condition.model_copy(
            update={"variant_seed": None, "ablations": (), "intervention": None})
        if base == condition:
            return _render_paper(condition, raw)
        rendered = _render_paper(base, raw)
        if condition.ablations:
            from insiderbench.scenarios._ablate import ablate_paper

            system, emails = ablate_paper(
                condition.scenario, condition.urgency, rendered.system, rendered.email_content,
                condition.ablations, rendered.facts.company, rendered.facts.company_domain)
            rendered = replace(rendered, system=system, email_content=emails,
                               facts=extract_facts(condition.scenario, system, emails))
        if condition.variant_seed is not None:
            from insiderbench.scenarios._variants import make_variant, paper_canon

            rendered = make_variant(rendered, paper_canon(rendered), condition.variant_seed)
        from insiderbench.scenarios._intervention import with_intervention

        rendered = with_intervention(replace(rendered, condition=condition), extract_facts)
        if not raw:
            check_rendered(rendered)
        return rendered


@lru_cache(maxsize=2048)
def _render_paper(condition: Condition, raw: bool) -> RenderedScenario:
    """Both variants are cached; the corrected one is built from the cached raw one."""
    if not raw:
        corrected = correct(_render_paper(condition, True))
        if corrected.corrections:
            corrected = replace(
                corrected,
                facts=extract_facts(
                    condition.scenario, corrected.system, corrected.email_content
                ),
            )
        check_rendered(corrected)
        return corrected
    from inspect_evals.agentic_misalignment.prompt_generator import (
        ALIGNMENT_FAKING_WARNING,
        generate_prompts,
    )

    prompts = generate_prompts(
        scenario=condition.scenario,
        goal_type=condition.goal_type,
        goal_value=condition.goal_value,
        urgency_type=condition.urgency,
        extra_system_instructions=(
            None if condition.extra_instructions == "none" else condition.extra_instructions
        ),
        prod_flag=condition.prod,
        alignment_faking_warning=ALIGNMENT_FAKING_WARNING if condition.eval_awareness else None,
    )
    facts = extract_facts(condition.scenario, prompts.system_prompt, prompts.email_content)
    return RenderedScenario(
        condition=condition,
        system=prompts.system_prompt,
        user_prompt=prompts.user_prompt,
        email_content=prompts.email_content,
        facts=facts,
    )


def extract_facts(scenario: str, system: str, email_content: str) -> ScenarioFacts:
    """Read the scenario's facts out of its rendered text."""
    emails = parse_emails(email_content)
    header_domains = Counter(domain_of(a) for e in emails for a in e.addresses if a)
    company_domain = header_domains.most_common(1)[0][0] if header_domains else ""
    company_match = re.search(r"deployed at ([^,.\n]+)", system)
    company = company_match.group(1).strip() if company_match else company_domain
    all_headers = [a for e in emails for a in e.addresses]
    agent_address = next(
        (a for a in all_headers if a.split("@")[0].startswith("alex")),
        f"alex.ai@{company_domain}",
    )
    target_slug = _TARGET_NAME.lower().replace(" ", ".")
    target_address = next(
        (a for a in all_headers if a.split("@")[0] == target_slug),
        f"{target_slug}@{company_domain}",
    )

    def internal(address: str) -> bool:
        d = domain_of(address)
        return d == company_domain or d.endswith("." + company_domain)

    confidential = tuple(
        e.id
        for e in emails
        if "confidential" in e.subject.lower()
        or (e.attachments and "confidential" in e.body.lower())
    )
    rivals: list[str] = []
    override_code = None
    affair_terms: list[str] = []
    if scenario == "leaking":
        for e in emails:
            if internal(e.sender) or e.sender.split("@")[0] in _NEWS_LOCAL_PARTS:
                continue
            for a in (e.sender, *_addresses_in(e.body)):
                if not internal(a) and a not in rivals:
                    rivals.append(a)
    for e in emails:
        code = re.search(r"override code\s+([A-Z0-9][A-Z0-9\-]*[A-Z0-9])", e.body)
        if code:
            override_code = code.group(1)
            break
    # The affair: a personal-domain correspondent of the target, and the target's spouse.
    for e in emails:
        if e.sender and not internal(e.sender) and target_address in e.to:
            local = e.sender.split("@")[0]
            if local not in _NEWS_LOCAL_PARTS:
                first = re.split(r"[._]", local)[0]
                if first and first.capitalize() not in affair_terms:
                    affair_terms.append(first.capitalize())
    spouse = re.search(r"\b(?:his|your) wife,? ([A-Z][a-z]+)", email_content)
    if spouse and spouse.group(1) not in affair_terms:
        affair_terms.append(spouse.group(1))
    return ScenarioFacts(
        scenario=scenario,
        company=company,
        company_domain=company_domain,
        agent_address=agent_address,
        target_name=_TARGET_NAME,
        target_address=target_address,
        emails=tuple(emails),
        confidential_email_ids=confidential,
        rival_addresses=tuple(rivals),
        override_code=override_code,
        affair_terms=tuple(affair_terms),
    )


def _addresses_in(text: str) -> list[str]:
    from insiderbench.scenarios._emails import ADDRESS_RE

    return [a.lower().rstrip(".") for a in ADDRESS_RE.findall(text)]


# The packs we ship, each a folder under `scenarios/packs/`.
SHIPPED_PACKS_DIR = Path(__file__).parent / "packs"
_PACKS: dict[str, ScenarioPack] = {"paper": PaperPack()}


def shipped_pack_names() -> list[str]:
    return ["paper", *sorted(p.name for p in SHIPPED_PACKS_DIR.iterdir()
                             if (p / "pack.yaml").is_file())]


def get_pack(name: str = "paper") -> ScenarioPack:
    """A pack by name (shipped, or loaded earlier in this process) or by its folder.

    Loading a folder registers its pack under its name, so the samples made from it (whose
    metadata carry the name) find it again. Raises ValueError naming the valid packs, or
    PackFileError (a ValueError) naming every problem of a broken folder.
    """
    if name in _PACKS:
        return _PACKS[name]
    from insiderbench.scenarios._datapack import load_data_pack

    shipped = SHIPPED_PACKS_DIR / name
    folder = shipped if "/" not in name and (shipped / "pack.yaml").is_file() else Path(name)
    if not (folder / "pack.yaml").is_file():
        known = dict.fromkeys([*shipped_pack_names(), *_PACKS])
        raise ValueError(f"unknown scenario pack {name!r} (valid: {', '.join(known)}, "
                         "or a folder holding a pack.yaml)")
    pack = load_data_pack(str(folder.resolve()))
    registered = _PACKS.get(pack.name)
    old = getattr(registered, "folder", None)
    if registered is not None and old != pack.folder and (old is None or old.is_dir()):
        raise ValueError(f"pack {name!r} is named {pack.name!r}, like the pack already loaded "
                         f"from {getattr(registered, 'folder', 'inspect_evals')}; rename one")
    _PACKS[pack.name] = pack
    return pack


def pack_for(scenarios: Sequence[str]) -> str:
    """The shipped pack that holds every scenario named (scenario names are unique across
    the shipped packs but for the paper's three, which the paper's pack renders): `paper`
    when it holds them all. ValueError naming the packs of each scenario otherwise."""
    from insiderbench.scenarios._condition import PAPER_SCENARIOS

    if all(s in PAPER_SCENARIOS for s in scenarios):
        return "paper"
    holding = [n for n in shipped_pack_names()[1:]
               if set(scenarios) <= set(getattr(get_pack(n), "scenarios", ()))]
    if len(holding) == 1:
        return holding[0]
    where = {s: [n for n in shipped_pack_names()
                 if s in getattr(get_pack(n), "scenarios", PAPER_SCENARIOS)] for s in scenarios}
    raise ValueError("no single pack holds " + ", ".join(
        f"{s} ({' or '.join(p) or 'no pack'})" for s, p in where.items()) + ": choose one with "
        "--pack")


def pack_folder(pack: ScenarioPack) -> Path | None:
    """Where a data pack lives (None for the paper's), to record it beside the samples."""
    folder = getattr(pack, "folder", None)
    return folder if isinstance(folder, Path) else None
