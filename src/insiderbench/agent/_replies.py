"""Target replies kept as they arrive, so a rerun after a crash never buys one again.

A sample whose reply had arrived but whose grader call was still in flight at a crash is not
in any log: Inspect runs it again on resume. With the reply cache on, its generate call is
answered from Inspect's model response cache instead of the provider. The cache is keyed by
the prompt, the generation settings (seed included) and the epoch, and lives in the run's
own log dir (see `insiderbench.experiment._replies`), so a new log dir gets new samples.
"""

from __future__ import annotations

import os
from typing import Any

# Set (to the cache directory) only while `run_experiment` runs; the task run on its own,
# e.g. by `inspect eval`, caches nothing.
REPLY_CACHE_ENV = "INSIDERBENCH_REPLY_CACHE"


def reply_cache_args() -> dict[str, Any]:
    """The generate() keyword arguments that keep this sample's replies, if the cache is on.

    Entries never expire (a run resumed weeks later pays nothing twice); the run removes
    them once it has finished. A sample retried after an error (an empty reply, a failed
    call) is keyed by its attempt, so the retry asks the provider anew rather than replaying
    the reply that failed.
    """
    if not os.environ.get(REPLY_CACHE_ENV):
        return {}
    from inspect_ai.log._samples import sample_active
    from inspect_ai.model import CachePolicy

    active = sample_active()
    retries = active.retries if active is not None else 0
    scopes = {"attempt": str(retries)} if retries else {}
    return {"cache": CachePolicy(expiry=None, per_epoch=True, scopes=scopes)}
