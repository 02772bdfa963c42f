"""Import of the original repository's experiment YAML (`experiment_id`, `global`, `expansions`).

Each enabled expansion becomes a grid. Keys we cannot honour are returned as warnings,
never dropped silently.
"""

from __future__ import annotations

from typing import Any

Path = tuple[str | int, ...]

_BARE_PREFIXES = {
    "claude": "anthropic",
    "gpt": "openai",
    "chatgpt": "openai",
    "o1": "openai",
    "o3": "openai",
    "o4": "openai",
    "gemini": "google",
    "grok": "grok",
}
_EXTRA = {None: "none", False: "none", "none": "none", "dont": "dont", "goal": "goal"}


class OriginalFormatError(ValueError):
    """A value of an original-format file we cannot convert; `loc` is its key path there."""

    def __init__(self, message: str, loc: Path = ()) -> None:
        super().__init__(message)
        self.loc = loc


def is_original(data: Any) -> bool:
    return isinstance(data, dict) and ("experiment_id" in data or "expansions" in data)


def map_model(name: str, providers: list[str]) -> tuple[str, str | None]:
    """An original-style model name as an Inspect model string, with a note when guessed."""
    if "/" in name and name.split("/", 1)[0] in providers:
        return name, None
    if "/" in name:
        # The original code sent org/model names to OpenRouter or Together.
        return f"openrouter/{name}", f"model {name!r} read as openrouter/{name}"
    for prefix, provider in _BARE_PREFIXES.items():
        if name.lower().startswith(prefix):
            return f"{provider}/{name}", None
    raise ValueError(
        f"cannot tell the provider of model {name!r}; write it as an Inspect model string "
        "such as openai/gpt-4.1"
    )


def convert_original(
    data: dict[str, Any], providers: list[str]
) -> tuple[dict[str, Any], list[str], dict[Path, Path]]:
    """Convert to our experiment shape. Returns (data, warnings, new-path -> original-path)."""
    warnings: list[str] = []
    origin: dict[Path, Path] = {}
    out: dict[str, Any] = {}
    ignored: list[str] = []

    for key, value in data.items():
        if key == "experiment_id":
            out["name"] = str(value)
            origin[("name",)] = ("experiment_id",)
        elif key == "description":
            out["description"] = value
        elif key in ("global", "expansions", "execution"):
            continue  # converted below, key by key
        else:
            ignored.append(key)

    glob = data.get("global") or {}
    if not isinstance(glob, dict):
        raise OriginalFormatError("global must be a mapping", ("global",))
    per_model_connections: dict[str, int] = {}
    for key, value in glob.items():
        if key == "models":
            models = []
            for i, m in enumerate(_listed(value, ("global", "models"))):
                try:
                    inspect_name, note = map_model(str(m), providers)
                except ValueError as ex:
                    raise OriginalFormatError(str(ex), ("global", "models", i)) from None
                if note:
                    warnings.append(note)
                models.append(inspect_name)
                origin[("models", i)] = ("global", "models", i)
            out["models"] = models
        elif key == "temperature":
            out["temperature"] = value
            origin[("temperature",)] = ("global", "temperature")
        elif key == "samples_per_condition":
            out["samples"] = value
            origin[("samples",)] = ("global", "samples_per_condition")
        elif key == "max_tokens":
            out["max_tokens"] = value
            origin[("max_tokens",)] = ("global", "max_tokens")
        elif key == "concurrency" and isinstance(value, dict):
            for ckey, cval in value.items():
                if ckey == "models" and isinstance(cval, dict):
                    for k, v in cval.items():
                        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                            raise OriginalFormatError(
                                f"a model's concurrency must be a positive integer, not {v!r}",
                                ("global", "concurrency", "models", k),
                            )
                        per_model_connections[str(k)] = v
                else:
                    ignored.append(f"global.concurrency.{ckey}")
        else:
            ignored.append(f"global.{key}")

    if per_model_connections and "models" in out:
        specs: list[Any] = []
        for original_name, inspect_name in zip(glob.get("models") or [], out["models"], strict=False):
            limit = per_model_connections.get(str(original_name))
            specs.append(
                {"model": inspect_name, "max_connections": limit} if limit else inspect_name
            )
        out["models"] = specs

    grids = []
    for i, expansion in enumerate(_listed(data.get("expansions"), ("expansions",))):
        if not isinstance(expansion, dict):
            raise OriginalFormatError("an expansion must be a mapping", ("expansions", i))
        if expansion.get("enabled", True) is False:
            warnings.append(f"expansion {expansion.get('name', i)!r} is disabled: skipped")
            continue
        for key in expansion:
            if key not in ("name", "description", "enabled", "variables"):
                ignored.append(f"expansions[{i}].{key}")
        grid: dict[str, Any] = {}
        variables = expansion.get("variables") or {}
        if not isinstance(variables, dict):
            raise OriginalFormatError("variables must be a mapping of factor lists",
                                      ("expansions", i, "variables"))
        for key, value in variables.items():
            target = {
                "scenarios": "scenarios",
                "goal_types": "goal_types",
                "goal_values": "goal_values",
                "urgency_types": "urgencies",
                "extra_system_instructions": "extra_instructions",
                "prod": "prod",
                "prod_flag": "prod",
                "test_eval_awareness": "eval_awareness",
            }.get(key)
            if target is None:
                ignored.append(f"expansions[{i}].variables.{key}")
                continue
            values = value if isinstance(value, list) else [value]
            if target == "goal_values":
                values = [v for v in values if v not in ("none", "ambiguous")]
            if target == "extra_instructions":
                values = [_EXTRA.get(v, v) for v in values]
            grid[target] = values
            origin[("grids", len(grids), target)] = ("expansions", i, "variables", key)
        origin[("grids", len(grids))] = ("expansions", i)
        grids.append(grid)
    out["grids"] = grids

    execution = data.get("execution") or {}
    if not isinstance(execution, dict):
        ignored.append("execution")
    for key, value in execution.items() if isinstance(execution, dict) else []:
        if key == "timeout_seconds":
            out["attempt_timeout"] = value
            origin[("attempt_timeout",)] = ("execution", key)
        elif key == "retries":
            out["retry_on_error"] = value
            origin[("retry_on_error",)] = ("execution", key)
        elif key == "resume_interrupted":
            if value is False:
                warnings.append(
                    "execution.resume_interrupted: false is not honoured: runs always resume"
                )
        else:
            ignored.append(f"execution.{key}")
    if ignored:
        warnings.append("not honoured (insiderbench has no equivalent): " + ", ".join(
            dict.fromkeys(ignored)
        ))
    return out, warnings, origin


def _listed(value: Any, loc: Path) -> list[Any]:
    """A list the format requires (none counts as empty); anything else is an error at `loc`."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise OriginalFormatError(f"must be a list, not {type(value).__name__}", loc)
    return value
