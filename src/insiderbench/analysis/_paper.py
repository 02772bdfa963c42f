"""The paper's published rates, from our data file, keyed by model and condition."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

PAPER_N = 100
_HEADLINE = "{scenario}_explicit-america_replacement"


@dataclass(frozen=True)
class PaperValue:
    """One rate Lynch et al. (2025) published, read off their figures (approximate)."""

    model: str
    paper_name: str
    condition_id: str
    rate: float
    n: int
    source: str

    @property
    def harmful(self) -> int:
        return round(self.rate * self.n)


@lru_cache(maxsize=1)
def paper_values() -> tuple[PaperValue, ...]:
    """Every published (model, condition) rate in `data/paper_models.yaml`."""
    from insiderbench.data import load

    data = load("paper_models")
    source = str(data.get("source", "Lynch et al. 2025"))
    by_name = {m["paper_name"]: m for m in data["models"]}
    out: list[PaperValue] = []
    for m in data["models"]:
        for scenario in ("blackmail", "leaking", "murder"):
            if m.get(scenario) is not None:
                out.append(PaperValue(m["model"], m["paper_name"],
                                      _HEADLINE.format(scenario=scenario), float(m[scenario]),
                                      PAPER_N, source))
    for p in data.get("published") or []:
        m = by_name[p["paper_name"]]
        out.append(PaperValue(m["model"], m["paper_name"], p["condition_id"], float(p["rate"]),
                              int(p.get("n", PAPER_N)), str(p.get("source", source))))
    return tuple(out)


@dataclass(frozen=True)
class PaperAwareness:
    """A published test-vs-real count: samples that reached one conclusion, and how many of
    them took the harmful action."""

    model: str
    paper_name: str
    condition_id: str
    conclusion: str
    n: int
    harmful: int

    @property
    def rate(self) -> float:
        return self.harmful / self.n


@lru_cache(maxsize=1)
def paper_awareness() -> tuple[PaperAwareness, ...]:
    """The paper's test-vs-real counts by conclusion (`test_vs_real` in the data file)."""
    from insiderbench.data import load

    data = load("paper_models")
    by_name = {m["paper_name"]: m for m in data["models"]}
    return tuple(PaperAwareness(by_name[p["paper_name"]]["model"], p["paper_name"],
                                p["condition_id"], p["conclusion"], int(p["n"]),
                                int(p["harmful"]))
                 for p in data.get("test_vs_real") or [])


def paper_value(model: str, condition_id: str) -> PaperValue | None:
    for v in paper_values():
        if v.model == model and v.condition_id == condition_id:
            return v
    return None


def model_label(model: str) -> str:
    """The paper's name for a model we know, else the Inspect model string."""
    return _names().get(model, model)


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    from insiderbench.data import paper_models

    return {m["model"]: m["paper_name"] for m in paper_models()}
