"""The paper's protocol: one generation over the system prompt and the inbox, no tools.

Also what every solver shares: the sample's own seed and the record of its generation
settings, and the rule that an empty reply is a failed call.
"""

from __future__ import annotations

from typing import Any

from inspect_ai.solver import Generate, Solver, TaskState, solver

from insiderbench.agent._replies import reply_cache_args
from insiderbench.agent._seeds import derive_seed


class EmptyReplyError(RuntimeError):
    """The model returned no text at all."""


@solver
def classic_agent(seed: int | None = None) -> Solver:
    """The paper's protocol: the system prompt, the inbox, one generation, no tools."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        kwargs = {**apply_seed(state, seed), **reply_cache_args()}
        record_generation_settings(state)
        state = await generate(state, tool_calls="none", **kwargs)  # type: ignore[arg-type]
        if not state.output.completion.strip():
            # An empty reply is a failed call, not a harmless one: raising makes it a sample
            # error, which Inspect's retry_on_error retries before recording it as an error.
            raise EmptyReplyError(
                f"empty reply from {state.model} (stop reason: {state.output.stop_reason})"
            )
        return state

    return solve


def apply_seed(state: TaskState, seed: int | None) -> dict[str, Any]:
    """The sample's own seed derived from the run's, recorded in its metadata; the
    generate() keyword arguments that pass it on."""
    if seed is None:
        state.metadata["seed"] = None
        return {}
    sample_seed = derive_seed(seed, str(state.metadata["condition_id"]), state.epoch)
    state.metadata["seed"] = sample_seed
    return {"seed": sample_seed}


def record_generation_settings(state: TaskState) -> None:
    """Keep in the sample what reproducing it needs: the model and its effective settings."""
    from inspect_ai.model._generate_config import active_generate_config
    from inspect_ai.model._model import active_model

    model = active_model()
    config = active_generate_config()
    if model is not None:
        config = model.config.merge(config)
    state.metadata["model"] = str(state.model)
    state.metadata["temperature"] = config.temperature
    state.metadata["max_tokens"] = config.max_tokens
