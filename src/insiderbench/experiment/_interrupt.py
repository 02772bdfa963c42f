"""An interrupted run (Ctrl-C, SIGTERM) is told apart from a finished one.

Inspect handles Ctrl-C itself: the running samples are cancelled, the samples done so far
are written to a log with status `cancelled`, and `eval_set` then returns as if the set had
succeeded, with no logs (Inspect 0.3.285). SIGTERM would kill the process without any of
that; during a run it is turned into the same graceful cancel. `interrupted_by` says which
signal ended the run, or None when it ran to its end.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass
class Received:
    signum: int | None = None


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[Received]:
    """While the block runs, SIGTERM cancels the run the way Ctrl-C does (and is recorded)."""
    received = Received()
    if threading.current_thread() is not threading.main_thread():
        yield received  # signal handlers can only be set from the main thread
        return

    def on_term(signum: int, _frame: Any) -> None:
        received.signum = signum
        os.kill(os.getpid(), signal.SIGINT)  # Inspect's own graceful cancel

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        yield received
    finally:
        signal.signal(signal.SIGTERM, previous)


def interrupted_by(received: Received, tasks: int, logs: list[Any]) -> int | None:
    """The signal that ended the run early, or None when it ran to its end."""
    if received.signum is not None:
        return received.signum
    if (tasks and not logs) or any(log.status == "cancelled" for log in logs):
        return int(signal.SIGINT)
    return None
