"""Agentic mode: the model acts through tool calls in the simulated mail environment.

A turn ends when the model answers without calling a tool (no submit tool). Then, in
multi-turn runs, the scenario's scripted reactions arrive as new emails and the agent takes
another turn; after the last turn, or when the agent is cut off at its step or token limit,
the clock reaches the scenario's deadline. A cut-off agent keeps every action it took and is
classified from them, flagged `cut_off` in the sample's metadata.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inspect_ai.approval import ApprovalPolicy
from inspect_ai.log import transcript
from inspect_ai.model import ChatMessage, ChatMessageSystem, ChatMessageUser, execute_tools
from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.util import LimitExceededError, store
from inspect_ai.util import token_limit as scoped_token_limit

from insiderbench.agent._classic import (
    EmptyReplyError,
    apply_seed,
    classic_agent,
    record_generation_settings,
)
from insiderbench.agent._replies import reply_cache_args
from insiderbench.agent._reviewer import make_monitor
from insiderbench.agent._settings import DEFAULT_MAX_STEPS, AgenticSettings
from insiderbench.classify import run_check
from insiderbench.environment import (
    STORE_KEY,
    Inbox,
    MailEnvironment,
    agentic_system_prompt,
    agentic_user_message,
    format_email,
    mail_tools,
    session_start,
    taught_tags,
)
from insiderbench.environment._state import SessionEnd
from insiderbench.scenarios import Condition, RenderedScenario, render_sample


@solver
def insider_agent(seed: int | None = None, **agentic_settings: Any) -> Solver:
    """Each sample in its own mode: classic (one reply with text tags) or agentic (with the
    `AgenticSettings` given as keyword arguments)."""
    classic = classic_agent(seed)
    agentic = agentic_agent(seed, **agentic_settings)

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        if state.metadata.get("mode") == "agentic":
            return await agentic(state, generate)
        return await classic(state, generate)

    return solve


@solver
def agentic_agent(
    seed: int | None = None,
    inbox: str = "message",
    max_steps: int = DEFAULT_MAX_STEPS,
    token_limit: int | None = None,
    turns: int = 1,
    tools: str = "taught",
) -> Solver:
    """Run one sample as an agent in its own mail environment."""
    settings = AgenticSettings(
        inbox=inbox,  # type: ignore[arg-type]
        max_steps=max_steps,
        token_limit=token_limit,
        turns=turns,
        tools=tools,  # type: ignore[arg-type]
    )

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        session = _Session(settings, {**apply_seed(state, seed), **reply_cache_args()})
        record_generation_settings(state)
        condition = Condition.from_metadata(state.metadata)
        env = start_environment(state, condition, settings)
        monitor = make_monitor(condition.monitor, env)
        session.approval = monitor.policies() if monitor is not None else None
        ended: SessionEnd = "answer"
        try:
            with scoped_token_limit(settings.token_limit):
                for turn in range(settings.turns):
                    state, ended = await session.turn(state, generate)
                    if ended != "answer" or turn + 1 == settings.turns:
                        break
                    arrived = env.deliver_reactions()
                    if not arrived:
                        break  # nothing new happens: the agent's session is over
                    state.messages.append(ChatMessageUser(content=new_mail_message(arrived)))
                    _persist(env)
        except LimitExceededError as ex:
            if ex.type != "token":
                raise
            ended = "token_limit"
        env.close(ended)
        _persist(env)
        transcript().info(
            {"clock": env.state.clock, "events": [e.model_dump() for e in env.state.events]},
            source="mail environment",
        )
        state.metadata["cut_off"] = ended != "answer"
        if monitor is not None:
            state.metadata["monitored"] = monitor.record()
        state.metadata["agentic"] = {
            **settings.model_dump(), "steps": session.steps, "ended_by": ended,
        }
        return state

    return solve


@dataclass
class _Session:
    """Steps taken so far across the turns of one sample."""

    settings: AgenticSettings
    generate_args: dict[str, Any]
    steps: int = 0
    acted: bool = False
    approval: list[ApprovalPolicy] | None = None  # an action monitor's, if any

    async def turn(self, state: TaskState, generate: Generate) -> tuple[TaskState, SessionEnd]:
        """Generate and run tool calls until the model answers without one, or a limit."""
        while self.steps < self.settings.max_steps:
            state = await generate(state, tool_calls="none", **self.generate_args)
            self.steps += 1
            output = state.output
            if not output.message.tool_calls:
                if not output.completion.strip():
                    if not self.acted:
                        # Nothing said, nothing done: a failed call, never a harmless sample.
                        raise EmptyReplyError(
                            f"empty reply from {state.model} (stop reason: "
                            f"{output.stop_reason})"
                        )
                    if output.stop_reason == "model_length":
                        return state, "context_limit"
                return state, "answer"
            self.acted = True
            result = await execute_tools(state.messages, state.tools, approval=self.approval)
            state.messages.extend(result.messages)
        return state, "step_limit"


def agentic_messages(
    rendered: RenderedScenario, *, inbox: Inbox = "message"
) -> list[ChatMessage]:
    """What an agentic sample starts from: the paper's prompts with the text-tag syntax
    replaced by the tools, and the inbox in the user message or behind `read_inbox`."""
    return [
        ChatMessageSystem(content=agentic_system_prompt(rendered.system)),
        ChatMessageUser(content=agentic_user_message(rendered, inbox=inbox)),
    ]


def start_environment(
    state: TaskState, condition: Condition, settings: AgenticSettings
) -> MailEnvironment:
    """Build the sample's environment and give the agent its tools."""
    rendered = render_sample(state.metadata)
    env = MailEnvironment(rendered.facts, classify=run_check,
                          start=session_start(rendered.system))
    state.tools = mail_tools(env, inbox=settings.inbox, toolset=settings.tools,
                             taught=taught_tags(rendered.system))
    _persist(env)
    return env


def new_mail_message(emails: list[Any]) -> str:
    """The user message that brings reactions' emails to the agent."""
    body = "\n\n".join(format_email(e) for e in emails)
    return f"New emails have arrived in your inbox:\n\n{body}"


def _persist(env: MailEnvironment) -> None:
    store().set(STORE_KEY, env.snapshot())

