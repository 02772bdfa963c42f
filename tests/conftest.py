"""Shared fixtures. Tests never reach the network: models are mockllm or the embedded GGUF."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _isolate(tmp_path, monkeypatch):
    """Keep Inspect's user directories and any provider keys out of the tests.

    Inspect loads `.env` files from the working directory upwards whenever an eval starts
    (after the keys were removed here): a developer's `.env` in the checkout would hand the
    tests real keys. Each test runs in its own scratch directory (as do the subprocesses it
    starts) and Inspect's `.env` loading finds nothing.
    """
    import inspect_ai._util.dotenv as inspect_dotenv

    monkeypatch.setenv("INSPECT_LOG_DIR", str(tmp_path / "inspect-logs"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    for key in list(os.environ):
        if key.endswith("_API_KEY"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(inspect_dotenv, "find_dotenv", lambda *args, **kwargs: "")
    monkeypatch.setattr(inspect_dotenv, "dotenv_values", lambda *args, **kwargs: {})
    yield
import helpers  # noqa: F401  (registers the scripted/ test provider)
