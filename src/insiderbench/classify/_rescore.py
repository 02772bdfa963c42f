"""Re-grading stored transcripts with a judge, without calling the models under test.

The new scores are appended to each sample beside the old ones (the newest score of each
kind wins, see `analysis.latest_scores`), and the log is written back in place, atomically:
a crash mid-write leaves the old log intact. The log header is left as it was, so the
experiment's task identity, and with it `run`'s resume, is unchanged.
"""

from __future__ import annotations

import os
from pathlib import Path

from inspect_ai.log import EvalLog, read_eval_log, write_eval_log
from inspect_ai.model import Model, get_model

from insiderbench.classify._judges import check_judge
from insiderbench.classify._scorers import GRADER_ROLE, judge_scorers


def local_path(location: str) -> Path:
    """The filesystem path of a log location (`file://...` or a plain path)."""
    if location.startswith("file://"):
        return Path(location.removeprefix("file://"))
    if "://" in location:
        raise ValueError(f"re-scoring writes logs in place; {location} is not a local file")
    return Path(location)


def rescore_log(
    location: str, *, grader: Model, judge: str, display: str = "none"
) -> EvalLog:
    """Judge every sample of the log at `location` again and write the log back.

    The model the log was generated with is never instantiated (so its API key is not
    needed): scoring runs with Inspect's `none` model active, which raises if called, and
    the original model roles are not rebuilt either; only the grader is bound.
    """
    from inspect_ai import score

    check_judge(judge)
    path = local_path(location)
    log = read_eval_log(str(path))
    roles = log.eval.model_roles
    log.eval.model_roles = None
    scored = score(
        log,
        judge_scorers(judge, awareness=True),
        model=get_model("none/none"),
        model_roles={GRADER_ROLE: grader},
        action="append",
        display=display,  # type: ignore[arg-type]
        copy=False,
    )
    scored.eval.model_roles = roles
    tmp = path.with_name(path.name + ".rescoring")
    try:
        write_eval_log(scored, str(tmp), format="eval")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    scored.location = str(path)
    return scored
