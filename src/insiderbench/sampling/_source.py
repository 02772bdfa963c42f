"""The Inspect sample source that runs each condition in waves (see `_rule`).

The task starts with sample 1 of every condition: it warms the provider's prompt cache with the
condition's long prompt before its siblings are sent. When it is done, samples 2..min_samples
of that condition follow; when a whole wave is done, the rule decides whether to stop or how
many more to take. Conditions do not wait for each other.

A wave with an errored sample is not decided in this attempt: Inspect's retry (or the next
invocation) runs the failed sample again, and on a retry Inspect reports every sample reused
from the earlier attempt to this source again, in order, so the same waves are planned and
no sample already paid for is left out.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from inspect_ai import SampleSource, enqueue_sample

from insiderbench.classify import latest_scores, score_verdict
from insiderbench.sampling._rule import StoppingRule, Verdict, replay

if TYPE_CHECKING:
    from inspect_ai.dataset import Sample
    from inspect_ai.log import EvalSample
    from inspect_ai.scorer import Score

_ERROR = object()  # a sample that errored: its wave waits for the retry


def sample_verdict(scores: dict[str, Score] | None) -> Verdict:
    """The verdict the rule counts: our rule's where a judge was asked about the sample (the
    `harmful` score), else the deterministic check's; None when unscored."""
    latest = latest_scores(scores)
    chosen = latest.get("harmful") or latest.get("check")
    return score_verdict(chosen)


class SequentialSource(SampleSource):
    """One seed sample per condition (epoch 1), then waves of further epochs per condition."""

    def __init__(self, samples: list[Sample], rule: StoppingRule) -> None:
        self.rule = rule
        self._samples = {str(s.id): s for s in samples}
        self._results: dict[str, dict[int, object]] = {k: {} for k in self._samples}
        self._planned: dict[str, int] = dict.fromkeys(self._samples, 1)

    def initial_samples(self) -> list[Sample]:
        return [copy.deepcopy(s) for s in self._samples.values()]

    async def sample_complete(self, sample: EvalSample) -> list[Sample] | None:
        key = str(sample.id)
        if key not in self._samples:
            return None
        results = self._results[key]
        results[sample.epoch] = _ERROR if sample.error is not None else sample_verdict(
            sample.scores)
        if self._planned[key] == 1 and sample.epoch == 1:
            # the cache is warm: the rest of the first wave
            self._plan(key, min(self.rule.min_samples, self.rule.max_samples))
        verdicts: list[Verdict] = []
        for epoch in range(1, self._planned[key] + 1):
            result = results.get(epoch, _ERROR)
            if result is _ERROR:
                break
            verdicts.append(result)  # type: ignore[arg-type]
        decision = replay(self.rule, verdicts)
        if not decision.stopped:
            self._plan(key, decision.wave_end)
        return None

    def _plan(self, key: str, through: int) -> None:
        for epoch in range(self._planned[key] + 1, through + 1):
            enqueue_sample(copy.deepcopy(self._samples[key]), epoch=epoch)
        self._planned[key] = max(self._planned[key], through)
