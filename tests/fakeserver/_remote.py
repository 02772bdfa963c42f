"""The fake server in a process of its own, so its CPU is not counted as the client's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any, Self

from fakeserver._config import ServerConfig
from fakeserver._server import API_KEY, Stats

_TESTS_DIR = str(Path(__file__).resolve().parent.parent)


class FakeServerProcess:
    """`python -m fakeserver` as a child process, controlled over HTTP."""

    def __init__(self, config: ServerConfig | None = None) -> None:
        self.config = config or ServerConfig()
        self.port = 0
        self._proc: subprocess.Popen[str] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def env(self, service: str = "fake") -> dict[str, str]:
        name = service.upper().replace("-", "_")
        return {f"{name}_BASE_URL": self.base_url, f"{name}_API_KEY": API_KEY}

    def start(self) -> Self:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [_TESTS_DIR, *filter(None, [os.environ.get("PYTHONPATH")])])}
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "fakeserver", "--config", self.config.model_dump_json()],
            stdout=subprocess.PIPE, text=True, env=env,
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line.startswith("listening "):
            self.stop()
            raise RuntimeError(f"fake server did not start: {line!r}")
        self.port = int(line.split()[1])
        return self

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def configure(self, config: ServerConfig) -> None:
        self.config = config
        self._post("/_fake/config", config.model_dump(mode="json"))

    def reset(self) -> None:
        self._post("/_fake/reset", {})

    def stats(self, records: bool = True) -> Stats:
        url = f"http://127.0.0.1:{self.port}/_fake/stats?records={int(records)}"
        with urllib.request.urlopen(url, timeout=30) as response:
            return Stats.model_validate_json(response.read())

    def _post(self, path: str, body: dict[str, Any]) -> None:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"}, method="POST",
        )
        with urllib.request.urlopen(request, timeout=30):
            pass
