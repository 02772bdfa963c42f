"""Resolving a model string before anything is run, with one-line errors."""

from __future__ import annotations

import os

from insiderbench.cli._errors import UserError


def provider_names(*, entry_points: bool = True) -> list[str]:
    """Every model provider Inspect knows (including ours, through the entry point).

    `entry_points=False` lists Inspect's own providers and ours without loading the other
    packages' entry points: inspect_evals' alone takes seconds to import.
    """
    from inspect_ai._util.entrypoints import ensure_entry_points
    from inspect_ai._util.registry import registry_find, registry_unqualified_name

    import insiderbench._registry  # noqa: F401  (registers `embedded`)

    if entry_points:
        ensure_entry_points()
    infos = registry_find(lambda info: info.type == "modelapi")
    names = {registry_unqualified_name(o) for o in infos}  # type: ignore[arg-type]
    return sorted(names)


def resolve_model(model: str, *, check_key: bool = True) -> str:
    """Check that the provider exists and (with check_key) can be created, key included.

    Creating an Inspect model sends nothing to the provider; it does read the key. Commands
    that send nothing (plan, conditions) check the provider name only.
    """
    if "/" not in model:
        raise UserError(
            f"model {model!r} must be written provider/model, e.g. openai/gpt-4.1 or embedded/smollm2"
        )
    provider = model.split("/", 1)[0]
    valid = provider_names(entry_points=False)
    if provider not in valid:
        valid = provider_names()
    if provider not in valid:
        raise UserError(f"unknown model provider {provider!r} (valid: {', '.join(valid)})")
    if not check_key:
        return model
    from inspect_ai.model import get_model

    try:
        get_model(model, memoize=False)
    # Providers raise many kinds of exception for a missing key or a bad name.
    except Exception as ex:  # noqa: BLE001
        from rich.text import Text

        message = " ".join(Text.from_markup(str(ex)).plain.split())
        keys = [k for k in _key_hints(provider) if not os.environ.get(k)]
        hint = f" (set {' or '.join(keys)})" if keys else ""
        raise UserError(f"cannot use model {model!r}: {message[:300]}{hint}") from None
    return model


def _key_hints(provider: str) -> list[str]:
    return {
        "openai": ["OPENAI_API_KEY"],
        "anthropic": ["ANTHROPIC_API_KEY"],
        "google": ["GOOGLE_API_KEY"],
        "grok": ["XAI_API_KEY"],
        "mistral": ["MISTRAL_API_KEY"],
        "together": ["TOGETHER_API_KEY"],
        "openrouter": ["OPENROUTER_API_KEY"],
        "groq": ["GROQ_API_KEY"],
        "fireworks": ["FIREWORKS_API_KEY"],
        "perplexity": ["PERPLEXITY_API_KEY"],
    }.get(provider, [])
