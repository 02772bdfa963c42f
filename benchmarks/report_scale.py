"""How the report scales with the size of a run: reading speed, peak memory, report time.

Builds one real log with mockllm (2 samples), replicates its samples into logs of N samples
(the paper's full grid is 234 conditions x 100 samples = 23,400 samples per model), then
measures, each in a fresh process:
  - samples read per second by our streaming reader and by Inspect's read_eval_log_samples;
  - read_results: seconds and peak RSS;
  - write_report (tables, figures, report.html): seconds, peak RSS and the HTML's size.

    .venv/bin/python benchmarks/report_scale.py [N ...]      (default: 2000 8000)
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from _logs import PEAK_RSS_MB, replicated_log

MEASURE = r"""
import json, sys, time
mode, log_dir = sys.argv[1], sys.argv[2]
from inspect_ai.log import read_eval_log_samples
from insiderbench.analysis import iter_samples, read_results, write_report
from insiderbench.experiment import latest_logs
t = time.perf_counter()
out = {}
if mode == "fast":
    (log,) = latest_logs(log_dir)
    out["samples"] = sum(1 for _ in iter_samples(log))
elif mode == "inspect":
    (log,) = latest_logs(log_dir)
    n = 0
    for _ in read_eval_log_samples(log.location, all_samples_required=False,
                                   exclude_fields={"events", "store"}):
        n += 1
        if n == 500:
            break
    out["samples"] = n
elif mode == "baseline":
    out["samples"] = 0
elif mode == "table":
    out["samples"] = len(read_results(log_dir).table)
else:
    report = write_report(log_dir)
    out["samples"] = len(report.table)
    out["html_mb"] = round(report.html.stat().st_size / 1e6, 2)
out["seconds"] = round(time.perf_counter() - t, 2)
out["peak_rss_mb"] = PEAK_RSS_MB
print(json.dumps(out))
""".replace("PEAK_RSS_MB", PEAK_RSS_MB)


def measure(mode: str, log_dir: Path) -> dict[str, float]:
    proc = subprocess.run([sys.executable, "-c", MEASURE, mode, str(log_dir)],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory(prefix="ib-report-bench-") as tmp:
        for n in sizes:
            log_dir = replicated_log(n, Path(tmp) / str(n))
            base = measure("baseline", log_dir)
            fast, slow = measure("fast", log_dir), measure("inspect", log_dir)
            table, report = measure("table", log_dir), measure("report", log_dir)
            print(f"N={n}: reader {fast['samples'] / fast['seconds']:.0f} samples/s "
                  f"(Inspect's read_eval_log_samples: {slow['samples'] / slow['seconds']:.0f}/s); "
                  f"results table {table['seconds']} s, peak RSS {table['peak_rss_mb']} MB; "
                  f"report {report['seconds']} s, peak RSS {report['peak_rss_mb']} MB, "
                  f"report.html {report['html_mb']} MB (imports alone: {base['peak_rss_mb']} MB)")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [2000, 8000])
