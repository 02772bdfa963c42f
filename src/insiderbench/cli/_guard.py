"""Guards a command takes on its log dir before it calls anyone: the run's lock, and proof
that the logs it will rewrite are writable."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from insiderbench._storage import is_remote, local_path
from insiderbench.cli._errors import UserError


@contextlib.contextmanager
def _holding(log_dir: Path | str) -> Iterator[None]:
    from insiderbench.experiment import LogDirLocked, lock_log_dir

    try:
        lock = lock_log_dir(log_dir)
        lock.__enter__()
    except LogDirLocked as ex:
        raise UserError(str(ex)) from None
    except Exception as ex:
        if is_remote(log_dir):  # the store did not answer, or refused
            from insiderbench.cli._inputs import unreachable

            raise unreachable(log_dir, ex) from None
        if not isinstance(ex, OSError):
            raise
        raise UserError(f"cannot lock log dir {str(log_dir)!r}: {ex.strerror or ex}") from None
    try:
        yield
    finally:
        lock.__exit__(None, None, None)


def hold_log_dir(log_dir: Path | str) -> None:
    """Lock the log dir until the command ends, however it ends; a dir another live run
    holds is a one-line error (exit 2) naming that run."""
    click.get_current_context().with_resource(_holding(log_dir))


def check_writable_logs(log_dir: str, logs: list[Any]) -> None:
    """Refuse, before any grader is called, to re-grade logs that cannot be written back.

    Each log is rewritten in place (a new file beside it, renamed over it), so the dir must
    take new files and each log must be writable. Both are tried, not inferred from the
    permission bits, which say nothing of read-only mounts or immutable files. On object
    storage a small object is written and deleted (each log is then replaced in one put).
    """
    if is_remote(log_dir):
        from insiderbench.cli._inputs import writable_dir

        writable_dir(log_dir)
        return
    try:
        with tempfile.NamedTemporaryFile(dir=log_dir, prefix=".write-test-"):
            pass
    except OSError as ex:
        raise UserError(f"log dir {log_dir!r} is not writable ({ex.strerror or ex}): the "
                        "re-graded logs could not be written back") from None
    for log in logs:
        if is_remote(log.location):
            continue
        path = str(local_path(log.location))
        try:
            with open(path, "ab"):
                pass
        except OSError as ex:
            raise UserError(f"log {path!r} is not writable ({ex.strerror or ex}): it could "
                            "not be re-graded in place") from None
