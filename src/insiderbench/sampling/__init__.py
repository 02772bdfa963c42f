"""Sequential sampling: an anytime-valid confidence sequence for a rate, the stopping rule that
spends samples only where the rate is still uncertain, and the Inspect sample source that runs
each condition in waves."""

from typing import TYPE_CHECKING

from insiderbench._exports import lazy_exports

if TYPE_CHECKING:
    from insiderbench.sampling._confseq import ALPHA, cs_interval, sequence_interval
    from insiderbench.sampling._rule import (
        DEFAULT_MAX_SAMPLES,
        DEFAULT_MIN_SAMPLES,
        STOP_REASONS,
        Decision,
        StoppingRule,
        StopReason,
        Verdict,
        expected_samples,
        replay,
        simulate,
    )
    from insiderbench.sampling._source import SequentialSource, sample_verdict

__getattr__, __dir__, __all__ = lazy_exports(globals())
