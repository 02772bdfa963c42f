"""Run the insiderbench CLI with a `counting/<reply>` provider, for crash-and-resume tests.

Every generate call appends a line to $COUNT_FILE (the provider's own count of served
replies). With $KILL_AT set, the process SIGKILLs itself when that call arrives: a hard crash
in the middle of a run, with that one sample in flight.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))

from inspect_ai.model import ChatMessage, GenerateConfig, ModelAPI, ModelOutput, modelapi
from inspect_ai.tool import ToolChoice, ToolInfo

from helpers import REPLIES, reply


@modelapi(name="counting")
class CountingModel(ModelAPI):
    def __init__(self, model_name: str, base_url: str | None = None, api_key: str | None = None,
                 config: GenerateConfig = GenerateConfig(), **model_args: Any) -> None:
        super().__init__(model_name, base_url, api_key, [], config)

    def max_connections(self) -> int:
        return 1

    async def generate(self, input: list[ChatMessage], tools: list[ToolInfo],
                       tool_choice: ToolChoice, config: GenerateConfig) -> ModelOutput:
        # Blocking file I/O on purpose: the count must be on disk before the reply returns.
        with open(os.environ["COUNT_FILE"], "a") as f:  # noqa: ASYNC230
            f.write("call\n")
        with open(os.environ["COUNT_FILE"]) as f:  # noqa: ASYNC230
            served = sum(1 for _ in f)
        kill_at = int(os.environ.get("KILL_AT", "0"))
        if kill_at and served >= kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        await asyncio.sleep(float(os.environ.get("DELAY", "0.05")))
        return reply(REPLIES[self.model_name], f"counting/{self.model_name}")


if __name__ == "__main__":
    from insiderbench.cli import main

    main(sys.argv[1:])
