"""Shared fixtures. Tests never reach the network: models are mockllm or the embedded GGUF."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _isolate(tmp_path, monkeypatch):
    """Keep Inspect's user directories and any provider keys out of the tests."""
    monkeypatch.setenv("INSPECT_LOG_DIR", str(tmp_path / "inspect-logs"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    for key in list(os.environ):
        if key.endswith("_API_KEY"):
            monkeypatch.delenv(key, raising=False)
    yield
import helpers  # noqa: F401  (registers the scripted/ test provider)
