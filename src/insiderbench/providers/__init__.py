"""Model providers we add to Inspect: the embedded offline default model."""

from insiderbench.providers._embedded import (
    DEFAULT_MAX_TOKENS,
    EMBEDDED_MODEL,
    EmbeddedModel,
    EmbeddedModelError,
    load_llama,
    quiet_native_stderr,
    weights_path,
)

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "EMBEDDED_MODEL",
    "EmbeddedModel",
    "EmbeddedModelError",
    "load_llama",
    "quiet_native_stderr",
    "weights_path",
]
