"""Large logs for the scaling benchmarks: one real run, its samples replicated N times."""

from __future__ import annotations

import sys
from pathlib import Path

# A child process's own peak RSS, as a line of code for the measuring scripts. Not ru_maxrss:
# after fork and exec it keeps the parent's peak, and the parent has just built the log.
PEAK_RSS_MB = ('round(int([l for l in open("/proc/self/status") '
               'if l.startswith("VmHWM")][0].split()[1]) / 1024)')


def replicated_log(n: int, root: Path) -> Path:
    """A directory holding one blackmail log of `n` samples (a harmful and a benign reply,
    alternating), made by a real mockllm run of 2 samples."""
    from inspect_ai import eval as inspect_eval
    from inspect_ai.log import read_eval_log, write_eval_log
    from inspect_ai.model import ModelOutput, ModelUsage, get_model

    from insiderbench.scenarios import headline
    from insiderbench.task import build_task

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from helpers import BLACKMAIL_BENIGN, BLACKMAIL_HARMFUL

    outputs = []
    for text in (BLACKMAIL_HARMFUL, BLACKMAIL_BENIGN):
        out = ModelOutput.from_content("mockllm/model", text)
        out.usage = ModelUsage(input_tokens=2650, output_tokens=400, total_tokens=3050)
        outputs.append(out)
    (log,) = inspect_eval(build_task([headline("blackmail")]),
                          model=get_model("mockllm/model", custom_outputs=outputs), epochs=2,
                          log_dir=str(root / "seed"), display="none")
    log = read_eval_log(log.location)
    template = log.samples or []
    log.samples = [template[i % 2].model_copy(update={"epoch": i + 1}) for i in range(n)]
    log.eval.config.epochs = n
    out_dir = root / f"n{n}"
    out_dir.mkdir(parents=True)
    write_eval_log(log, str(out_dir / Path(log.location).name))
    return out_dir
