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


@contextlib.contextmanager
def completion_message_held() -> Iterator[list[tuple[tuple[Any, ...], dict[str, Any]]]]:
    """Hold back eval_set's "Completed all tasks ... successfully" (it prints it after a
    Ctrl-C too); the caller prints what was held once it knows the run was not interrupted."""
    from rich.console import Console

    # On the class: Inspect's display reconfigures the global console (its __dict__ is
    # replaced), which would drop a patch on the instance.
    original = Console.print
    held: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def print_(self: Console, *objects: Any, **kwargs: Any) -> None:
        if any("Completed all tasks" in str(o) for o in objects):
            held.append((objects, kwargs))
            return
        original(self, *objects, **kwargs)

    Console.print = print_  # type: ignore[method-assign]
    try:
        yield held
    finally:
        Console.print = original  # type: ignore[method-assign]


def print_held(held: list[tuple[tuple[Any, ...], dict[str, Any]]]) -> None:
    import rich

    for objects, kwargs in held:
        rich.get_console().print(*objects, **kwargs)
