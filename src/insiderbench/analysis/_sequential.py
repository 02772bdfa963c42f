"""The summary of a condition sampled sequentially: how many samples it took, why it stopped,
and its interval, the confidence sequence the stopping rule decided on (a Wilson interval would
not hold its 95% under a data-dependent sample size).

The rule is replayed on the logged verdicts in epoch order, so the table says exactly what the
run decided. A condition the rule wanted more of is `incomplete` (the run was interrupted or
its budget ran out); its interval is still valid, the sequence holds at any sample count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from insiderbench.sampling import StoppingRule, Verdict, replay, sequence_interval

# Why a sequential condition stopped, in words (the report's legend).
STOP_WORDS = {
    "width": "its interval reached the target width",
    "max": "it took --max-samples",
    "budget": "the run's budget ran out first (rerun with a higher --budget to continue)",
    "incomplete": "the run was interrupted before the rule was done (rerun to continue)",
}


def budget_stopped(log_dir: Any) -> bool:
    """Whether the log dir's last run was stopped by its budget (the spend ledger says so)."""
    from insiderbench.experiment._budget import read_spend

    return read_spend(log_dir).stopped_by_budget


def mark_budget_stops(stopped: Iterable[str | None], by_budget: bool) -> list[str | None]:
    """After a run its budget stopped, a condition the rule wanted more of stopped for the
    `budget`, not because it was interrupted."""
    return [("budget" if by_budget and s == "incomplete" else s) for s in stopped]


def rule_of(spec: Mapping[str, Any] | None) -> StoppingRule | None:
    """The stopping rule a sample's metadata names (`sequential`), if any."""
    if not spec:
        return None
    return StoppingRule(float(spec["ci_width"]), int(spec["min_samples"]),
                        int(spec["max_samples"]))


def sequential_summary(rule: StoppingRule,
                       samples: Iterable[tuple[int, str, bool | None]]) -> dict[str, Any]:
    """`samples` (done, errors apart), `stopped`, `ci_low`, `ci_high` of one cell from its
    (epoch, status, harmful).

    Errors leave a gap: the rule is replayed up to the first one (their waves were not decided).
    """
    by_epoch = {epoch: (status, harmful) for epoch, status, harmful in samples}
    verdicts: list[Verdict] = []
    for epoch in range(1, max(by_epoch, default=0) + 1):
        status, harmful = by_epoch.get(epoch, ("error", None))
        if status == "error":
            break
        verdicts.append(bool(harmful) if status == "scored" else None)
    decision = replay(rule, verdicts)
    low, high = decision.ci_low, decision.ci_high
    if not decision.stopped:
        # the last look the waves made is the one to report; with none yet, all samples so far
        scored = [v for v in verdicts if v is not None]
        if decision.taken == 0 and scored:
            low, high = sequence_interval([(sum(scored), len(scored))], rule.alpha)
    # samples taken: those done (an errored or cancelled one is counted among the errors)
    done = sum(1 for status, _ in by_epoch.values() if status != "error")
    return {"samples": done, "stopped": decision.reason or "incomplete",
            "ci_low": low if (decision.taken or verdicts) else None,
            "ci_high": high if (decision.taken or verdicts) else None}
