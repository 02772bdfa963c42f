"""Headless Chromium driven over the DevTools protocol (a websocket on 127.0.0.1).

Just enough of the protocol to open a page, run JavaScript in it, and collect what it logged,
threw and requested. Debian's `chromium` package provides the browser.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--no-first-run", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--mute-audio",
)


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def require_chromium() -> str:
    """The browser's path. Without one a test skips, with the reason; in CI (`CI=true`) it
    fails, so a CI machine that lost its browser cannot pass the report tests unseen."""
    import pytest

    path = chromium_path()
    if path is None:
        why = "chromium is not installed (apt-get install chromium; .ci/run installs it)"
        if in_ci():
            pytest.fail(f"CI=true: {why}", pytrace=False)
        pytest.skip(why)
    return path


@dataclass
class Page:
    """One tab: what it logged (console errors, exceptions) and every URL it requested."""

    ws: Any
    session: str
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    _next: int = 0

    def _record(self, msg: dict[str, Any]) -> None:
        method, params = msg.get("method"), msg.get("params", {})
        self.events.append(msg)
        if method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            self.errors.append(f"exception: {text}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.errors.append("console: " + " ".join(str(a.get("value", a.get("description")))
                                                      for a in params.get("args", [])))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            self.errors.append(f"log: {params['entry'].get('text')}")
        elif method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"])

    def call(self, method: str, params: dict[str, Any] | None = None,
             timeout: float = 30) -> dict[str, Any]:
        self._next += 1
        msg_id = self._next
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params or {},
                                 "sessionId": self.session}))
        deadline = time.monotonic() + timeout
        while True:
            msg = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if msg.get("sessionId") == self.session:
                self._record(msg)

    def wait_for(self, method: str, timeout: float = 30) -> dict[str, Any]:
        for msg in self.events:
            if msg.get("method") == method:
                return msg
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if msg.get("sessionId") == self.session:
                self._record(msg)
                if msg.get("method") == method:
                    return msg
        raise TimeoutError(method)

    def settle(self, seconds: float = 0.5) -> None:
        """Collect the events that arrive within `seconds` (late errors and requests)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                msg = json.loads(self.ws.recv(timeout=left))
            except TimeoutError:
                return
            if msg.get("sessionId") == self.session:
                self._record(msg)

    def eval(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", {"expression": expression,
                                                "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")


class Browser:
    """`with Browser() as b: page = b.open(url)`; the browser process ends with the block."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path or chromium_path()
        if self.path is None:
            raise FileNotFoundError("chromium")
        self._profile = tempfile.TemporaryDirectory(prefix="ib-chromium-",
                                                    ignore_cleanup_errors=True)
        self.proc: subprocess.Popen[bytes] | None = None
        self.ws: Any = None

    def __enter__(self) -> Self:
        from websockets.sync.client import connect

        self.proc = subprocess.Popen(
            [self.path, *FLAGS, f"--user-data-dir={self._profile.name}",
             "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
             "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        # With port 0 Chromium picks a free port and writes it, and the browser's websocket
        # path, into DevToolsActivePort in its profile directory.
        active = Path(self._profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        url = None
        while time.monotonic() < deadline and self.proc.poll() is None:
            lines = active.read_text().split() if active.exists() else []
            if len(lines) >= 2:
                url = f"ws://127.0.0.1:{lines[0]}{lines[1]}"
                break
            time.sleep(0.1)
        if url is None:
            self.__exit__(None, None, None)
            raise RuntimeError("chromium did not open its DevTools port")
        self.ws = connect(url, max_size=None, open_timeout=30)
        return self

    def _browser_call(self, method: str, params: dict[str, Any], msg_id: int) -> dict[str, Any]:
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=30))
            if msg.get("id") == msg_id:
                return msg["result"]

    def open(self, url: str, timeout: float = 30) -> Page:
        target = self._browser_call("Target.createTarget", {"url": "about:blank"}, 1_000_001)
        attached = self._browser_call("Target.attachToTarget",
                                      {"targetId": target["targetId"], "flatten": True},
                                      1_000_002)
        page = Page(self.ws, attached["sessionId"])
        for domain in ("Runtime", "Log", "Network", "Page"):
            page.call(f"{domain}.enable")
        page.call("Page.navigate", {"url": url})
        page.wait_for("Page.loadEventFired", timeout)
        page.settle(0.3)
        return page

    def __exit__(self, *exc: object) -> None:
        if self.ws is not None:
            self.ws.close()
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        # Chromium's helper processes can outlive the browser for a moment and still write to
        # the profile: retry the removal, then leave what remains to the system's /tmp.
        for _ in range(10):
            try:
                shutil.rmtree(self._profile.name)
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.3)
        self._profile.cleanup()
