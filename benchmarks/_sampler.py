"""How much of the main thread's time goes to one package's code: a stack sampler.

Every `interval` seconds a background thread looks at the main thread's stack. A sample
counts for the package when, walking out from the innermost frame, a frame of the package
comes before any frame of Inspect: so Inspect's own work that our solver awaits (the model
call) is Inspect's, and library calls our scorer makes (pydantic, re) are ours. The main
thread runs the event loop, so a sample that is ours is CPU spent in our code; samples of
an idle loop land in `select`, which is nobody's. Package-agnostic, so it keeps measuring
as the code changes, and cheap enough (about 1% at 2 ms) to leave on during a benchmark.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from types import FrameType
from typing import Self


@dataclass
class OwnTime:
    """The sampled time of one package, in seconds, with the functions it went to."""

    seconds: float = 0.0
    samples: int = 0
    total_samples: int = 0
    by_function: Counter[str] = field(default_factory=Counter)

    def top(self, n: int = 8) -> list[tuple[str, float]]:
        scale = self.seconds / self.samples if self.samples else 0.0
        return [(name, count * scale) for name, count in self.by_function.most_common(n)]


class StackSampler:
    def __init__(self, package_dirs: list[str], *, boundary: str = "/inspect_ai/",
                 interval: float = 0.002) -> None:
        self.package_dirs = package_dirs
        self.boundary = boundary
        self.interval = interval
        self.result = OwnTime()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._main = threading.main_thread().ident

    def __enter__(self) -> Self:
        # The main thread hands the GIL over within this interval of the sampler asking for
        # it. At the default 5 ms a short burst of our code would end (the loop goes back to
        # waiting on sockets) before the sampler got to look: it would be missed.
        self._switch = sys.getswitchinterval()
        sys.setswitchinterval(self.interval / 20)
        self._thread = threading.Thread(target=self._run, name="stack-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        sys.setswitchinterval(self._switch)

    def _run(self) -> None:
        last = time.perf_counter()
        while not self._stop.wait(self.interval):
            now = time.perf_counter()
            elapsed, last = now - last, now
            frame = sys._current_frames().get(self._main)
            self.result.total_samples += 1
            owner = self._owner(frame)
            if owner is not None:
                self.result.samples += 1
                self.result.seconds += elapsed
                self.result.by_function[owner] += 1

    def _owner(self, frame: FrameType | None) -> str | None:
        """The package's outermost-before-Inspect function on this stack, or None."""
        owner = None
        while frame is not None:
            filename = frame.f_code.co_filename
            if any(d in filename for d in self.package_dirs):
                owner = f"{filename.rsplit('/', 1)[-1]}:{frame.f_code.co_name}"
                return owner
            if self.boundary in filename:
                return None
            frame = frame.f_back
        return owner
