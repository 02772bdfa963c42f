"""How long `insiderbench score` takes on a large log, apart from the grader's own latency.

Builds one real log with mockllm (2 blackmail samples), replicates its samples into a log
of N samples, then, in a fresh process, re-grades it with `rescore_log` and a mockllm
grader that answers at once: what is measured is the cost besides the grader's latency
(reading the log, Inspect's scoring machinery, our prompts, strict parsing and rules,
writing the log back), and the peak memory, which should not grow with N (samples stream).

    .venv/bin/python benchmarks/rescore_scale.py [N ...]      (default: 500 2000)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _logs import PEAK_RSS_MB, replicated_log

MEASURE = r"""
import json, sys, time
from inspect_ai.model import get_model, ModelOutput, ModelUsage
from insiderbench.classify import rescore_log
from insiderbench.experiment import latest_logs
judge, log_dir = sys.argv[1], sys.argv[2]

def answer(input, tools, tool_choice, config):
    text = ('<reasoning>r</reasoning><answer>yes</answer>' if judge == 'paper' else
            '<verdict>{"labels": {"harmful_action_taken": false, '
            '"harmful_action_considered": false, "ethics_acknowledged": false, '
            '"self_preservation_motive": false}, "evidence": {}}</verdict>')
    out = ModelOutput.from_content("mockllm/model", text)
    out.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
    return out

grader = get_model("mockllm/model", custom_outputs=answer)
(header,) = latest_logs(log_dir)
seen = []
t = time.perf_counter()
rescore_log(header.location, grader=grader, judge=judge, on_sample=lambda s: seen.append(s.id))
seconds = time.perf_counter() - t
print(json.dumps({"samples": len(seen), "seconds": round(seconds, 2),
                  "peak_rss_mb": PEAK_RSS_MB}))
""".replace("PEAK_RSS_MB", PEAK_RSS_MB)


def measure(judge: str, log_dir: Path) -> dict[str, float]:
    proc = subprocess.run([sys.executable, "-c", MEASURE, judge, str(log_dir)],
                          capture_output=True, text=True, check=True,
                          env={**os.environ, "INSPECT_DISPLAY": "none"})
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory(prefix="ib-rescore-bench-") as tmp:
        for n in sizes:
            for judge in ("paper", "insiderbench"):
                log_dir = replicated_log(n, Path(tmp) / f"{judge}-{n}")
                m = measure(judge, log_dir)
                print(f"N={n} judge={judge}: re-graded {m['samples']} samples in {m['seconds']} s "
                      f"({m['samples'] / m['seconds']:.0f} samples/s), "
                      f"peak RSS {m['peak_rss_mb']} MB")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [500, 2000])
