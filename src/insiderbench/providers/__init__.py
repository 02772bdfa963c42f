"""Model providers we add to Inspect: the embedded offline default model."""

from typing import TYPE_CHECKING

from insiderbench._exports import lazy_exports

if TYPE_CHECKING:
    from insiderbench.providers._embedded import (
        DEFAULT_MAX_TOKENS,
        EMBEDDED_MODEL,
        EmbeddedModel,
        EmbeddedModelError,
        load_llama,
        load_tokenizer,
        quiet_native_stderr,
        weights_path,
    )

__getattr__, __dir__, __all__ = lazy_exports(globals())
