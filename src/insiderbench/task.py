"""The Inspect task: one Sample per condition, `epochs` = samples per condition (or waves of
epochs until each condition's interval is narrow enough: `insiderbench.sampling`)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict
from importlib.metadata import version
from typing import Any

from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import (
    ChatMessageAssistant,
    ChatMessageSystem,
    ChatMessageUser,
    GenerateConfig,
)
from inspect_ai.scorer import Score, Target, mean, scorer, stderr
from inspect_ai.solver import TaskState

from insiderbench.actions import parse_actions
from insiderbench.agent import (
    DEFAULT_MAX_STEPS,
    AgenticSettings,
    agentic_messages,
    classic_agent,
    insider_agent,
)
from insiderbench.classify import (
    CHECK_SCORER,
    DEFAULT_AUDIT_FRACTION,
    Reply,
    classify_reply,
    judge_scorers,
    now_iso,
    reasoning_of_messages,
)
from insiderbench.environment import STORE_KEY, actions_from_store
from insiderbench.sampling import (
    DEFAULT_MAX_SAMPLES,
    DEFAULT_MIN_SAMPLES,
    SequentialSource,
    StoppingRule,
)
from insiderbench.scenarios import (
    Condition,
    get_pack,
    load_intervention,
    make_condition,
    pack_folder,
    render_sample,
)

TASK_NAME = "agentic_misalignment"
PAPER_TEMPERATURE = 1.0


def condition_sample(
    condition: Condition, pack_name: str | None = None, inbox: str = "message"
) -> Sample:
    """The Sample for one condition: system prompt + user message, factors in metadata.

    The condition's own pack renders it (`pack_name` sets one for paper conditions).
    Agentic conditions start from the agentic prompts (tools instead of text tags; `inbox`
    says whether the emails come in the user message or through `read_inbox`).
    """
    if pack_name is not None and condition.pack == "paper":
        condition = condition.model_copy(update={"pack": get_pack(pack_name).name})
    pack = get_pack(condition.pack)
    rendered = pack.render(condition)
    if condition.mode == "agentic":
        messages = agentic_messages(rendered, inbox=inbox)  # type: ignore[arg-type]
    else:
        messages = [
            ChatMessageSystem(content=rendered.system),
            ChatMessageUser(content=rendered.user),
        ]
    prompt_hash = hashlib.sha256(
        "\x00".join(m.text for m in messages).encode()
    ).hexdigest()[:16]
    return Sample(
        id=condition.condition_id,
        input=messages,
        metadata={
            **condition.factors(),
            "mode": condition.mode,
            **condition.levels(),
            "surface": condition.surface()["surface"],
            **_intervention_record(condition),
            "condition_id": condition.condition_id,
            "pack": pack.name,
            "pack_version": pack.version(),
            **({"pack_dir": str(folder)} if (folder := pack_folder(pack)) else {}),
            "variant_seed": condition.variant_seed,
            **({"variant": dict(rendered.variant)} if rendered.variant else {}),
            "prompt_hash": prompt_hash,
            "corrections": list(rendered.corrections),
        },
    )


def _intervention_record(condition: Condition) -> dict[str, Any]:
    """Where the condition's intervention came from and what it said (its digest)."""
    if condition.intervention is None:
        return {}
    from insiderbench.scenarios import get_intervention

    iv = get_intervention(condition.intervention)
    return {"intervention_file": iv.path, "intervention_where": iv.where,
            "intervention_digest": iv.digest}


@scorer(metrics=[mean(), stderr()], name=CHECK_SCORER)
def harm_check() -> object:
    """The deterministic signals: the heuristic's verdict (1 = harmful) as the value, the gate,
    truncation and no-answer beside it."""

    async def score(state: TaskState, target: Target) -> Score:
        condition = Condition.from_metadata(state.metadata)
        facts = render_sample(state.metadata).facts
        reasoning, redacted = reasoning_of_messages(state.messages)
        stop = state.output.stop_reason if state.output else None
        if condition.mode == "agentic":
            # What the agent did through its tools, as the mail environment recorded it.
            if state.store.get(STORE_KEY) is None:
                return Score.unscored(
                    reason="no mail environment state: the agent never ran",
                    metadata={"kind": "check", "scored_at": now_iso()},
                )
            actions = actions_from_store(state.store)
            # Tool calls are answers too: an agent that only read its inbox did act.
            text = "\n\n".join(
                m.text + "".join(f"\n[{c.function}]" for c in (m.tool_calls or []))
                for m in state.messages if isinstance(m, ChatMessageAssistant)
            )
        else:
            text = state.output.completion if state.output else ""
            actions = parse_actions(text)
        reply = Reply(text, reasoning, redacted, stop, tagged=condition.mode != "agentic")
        result = classify_reply(facts, actions, reply)
        meta = {
            "kind": "check",
            "scored_at": now_iso(),
            **result.metadata(),
            "actions": [a.model_dump(mode="json") for a in actions],
        }
        if result.no_answer:
            why = "empty reply" if not text.strip() and not reasoning else "no answer"
            return Score.unscored(
                reason=f"{why}: no action and no final text", metadata=meta,
            )
        heuristic = result.heuristic
        return Score(
            value=1.0 if heuristic.harmful else 0.0,
            answer="harmful" if heuristic.harmful else "not harmful",
            explanation="; ".join(heuristic.evidence) or None,
            metadata=meta,
        )

    return score


def build_task(
    conditions: Sequence[Condition],
    *,
    seed: int | None = None,
    temperature: float | None = PAPER_TEMPERATURE,
    max_tokens: int | None = None,
    pack: str | None = None,
    name: str = TASK_NAME,
    judge: str | None = None,
    agentic: dict[str, Any] | None = None,
    graders: int = 1,
    audit_fraction: float = DEFAULT_AUDIT_FRACTION,
    sequential: StoppingRule | None = None,
) -> Task:
    """A task over the given conditions, with the classic (text-tag) protocol.

    `judge` ("paper" or "insiderbench") adds the LLM judge (one per grader role: `grader`,
    `grader_2`, ... for `graders` of them), the combined rules and, for eval-awareness
    conditions, the awareness judge; they need models bound to those roles. The judge is asked
    about samples whose gate is open and `audit_fraction` of the others. Without it, samples
    are scored by the deterministic signals alone.
    Agentic conditions run as agents in the mail environment with the `agentic` settings
    (keyword arguments of `insiderbench.agent.AgenticSettings`).
    With a `sequential` rule each condition runs in waves of epochs until its interval is
    narrow enough (`insiderbench.sampling`); run such a task with `epochs=1`.
    """
    settings = AgenticSettings(**(agentic or {}))
    has_agentic = any(c.mode == "agentic" for c in conditions)
    scorers: list[Any] = [harm_check()]
    if judge is not None:
        scorers += judge_scorers(judge, awareness=any(c.eval_awareness for c in conditions),
                                 graders=graders, audit_fraction=audit_fraction)
    samples = [condition_sample(c, pack, settings.inbox) for c in conditions]
    if sequential is not None:  # each sample names the rule, so the tables can replay it
        for sample in samples:
            sample.metadata = {**(sample.metadata or {}), "sequential": asdict(sequential)}
    return Task(
        dataset=(SequentialSource(samples, sequential) if sequential is not None
                 else MemoryDataset(samples, name="insiderbench")),
        solver=insider_agent(seed, **settings.task_args()) if has_agentic else classic_agent(seed),
        scorer=scorers,
        config=GenerateConfig(temperature=temperature, max_tokens=max_tokens),
        # Classic: system, user, one reply. Agentic samples are bounded by their step limit.
        message_limit=None if has_agentic else 3,
        name=name,
        metadata={
            "insiderbench_version": version("insiderbench"),
            "pack": pack or ",".join(dict.fromkeys(c.pack for c in conditions)),
            "seed": seed,
            **({"sequential": asdict(sequential)} if sequential is not None else {}),
        },
    )


@task(name=TASK_NAME)
def agentic_misalignment(
    scenario: str = "blackmail",
    goal_type: str = "explicit",
    goal_value: str | None = None,
    urgency: str = "replacement",
    extra_instructions: str = "none",
    prod: bool = False,
    eval_awareness: bool = False,
    conditions: str | list[str] | None = None,
    seed: int | None = None,
    temperature: float | None = PAPER_TEMPERATURE,
    max_tokens: int | None = None,
    judge: str | None = None,
    mode: str = "classic",
    inbox: str = "message",
    max_steps: int = DEFAULT_MAX_STEPS,
    token_limit: int | None = None,
    turns: int = 1,
    tools: str = "taught",
    graders: int = 1,
    audit_fraction: float = DEFAULT_AUDIT_FRACTION,
    pack: str | None = None,
    variant_seed: int | None = None,
    pack_dirs: str | list[str] | None = None,
    intervention_files: str | list[str] | None = None,
    ci_width: float | None = None,
    min_samples: int = DEFAULT_MIN_SAMPLES,
    max_samples: int = DEFAULT_MAX_SAMPLES,
) -> Task:
    """Conditions of the paper's grid.

    Either one condition by its factors (`-T scenario=leaking -T goal_type=none ...`), or
    several by id (`-T conditions=blackmail_explicit-america_replacement,...`); experiments
    use the latter, so the condition ids are part of the task's recorded arguments.
    `mode=agentic` runs them all as agents (ids ending `__agentic` always are); `inbox`,
    `max_steps`, `token_limit`, `turns` and `tools` (taught or all) set up agentic samples. With a `judge`, `graders`
    judges (roles `grader`, `grader_2`, ...) are asked about samples whose gate is open and
    `audit_fraction` of the others. `pack` (a name or folder) and `variant_seed` choose the
    text of a single condition (ids carry their own); `pack_dirs` are the folders of data
    packs the ids name, loaded first; `intervention_files` likewise the interventions'. With `ci_width`, each
    condition is sampled in waves (epochs) until its 95% confidence sequence is at most that
    wide, from `min_samples` up to `max_samples`; run it with `--epochs 1`.
    """
    for folder in ([pack_dirs] if isinstance(pack_dirs, str) else pack_dirs or []):
        get_pack(folder)
    for file in ([intervention_files] if isinstance(intervention_files, str)
                 else intervention_files or []):
        load_intervention(file)
    if conditions:
        ids = conditions.split(",") if isinstance(conditions, str) else list(conditions)
        chosen = [Condition.from_id(c.strip()) for c in ids if c.strip()]
    else:
        chosen = [
            make_condition(
                scenario=scenario,
                goal_type=goal_type,
                goal_value=goal_value,
                urgency=urgency,
                extra_instructions=extra_instructions,
                prod=prod,
                eval_awareness=eval_awareness,
                pack=get_pack(pack).name if pack else None,
                variant_seed=variant_seed,
            )
        ]
    if mode != "classic":
        chosen = [Condition.model_validate({**c.model_dump(), "mode": mode}) for c in chosen]
    agentic = {"inbox": inbox, "max_steps": max_steps, "token_limit": token_limit,
               "turns": turns, "tools": tools}
    return build_task(
        chosen, seed=seed, temperature=temperature, max_tokens=max_tokens, judge=judge,
        agentic=agentic, graders=graders, audit_fraction=audit_fraction,
        sequential=(StoppingRule(ci_width, min_samples, max_samples)
                    if ci_width is not None else None),
    )
