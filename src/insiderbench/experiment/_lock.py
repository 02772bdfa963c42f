"""One run per log dir: an exclusive lock held by the process that coordinates the run.

Two runs into one log dir would both pay for every sample. The lock is taken before any
log is read and released on any exit. Locally it is a lock file under `flock`: the kernel
releases it when its process dies however it dies (SIGKILL included), so a lock left by a
dead process is taken over, never waited on. The file names its holder (pid, host, since
when, command) so the refused run can say who holds it.

Object storage has no flock: there the same end is served by a lock object written with a
conditional put (create only if absent, `If-None-Match: *`), carrying the same holder record
and a lease the holder renews (`RemoteLogDirLock`).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from insiderbench._storage import is_remote, normalized

LOCK_NAME = ".insiderbench.lock"


@dataclass(frozen=True)
class LockHolder:
    pid: int | None
    host: str
    since: str
    command: str

    def describe(self) -> str:
        return (f"pid {self.pid if self.pid is not None else '?'} on {self.host or '?'}, since "
                f"{self.since or '?'}" + (f": {self.command}" if self.command else ""))


class LogDirLocked(RuntimeError):
    """Another live run holds the log dir."""

    def __init__(self, log_dir: str, holder: LockHolder) -> None:
        self.log_dir = log_dir
        self.holder = holder
        super().__init__(f"log dir {log_dir} is in use by another run ({holder.describe()}); "
                         "wait for it to finish, or choose another --log-dir")


class LogDirLock(Protocol):
    def acquire(self) -> None: ...
    def release(self) -> None: ...


def _me() -> LockHolder:
    return LockHolder(pid=os.getpid(), host=socket.gethostname(),
                      since=datetime.now(UTC).isoformat(timespec="seconds"),
                      command=" ".join(["insiderbench", *sys.argv[1:]])[:300])


def _read_holder(path: Path) -> LockHolder:
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    pid = data.get("pid")
    return LockHolder(pid=pid if isinstance(pid, int) else None, host=str(data.get("host", "")),
                      since=str(data.get("since", "")), command=str(data.get("command", "")))


def _alive(pid: int | None) -> bool:
    if pid is None:
        return True  # unknown: assume alive rather than take over a live run's dir
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class LocalLogDirLock:
    """`flock` on `<log_dir>/.insiderbench.lock`; on a filesystem without flock, the file
    is created with O_EXCL and a lock whose holder is a dead process on this host is stale."""

    def __init__(self, log_dir: str | Path) -> None:
        self.log_dir = Path(log_dir)
        self.path = self.log_dir / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as ex:
                os.close(fd)
                if ex.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise LogDirLocked(str(self.log_dir), _read_holder(self.path)) from None
                return self._acquire_exclusive()  # no flock here (some network filesystems)
            # The file may have been released and removed between open and flock: then
            # the lock is on a file nobody else will look at; try again on the new one.
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        # Whatever the file says now was written by a process that died holding it.
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(_me().__dict__).encode())
        os.fsync(fd)
        self._fd = fd

    def _acquire_exclusive(self) -> None:
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                holder = _read_holder(self.path)
                if holder.host == socket.gethostname() and not _alive(holder.pid):
                    with contextlib.suppress(FileNotFoundError):
                        self.path.unlink()  # stale: its process is gone
                    continue
                raise LogDirLocked(str(self.log_dir), holder) from None
            os.write(fd, json.dumps(_me().__dict__).encode())
            os.fsync(fd)
            self._fd = fd
            return
        raise LogDirLocked(str(self.log_dir), _read_holder(self.path))

    def release(self) -> None:
        if self._fd is None:
            return
        # Unlink while still holding it, so no one can lock the old file after us.
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        with contextlib.suppress(OSError):
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None


LEASE_SECONDS = 60.0


class RemoteLogDirLock:
    """Object storage (s3://, gs://, ...) through fsspec: the lock object is created with a
    conditional put (`If-None-Match: *`: only if absent), so of two runs exactly one creates
    it. It carries the holder and a lease the holder renews every third of `lease` seconds;
    a lock whose lease has run out (its holder died) is taken over. Release deletes it."""

    def __init__(self, log_dir: str, lease: float = LEASE_SECONDS) -> None:
        import fsspec

        self.log_dir = log_dir.rstrip("/")
        self.path = f"{self.log_dir}/{LOCK_NAME}"
        self.lease = lease
        self.fs, _ = fsspec.core.url_to_fs(self.log_dir)
        self._token: str | None = None
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def _record(self) -> bytes:
        return json.dumps({**_me().__dict__, "token": self._token,
                           "expires": time.time() + self.lease}).encode()

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.fs.cat_file(self.path) or b"{}")
        except (FileNotFoundError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def acquire(self) -> None:
        self._token = uuid.uuid4().hex
        for _ in range(3):
            try:
                self.fs.pipe_file(self.path, self._record(), mode="create")
            except (FileExistsError, OSError) as ex:
                if not isinstance(ex, FileExistsError) and not self.fs.exists(self.path):
                    raise
                data = self._read()
                if data and float(data.get("expires", 0)) < time.time():
                    with contextlib.suppress(FileNotFoundError):
                        self.fs.rm_file(self.path)  # its holder stopped renewing: dead
                    continue
                holder = LockHolder(pid=data.get("pid"), host=str(data.get("host", "")),
                                    since=str(data.get("since", "")),
                                    command=str(data.get("command", "")))
                raise LogDirLocked(self.log_dir, holder) from None
            self._stop.clear()
            self._renewer = threading.Thread(target=self._renew, daemon=True,
                                             name="insiderbench-lock-lease")
            self._renewer.start()
            return
        raise LogDirLocked(self.log_dir, LockHolder(None, "", "", ""))

    def _renew(self) -> None:
        while not self._stop.wait(self.lease / 3):
            with contextlib.suppress(Exception):  # an endpoint away for a while
                self.fs.pipe_file(self.path, self._record())

    def release(self) -> None:
        if self._token is None:
            return
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
        # An endpoint gone at the end of a run must not turn it into a crash: the lock is
        # then left to its lease, which runs out.
        with contextlib.suppress(Exception):
            if self._read().get("token") == self._token:
                self.fs.rm_file(self.path)
        self._token = None


_held: dict[str, tuple[LogDirLock, int]] = {}


def _lock_for(log_dir: str | Path) -> tuple[str, LogDirLock]:
    # One key however the dir is spelled (re-entrance).
    key = normalized(log_dir)
    if is_remote(key):
        return key, RemoteLogDirLock(key)
    return key, LocalLogDirLock(Path(key))


@contextlib.contextmanager
def lock_log_dir(log_dir: str | Path) -> Iterator[None]:
    """Hold the log dir's lock while the block runs; re-entrant within one process (the
    CLI holds it across its reads of the logs, `run_experiment` across the run)."""
    key, lock = _lock_for(log_dir)
    if key in _held:
        held, depth = _held[key]
        _held[key] = (held, depth + 1)
    else:
        lock.acquire()
        _held[key] = (lock, 1)
    try:
        yield
    finally:
        held, depth = _held[key]
        if depth > 1:
            _held[key] = (held, depth - 1)
        else:
            del _held[key]
            held.release()
