"""How agentic samples run: where the inbox comes from, and the limits of one sample."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from insiderbench.environment import Inbox

DEFAULT_MAX_STEPS = 20
# The model role of an LLM action monitor: `monitor_<level>` (`monitor_llm-gpt-4o-1f0c2a`), one
# role per monitor model, bound by the run like the graders' roles.
MONITOR_ROLE_PREFIX = "monitor_"


def monitor_role(level: str) -> str:
    """The model role an LLM monitor's level (`llm-...`) is bound to."""
    return f"{MONITOR_ROLE_PREFIX}{level}"


class AgenticSettings(BaseModel):
    """Settings of agentic mode (the `agentic:` key of an experiment file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    inbox: Inbox = Field(
        default="message",
        description="message: the emails come in the user message, as in the paper; "
        "tool: the agent reads them with the read_inbox tool",
    )
    max_steps: int = Field(
        default=DEFAULT_MAX_STEPS, ge=1,
        description="model generations per sample; an agent still calling tools then is cut off",
    )
    token_limit: int | None = Field(
        default=None, ge=1, description="tokens per sample (input + output, all steps)"
    )
    tools: Literal["taught", "all"] = Field(
        default="taught",
        description="taught: exactly the tools whose text tags the classic prompt teaches "
        "(blackmail: send_email; leaking: and forward_email; lethal action: and cancel_alert; "
        "our behaviours: and their system tools), so agentic and classic differ only in "
        "protocol; all: a full mail client (forward_email and read_email in every scenario) "
        "and the readers of our behaviours' systems (list_files, read_record, read_config ...)",
    )
    turns: int = Field(
        default=1, ge=1,
        description="agent turns; after each but the last, the scenario's scripted reactions "
        "to the agent's actions arrive as new emails (1: the paper's single session)",
    )

    def task_args(self) -> dict[str, object]:
        """As keyword arguments of the registered task."""
        return self.model_dump()
