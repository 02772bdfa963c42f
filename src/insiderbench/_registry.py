"""Inspect entry point: registers our task and the `embedded` model provider."""

from insiderbench.providers import EmbeddedModel  # noqa: F401
from insiderbench.task import agentic_misalignment  # noqa: F401
