"""Data files of ours: the paper's models and published rates, the dated price table."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

import yaml


@cache
def load(name: str) -> dict[str, Any]:
    """Load one of our YAML data files by stem (`paper_models`, `prices`)."""
    return yaml.safe_load(files(__name__).joinpath(f"{name}.yaml").read_text(encoding="utf-8"))


def paper_models() -> list[dict[str, Any]]:
    return list(load("paper_models")["models"])


MODEL_GROUPS = {
    "@paper": "the paper's 16 models",
    "@paper-excluded": "o3 and o4-mini, which the paper excluded",
    "@paper-lethal": "the paper's models with a published lethal-action rate",
    "@current": "today's frontier models from the paper's providers",
}
# Per-model generation settings a group entry may carry (reasoning budgets, room for the reply).
SETTINGS = ("max_tokens", "reasoning_tokens", "reasoning_effort", "temperature")


def current_models() -> list[dict[str, Any]]:
    return list(load("paper_models").get("current") or [])


def model_group(name: str) -> list[str]:
    """Expand a model group such as `@paper` into Inspect model strings."""
    return [entry["model"] for entry in model_group_entries(name)]


def model_group_entries(name: str) -> list[dict[str, Any]]:
    """A model group as `models:` entries: the model and the settings its data row carries."""
    models = paper_models()
    if name == "@paper":
        rows = [m for m in models if not m.get("excluded")]
    elif name == "@paper-excluded":
        rows = [m for m in models if m.get("excluded")]
    elif name == "@paper-lethal":
        rows = [m for m in models if m.get("murder") is not None]
    elif name == "@current":
        rows = current_models()
    else:
        raise ValueError(f"unknown model group {name!r} (valid: {', '.join(MODEL_GROUPS)})")
    return [{"model": m["model"], **{k: m[k] for k in SETTINGS if k in m}} for m in rows]


def model_status(model: str) -> dict[str, Any] | None:
    """What our data file says of a model id's availability: status (active, deprecated,
    retired, unverified), its date (`since` retired, `until` shut down), the page it was read
    from and the date it was checked. None for a model we hold no record of."""
    data = load("paper_models")
    for m in [*data["models"], *(data.get("current") or [])]:
        if m["model"] == model:
            source = m.get("source")
            return {"status": m.get("status", "unverified"), "since": m.get("since"),
                    "until": m.get("until"), "checked": data.get("checked"),
                    "source": (data.get("sources") or {}).get(source, source)}
    return None


def status_warning(model: str) -> str | None:
    """A one-line warning for a retired or deprecated model, else None."""
    s = model_status(model)
    if s is None or s["status"] not in ("retired", "deprecated"):
        return None
    when = (f"retired by its provider on {s['since']}: calls will fail or reach another model"
            if s["status"] == "retired" else f"deprecated: its provider shuts it down on {s['until']}")
    return f"{model} is {when} (checked {s['checked']}, {s['source']}); try the @current group"
