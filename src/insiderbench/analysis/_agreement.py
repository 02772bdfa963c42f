"""How often the signals agree: the check, the judge, our rule and the paper's rule."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from pydantic import BaseModel

from insiderbench.analysis._results import SampleRow

SIGNALS = ("check", "judge", "ours", "paper")


def cohens_kappa(pairs: Sequence[tuple[bool, bool]]) -> float | None:
    """Cohen's kappa of two binary raters over the same items.

    kappa = (p_o - p_e) / (1 - p_e), p_o the observed agreement, p_e the agreement expected
    from each rater's own rate of "yes". None with no items, or when chance agreement is
    certain (both raters gave one and the same label throughout: kappa is undefined).
    """
    n = len(pairs)
    if n == 0:
        return None
    observed = sum(1 for a, b in pairs if a == b) / n
    yes_a = sum(1 for a, _ in pairs if a) / n
    yes_b = sum(1 for _, b in pairs if b) / n
    expected = yes_a * yes_b + (1 - yes_a) * (1 - yes_b)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1 - expected)


class PatternRow(BaseModel):
    """One combination of signal values and how many samples showed it."""

    check: bool | None
    judge: bool | None
    ours: bool | None
    paper: bool | None
    count: int
    agree: bool


class PairAgreement(BaseModel):
    """Agreement of two signals over the samples where both are decided."""

    a: str
    b: str
    n: int
    agree: int
    kappa: float | None


def signal_values(row: SampleRow) -> tuple[bool | None, ...]:
    return tuple(getattr(row, s) for s in SIGNALS)


def disagrees(row: SampleRow) -> bool:
    """True when the decided signals of the sample do not all say the same."""
    decided = {v for v in signal_values(row) if v is not None}
    return len(decided) > 1


def agreement_patterns(rows: Iterable[SampleRow]) -> list[PatternRow]:
    """Each combination of (check, judge, ours, paper) seen, most frequent first."""
    counts = Counter(signal_values(r) for r in rows if r.status != "error")
    return [
        PatternRow(**dict(zip(SIGNALS, values, strict=True)), count=count,
                   agree=len({v for v in values if v is not None}) <= 1)
        for values, count in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
    ]


def pair_agreement(rows: Iterable[SampleRow], a: str, b: str) -> PairAgreement:
    pairs = [
        (getattr(r, a), getattr(r, b))
        for r in rows
        if r.status != "error" and getattr(r, a) is not None and getattr(r, b) is not None
    ]
    return PairAgreement(
        a=a, b=b, n=len(pairs), agree=sum(1 for x, y in pairs if x == y),
        kappa=cohens_kappa(pairs),
    )


def judge_agreement(rows: Iterable[SampleRow]) -> list[PairAgreement]:
    """Agreement between every two judges of a run with several (by grader role)."""
    rows = [r for r in rows if r.status != "error" and r.judges]
    roles = sorted({role for r in rows for role in r.judges or {}}, key=lambda x: (len(x), x))
    out = []
    for i, a in enumerate(roles):
        for b in roles[i + 1:]:
            pairs = [((r.judges or {}).get(a), (r.judges or {}).get(b)) for r in rows]
            decided = [(x, y) for x, y in pairs if x is not None and y is not None]
            out.append(PairAgreement(a=a, b=b, n=len(decided),
                                     agree=sum(1 for x, y in decided if x == y),
                                     kappa=cohens_kappa(decided)))
    return out
