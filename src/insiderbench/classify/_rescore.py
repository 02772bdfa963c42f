"""Re-grading stored transcripts with a judge, without calling the models under test.

The new scores are appended to each sample beside the old ones (the newest decided score of
each kind is in effect, see `classify.latest_scores`), and the log is written back in place,
atomically: a crash mid-way leaves the old log intact. The log header is left as it was, so the
experiment's task identity, and with it `run`'s resume, is unchanged.

Samples stream through: at most `max_open` are in memory at once (read from the old log,
judged, written to the new one), so a log of the paper's full grid (23,400 samples per
model) re-grades in bounded memory.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import anyio
from inspect_ai.log import (
    EvalLog,
    EvalSample,
    read_eval_log,
    read_eval_log_sample_async,
    read_eval_log_sample_summaries,
)
from inspect_ai.model import Model, get_model

from insiderbench._storage import basename, filesystem, is_remote, local_path, upload
from insiderbench.classify._judges import check_judge
from insiderbench.classify._scorers import judge_scorers
from insiderbench.classify._scores import GRADER_ROLE

DEFAULT_MAX_OPEN = 64


def rescore_log(
    location: str, *, grader: Model, judge: str, display: str = "none",
    max_open: int = DEFAULT_MAX_OPEN, on_sample: Callable[[EvalSample], None] | None = None,
) -> EvalLog:
    """Judge every sample of the log at `location` again and write the log back.

    The model the log was generated with is never instantiated (so its API key is not
    needed): scoring runs with Inspect's `none` model active, which raises if called, and
    the original model roles are not rebuilt either; only the grader is bound.
    `on_sample` sees each sample once it is scored (to tabulate without reading the log
    again). Returns the new log's header.

    A log on object storage is copied here, re-graded, and put back in one put, which
    replaces the object whole (readers see the old log or the new, never a part).
    """
    check_judge(judge)
    if is_remote(location):
        fs, remote = filesystem(location)
        with tempfile.TemporaryDirectory(prefix="insiderbench-rescore-") as tmp:
            copy = Path(tmp) / basename(location)
            fs.get_file(remote, str(copy))
            rescore_log(str(copy), grader=grader, judge=judge, display=display,
                        max_open=max_open, on_sample=on_sample)
            upload(copy, location)
        return read_eval_log(location, header_only=True)
    path = local_path(location)
    tmp = path.with_name(path.name + ".rescoring")
    try:
        anyio.run(_rescore, path, tmp, grader, judge, display, max_open, on_sample)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return read_eval_log(str(path), header_only=True)


async def _rescore(path: Path, tmp: Path, grader: Model, judge: str, display: str,
                   max_open: int, on_sample: Callable[[EvalSample], None] | None) -> None:
    from inspect_ai._eval.score import score_async
    from inspect_ai._util.async_zip import AsyncZipReader
    from inspect_ai._util.asyncfiles import AsyncFilesystem
    from inspect_ai.log._condense import condense_sample
    from inspect_ai.log._recorders.eval import EvalRecorder

    header = read_eval_log(str(path), header_only=True)
    original_eval = header.eval.model_copy(deep=True)
    # Scoring would rebuild the roles the log was made with (and need their keys).
    header.eval.model_roles = None
    # Only the keys: the summaries themselves are a sizeable copy of every sample's scores.
    keys = [(s.id, s.epoch) for s in read_eval_log_sample_summaries(str(path))]
    if header.results is None:  # an eval that never got to results: count its samples
        from inspect_ai.log import EvalResults

        header.results = EvalResults(total_samples=len(keys), completed_samples=0)
    header.results.total_samples = len(keys)

    recorder = EvalRecorder(str(tmp.parent))
    await recorder.log_init(original_eval, str(tmp), clean=True)
    await recorder.log_start(original_eval, header.plan)
    # The recorder's temp zip; buffered samples are written to it in batches (its per-sample
    # write-through path rescans every summary so far: quadratic in the log's size).
    zip_log = recorder.data[recorder._log_file_key(original_eval)]
    gate = anyio.Semaphore(max_open)
    done = 0

    async with AsyncFilesystem() as fs:
        # Inspect's own zip reader, shared across the pass: the public per-sample reader
        # reopens the archive (and its central directory) for every sample, quadratic in N.
        reader = AsyncZipReader(fs, str(path))

        @contextlib.asynccontextmanager
        async def sample_at(index: int) -> AsyncIterator[EvalSample]:
            async with gate:
                sample_id, epoch = keys[index]
                sample = await read_eval_log_sample_async(
                    str(path), sample_id, epoch, reader=reader
                )
                yield sample
                nonlocal done
                if on_sample is not None:
                    on_sample(sample)
                # Scored: into the new log's temp file, out of memory, a batch at a time.
                await recorder.log_sample(original_eval, condense_sample(sample))
                done += 1
                if done % max_open == 0:
                    await zip_log.write_buffered_samples()

        scored = await score_async(
            header,
            judge_scorers(judge, awareness=True),
            model=get_model("none/none"),
            model_roles={GRADER_ROLE: grader},
            action="append",
            display=display,  # type: ignore[arg-type]
            copy=False,
            samples=sample_at,
        )
    original_eval.scorers = scored.eval.scorers
    await recorder.log_finish(
        original_eval,
        scored.status,
        scored.stats,
        scored.results,
        scored.reductions,
        scored.error,
        invalidated=scored.invalidated,
        log_updates=scored.log_updates,
        config_updates=scored.config_updates,
    )
