"""Per-sample seeds: distinct, reproducible draws for every (condition, epoch)."""

from __future__ import annotations

import hashlib


def derive_seed(base: int, condition_id: str, epoch: int) -> int:
    """A seed for one (condition, epoch) derived from the run's `--seed`.

    Inspect hands one seed to every epoch, and llama.cpp restarts its generator when given a
    seed, so a shared seed would make all samples of a condition identical.
    """
    digest = hashlib.sha256(f"{base}:{condition_id}:{epoch}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF
