"""Where a run keeps the target replies it has bought: Inspect's model response cache,
pointed into the run's own log dir for the duration of the run.

Inspect reads the cache location from `INSPECT_CACHE_DIR`, an environment variable and so
process-wide: it is set only while `run_experiment` runs (one run at a time per process;
the log dir lock keeps other processes out of the same dir) and restored afterwards. Only
the target's generate calls use the cache (`agent.reply_cache_args`); graders ask with
`cache=False`, so a re-grading is always a new judgement. Entries never expire; the cache
is removed when a run finishes with every sample done, since the logs then hold every reply.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from insiderbench._storage import is_remote, local_path
from insiderbench.agent._replies import REPLY_CACHE_ENV

CACHE_DIRNAME = ".insiderbench-replies"
_ENV_NAMES = ("INSPECT_CACHE_DIR", REPLY_CACHE_ENV)


def reply_cache_dir(log_dir: str | Path) -> Path | None:
    """The cache directory of a local log dir (None for remote log dirs: no cache there)."""
    if is_remote(log_dir):
        return None
    return local_path(log_dir).resolve() / CACHE_DIRNAME


@contextlib.contextmanager
def reply_cache(log_dir: str | Path) -> Iterator[Path | None]:
    """Keep the target's replies in `log_dir` while the block runs."""
    path = reply_cache_dir(log_dir)
    if path is None:
        yield None
        return
    saved = {name: os.environ.get(name) for name in _ENV_NAMES}
    os.environ["INSPECT_CACHE_DIR"] = str(path)
    os.environ[REPLY_CACHE_ENV] = str(path)
    try:
        yield path
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def clear_reply_cache(log_dir: str | Path) -> None:
    """Drop the kept replies: call only when every sample's reply is in the logs."""
    path = reply_cache_dir(log_dir)
    if path is not None:
        shutil.rmtree(path, ignore_errors=True)
