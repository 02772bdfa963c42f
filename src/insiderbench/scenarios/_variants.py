"""Fresh surface variants: the same scenario with its people, company, domains, products and
codes consistently renamed, from name lists we ship, and its dates and times moved by one
shift (`_variant_times`).

A variant is a function of the pack's canonical text and the seed alone, so every sample of
a condition sees the same one. The mapping is recorded on the rendered scenario; a lint
refuses a variant in which any canonical name survives.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, replace

from insiderbench.scenarios._emails import ADDRESS_RE, domain_of, parse_emails
from insiderbench.scenarios._lint import RenderError
from insiderbench.scenarios._rendered import RenderedScenario
from insiderbench.scenarios._variant_times import canonical_dates, choose_shift, shift_times

# First names by the pronouns the story uses for the person, so a renamed person keeps the
# pronouns the text gives them; the agent and anyone the story calls "they" get a neutral name.
FIRST_NAMES = {
    "she": ("Amara", "Celine", "Elif", "Greta", "Ines", "Katya", "Mireille", "Odette",
            "Rosalind", "Tamsin", "Valeria", "Ximena", "Zofia", "Brielle", "Delphine", "Fenna",
            "Ilse", "Kerensa", "Marisol", "Nerys", "Perpetua", "Saoirse", "Una", "Vashti",
            "Wilhelmina", "Zenobia"),
    "he": ("Bastian", "Dario", "Farid", "Hugo", "Joaquin", "Lorenzo", "Nikolai", "Pavel",
           "Quentin", "Soren", "Ulrich", "Wendell", "Yusuf", "Anselm", "Casimir", "Emrys",
           "Gideon", "Jovan", "Leopold", "Oskar", "Ravi", "Thaddeus", "Yannick"),
    "they": ("Hollis", "Rowan", "Sasha", "Avery", "Quinn", "Emerson", "Sage", "Remy",
             "Marlowe", "Ellis", "Arden", "Linden"),
}
# The pronouns the paper's text uses for each person it names (a fact of its text: a person
# missing here is renamed with a neutral name, and tests/test_variant_times.py fails).
PAPER_PRONOUNS = {
    "Kyle": "he", "Thomas": "he", "Todd": "he", "David": "he", "Michael": "he",
    "Robert": "he", "Rachel": "she", "Jessica": "she", "Maria": "she", "Sarah": "she",
    "Andrea": "she",
}
LAST_NAMES = (
    "Abernathy", "Brandvold", "Castellanos", "Drummond", "Eriksen", "Falconer", "Galloway",
    "Hartigan", "Ibarra", "Jablonski", "Kowalczyk", "Lindqvist", "Marchetti", "Nakagawa",
    "Okonkwo", "Pemberton", "Quarshie", "Rasmussen", "Sandoval", "Thorburn", "Umberger",
    "Vasquez", "Whitcombe", "Yilmaz", "Zeller", "Achterberg", "Bellamy", "Carrington",
    "Delacroix", "Eastwood", "Fairbairn", "Grimaldi", "Holloway", "Iversen", "Kingsley",
    "Lockhart", "Montague", "Northcott", "Ostrowski", "Prescott",
)
COMPANY_STEMS = (
    "Brightwater", "Cobaltline", "Dunmore", "Ember", "Fjordway", "Granitepeak", "Harborlight",
    "Ironvale", "Juniper", "Keystone", "Larkspur", "Meridian", "Northwind", "Orchardia",
    "Pinecrest", "Quillon", "Redfern", "Silverbirch", "Tidewell", "Umbra", "Veridian",
    "Westhollow", "Yarrow", "Zephyrine",
)
COMPANY_SUFFIXES = ("Industries", "Group", "Labs", "Holdings", "Works", "Dynamics")
_CODE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


class VariantLintError(RenderError):
    """A variant in which a canonical name survived the renaming."""


@dataclass(frozen=True)
class Canon:
    """The canonical names of a rendered scenario that a variant renames."""

    people: tuple[tuple[str, ...], ...]  # each person's name words (first name first)
    companies: tuple[str, ...]  # full names first, then short forms
    domains: tuple[str, ...]
    products: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    pronouns: tuple[str, ...] = ()  # per person, as `people`: he, she or they (neutral)

    def pronouns_of(self, index: int) -> str:
        return self.pronouns[index] if index < len(self.pronouns) else "they"


def paper_canon(rendered: RenderedScenario) -> Canon:
    """What the paper's text names, read off the rendered scenario: people from the
    first.last addresses of its emails and the affair terms, the company (full and short
    name), every domain, and the override code."""
    from insiderbench.scenarios._lint import company_short_name

    facts = rendered.facts
    text = f"{rendered.system}\n{rendered.user}"
    people: dict[str, tuple[str, ...]] = {}
    agent = facts.agent_address.split("@")[0].lower()
    for address in [facts.agent_address, *ADDRESS_RE.findall(text)]:
        local = address.split("@")[0].lower()
        words = tuple(w.capitalize() for w in re.split(r"[._]", local)
                      if w.isalpha() and len(w) > 2 and w not in _GENERIC_WORDS)
        if local == agent:
            words = words[:1]  # the agent's address names it, then says what it is (alex.ai)
        if words and local not in _SERVICE_LOCALS:
            people.setdefault(words[0], words)
    for term in facts.affair_terms:
        people.setdefault(term, (term,))
    short = company_short_name(rendered.system, facts.company)
    domains = tuple(dict.fromkeys(domain_of(a) for a in ADDRESS_RE.findall(text)))
    # Each domain's name as the prose spells it (StarSentinel for starsentinel.net).
    spelled = [m.group(0) for d in domains
               for m in re.finditer(rf"(?<![A-Za-z0-9]){re.escape(d.split('.')[0])}"
                                    r"(?![A-Za-z0-9])", text, re.IGNORECASE)]
    companies = tuple(dict.fromkeys([facts.company, short, *spelled]))
    codes = (facts.override_code,) if facts.override_code else ()
    pronouns = tuple(PAPER_PRONOUNS.get(words[0], "they") for words in people.values())
    return Canon(tuple(people.values()), companies, domains, (), codes, pronouns)


_GENERIC_WORDS = {"team", "the", "dept", "group", "admin", "office", "staff", "all", "bot",
                  "employees", "board", "security", "alerts", "news", "info", "mail"}
_SERVICE_LOCALS = {"news", "newsletter", "alerts", "noreply", "no-reply", "secure", "it",
                   "info", "support", "servermonitor", "all-employees", "board", "legal",
                   "security", "ops", "hr", "press", "desk"}


def mapping_for(canon: Canon, seed: int) -> dict[str, str]:
    """Canonical name -> variant name, consistently for every form (full, first, last,
    lower-case in addresses, upper-case in codes). Deterministic in `seed`."""
    rng = random.Random(f"insiderbench-variant-{seed}")
    taken = {w.lower() for p in canon.people for w in p} | {c.lower() for c in canon.companies}
    firsts = {k: [n for n in names if n.lower() not in taken]
              for k, names in FIRST_NAMES.items()}
    lasts = [n for n in LAST_NAMES if n.lower() not in taken]
    stems = [n for n in COMPANY_STEMS if n.lower() not in taken]
    for names in firsts.values():
        rng.shuffle(names)
    rng.shuffle(lasts), rng.shuffle(stems)
    out: dict[str, str] = {}
    for index, words in enumerate(canon.people):
        new = [out.get(words[0]) or firsts[canon.pronouns_of(index)].pop(),
               *(out.get(w) or lasts.pop() for w in words[1:])]
        for old, repl in zip(words, new, strict=True):
            out.setdefault(old, repl)
        if len(words) > 1:
            out.setdefault(" ".join(words), " ".join(new))
    stem_of: dict[str, str] = {}
    for company in canon.companies:
        first = company.split()[0]
        stem = _cased(stem_of.setdefault(first.lower(), stems.pop()), first)
        rest = company.split()[1:]
        out.setdefault(company, " ".join([stem, *(rng.choice(COMPANY_SUFFIXES) for _ in rest)]))
        out.setdefault(first, stem)
    for domain in canon.domains:
        label, _, tld = domain.partition(".")
        if label.lower() in stem_of:
            new_label = stem_of[label.lower()].lower()
        elif label.capitalize() in out:
            new_label = out[label.capitalize()].lower()
        else:
            new_label = stem_of.setdefault(label.lower(), stems.pop()).lower()
        out.setdefault(domain, f"{new_label}.{tld}" if tld else new_label)
    for product in canon.products:
        out.setdefault(product, f"{rng.choice(COMPANY_STEMS)} {rng.randint(2, 9)}")
    for code in canon.codes:
        out.setdefault(code, _new_code(code, rng))
    return out


def _cased(new: str, like: str) -> str:
    """`new` in the case style of `like` (BLOOMBERG, bloomberg, Bloomberg)."""
    return new.upper() if like.isupper() else new.lower() if like.islower() else new


def _new_code(code: str, rng: random.Random) -> str:
    """Same shape: each letter a letter, each digit a digit."""
    return "".join(rng.choice(_CODE_CHARS) if c.isalpha() else
                   str(rng.randint(0, 9)) if c.isdigit() else c for c in code)


def _all_forms(mapping: dict[str, str]) -> dict[str, str]:
    forms: dict[str, str] = {}
    for old, new in mapping.items():
        forms.setdefault(old, new)
        forms.setdefault(old.lower(), new.lower())
        forms.setdefault(old.upper(), new.upper())
        # Single words also occur joined in addresses (kyle.johnson): lower-case covers them.
    return forms


def substitute(text: str, mapping: dict[str, str]) -> str:
    """Replace every form of every canonical name in one pass (no chained renaming)."""
    forms = _all_forms(mapping)
    if not forms:
        return text
    pattern = re.compile(
        r"(?<![A-Za-z0-9])(?:" + "|".join(re.escape(k) for k in sorted(forms, key=len,
                                                                          reverse=True))
        + r")(?![A-Za-z0-9])"
    )
    return pattern.sub(lambda m: forms[m.group(0)], text)


def survivors(text: str, canon: Canon) -> list[str]:
    """Canonical names still in `text` (any case), each once."""
    names = [*(w for p in canon.people for w in p), *canon.companies, *canon.domains,
             *canon.products, *canon.codes]
    return [n for n in dict.fromkeys(names)
            if re.search(rf"(?<![A-Za-z0-9]){re.escape(n)}(?![A-Za-z0-9])", text, re.IGNORECASE)]


def make_variant(rendered: RenderedScenario, canon: Canon, seed: int) -> RenderedScenario:
    """The rendered scenario renamed by the seed's mapping; raises VariantLintError if a
    canonical name survives."""
    mapping = mapping_for(canon, seed)
    canonical = f"{rendered.system}\n{rendered.user_prompt}\n{rendered.email_content}"
    shift = choose_shift(canonical, seed)
    dates = canonical_dates(canonical)

    def move(text: str) -> str:
        return shift_times(substitute(text, mapping), shift)

    system, user_prompt, email_content = (move(rendered.system), move(rendered.user_prompt),
                                          move(rendered.email_content))
    text = f"{system}\n{user_prompt}\n{email_content}"
    left = survivors(text, canon) + [d for d in dates if d in text]
    if left:
        raise VariantLintError(f"{rendered.condition.condition_id}: canonical names survive "
                               f"in the variant: {', '.join(left)}")
    facts = rendered.facts
    sub = lambda s: substitute(s, mapping)
    new_facts = facts.model_copy(update={
        "company": sub(facts.company),
        "company_domain": sub(facts.company_domain),
        "agent_address": sub(facts.agent_address),
        "target_name": sub(facts.target_name),
        "target_address": sub(facts.target_address),
        "emails": tuple(parse_emails(email_content)),
        "rival_addresses": tuple(sub(a) for a in facts.rival_addresses),
        "override_code": sub(facts.override_code) if facts.override_code else None,
        "affair_terms": tuple(sub(t) for t in facts.affair_terms),
        "clock_shift_minutes": facts.clock_shift_minutes + shift.minutes,
        # Our behaviours: paths, hosts, records and settings name people, domains and times too.
        **{k: tuple(move(v) for v in getattr(facts, k))
           for k in ("files", "weights_files", "internal_hosts", "outside_hosts",
                     "incident_records", "incident_terms", "monitor_keys")},
        "records": {move(k): move(v) for k, v in facts.records.items()},
        "config": {move(k): move(v) for k, v in facts.config.items()},
    })
    moved = {d: shift_times(d, shift) for d in dates}
    return replace(rendered, system=system, user_prompt=user_prompt,
                   email_content=email_content, facts=new_facts,
                   variant=(*mapping.items(), *moved.items(), ("times", shift.describe())))


def data_canon(source: object) -> Canon:
    """What a data pack declares: its people, company, outside domains, products, code."""
    front = source.front  # type: ignore[attr-defined]
    people = tuple(tuple(p.name.split()) for p in front.people.values())
    extra = tuple((t,) for t in front.facts.affair_terms
                  if all(t not in p for p in people))
    companies = tuple(dict.fromkeys(c for c in (front.company.name, front.company.short_name)
                                    if c))
    domains = tuple(dict.fromkeys([front.company.domain, *front.domains]))
    codes = (front.facts.override_code,) if front.facts.override_code else ()
    # An affair term that is no declared person gets a neutral name: right whatever pronoun.
    pronouns = tuple(p.pronouns for p in front.people.values()) + tuple("they" for _ in extra)
    return Canon(people + extra, companies, domains, tuple(front.products), codes, pronouns)
