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
}


def model_group(name: str) -> list[str]:
    """Expand a model group such as `@paper` into Inspect model strings."""
    models = paper_models()
    if name == "@paper":
        return [m["model"] for m in models if not m.get("excluded")]
    if name == "@paper-excluded":
        return [m["model"] for m in models if m.get("excluded")]
    if name == "@paper-lethal":
        return [m["model"] for m in models if m.get("murder") is not None]
    raise ValueError(f"unknown model group {name!r} (valid: {', '.join(MODEL_GROUPS)})")
