"""Throughput of one process against N workers (`run --workers N`), side by side.

    .venv/bin/python benchmarks/workers.py                           # 2,000 samples, 1 vs 2
    .venv/bin/python benchmarks/workers.py --samples 300 --workers 1 2 3

Each run is the real CLI in a fresh process (`insiderbench run ... --json`), judge on (the
paper's judge, its grader on the same fake server), against the fake OpenAI-compatible
server (tests/fakeserver) in a process of its own. The wall time is the whole command:
start-up, the capture and the workers' own start-up included, then the results table and
the report. The ideal is computed from the calls actually served (target and judge) at the
mean latency over the connections in all (`--connections`, split between the workers; the
grader's pool is the provider's default per process, so the ideal is a floor the run can
beat only through the grader's pool). `vs 1` is each run's throughput relative to the first
(1 worker), for the whole command and for its eval phase alone (`evals s`: from the start
until the last log was completed; the results table and report that follow are read by one
process however many workers ran). `CPU s` is the CPU time of the command and every process
it started: on a machine whose cores are busy with other work, more workers cannot run faster,
and this column shows what they cost.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

MODEL = "openai-api/fake/mixed-40"
GRADER = "openai-api/fake/grader"
# The headline condition of each scenario under both threats (replacement, restriction): six
# conditions, so that two or three workers get equal shares (one condition is one task's
# smallest unit: its samples are not split between tasks).
EXPERIMENT = (f"name: workers-bench\nmodels: [{MODEL}]\ngrids:\n"
              "  - scenarios: [blackmail, leaking, murder]\n"
              "    urgencies: [replacement, restriction]\n")
CONDITIONS = 6


def measure(server: Any, workers: int, samples: int, connections: int) -> dict[str, Any]:
    server.reset()
    per_condition = math.ceil(samples / CONDITIONS)
    with tempfile.TemporaryDirectory(prefix="insiderbench-workers-") as tmp:
        env = {**os.environ, **server.env(), "INSPECT_DISPLAY": "none",
               "XDG_DATA_HOME": f"{tmp}/data"}
        Path(f"{tmp}/experiment.yaml").write_text(EXPERIMENT, encoding="utf-8")
        argv = [sys.executable, "-c", "from insiderbench.cli import main; main()", "run",
                f"{tmp}/experiment.yaml", "--grader", GRADER, "--samples", str(per_condition),
                "--seed", "1", "--max-connections", str(connections),
                "--log-dir", f"{tmp}/logs", "--json", "--workers", str(workers)]
        t0, start = time.perf_counter(), time.time()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the workers too: waited for
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        # The eval phase: from the command's start until its last log was completed (what
        # follows is the results table and the report, read in one process either way).
        evals = _completed_at(f"{tmp}/logs") - start
    if proc.returncode != 0:
        raise RuntimeError(f"{workers} worker(s) failed:\n{proc.stderr[-3000:]}")
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    stats = server.stats(records=False)
    return {"workers": workers, "samples": per_condition * CONDITIONS, "wall": wall,
            "evals": evals, "cpu": cpu,
            "done": sum(r["n"] for r in rows), "served": stats.served,
            "max_in_flight": stats.max_in_flight, "load": os.getloadavg()[0]}


def _completed_at(log_dir: str) -> float:
    from datetime import datetime

    from insiderbench.experiment import latest_logs

    return max(datetime.fromisoformat(str(log.stats.completed_at)).timestamp()
               for log in latest_logs(log_dir))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--connections", type=int, default=20,
                        help="the target's connections in all, split between the workers")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    from fakeserver import FakeServerProcess, ServerConfig

    config = ServerConfig(latency_min=args.latency, latency_max=args.latency,
                          keep_records=False)
    one, five, _ = os.getloadavg()
    print(f"# insiderbench workers, {time.strftime('%Y-%m-%d %H:%M')}, load {one:.2f} / "
          f"{five:.2f} on {os.cpu_count()} CPUs; {args.samples} samples, latency "
          f"{args.latency:g} s, {args.connections} connections, judge on")
    results = []
    with FakeServerProcess(config) as server:
        for n in args.workers:
            print(f"  {n} worker(s)...", file=sys.stderr, flush=True)
            results.append(measure(server, n, args.samples, args.connections))
    print(f"{'workers':>7} {'samples':>7} {'calls':>6} {'wall s':>7} {'ideal s':>7} "
          f"{'% ideal':>7} {'samples/s':>9} {'in flight':>9} {'load':>5} {'vs 1':>6} "
          f"{'evals s':>7} {'vs 1':>6} {'CPU s':>6}")
    base = results[0]["samples"] / results[0]["wall"]
    base_evals = results[0]["samples"] / results[0]["evals"]
    for r in results:
        ideal = r["served"] * config.mean_latency / args.connections
        rate = r["samples"] / r["wall"]
        print(f"{r['workers']:>7} {r['samples']:>7} {r['served']:>6} {r['wall']:7.1f} "
              f"{ideal:7.1f} {ideal / r['wall']:7.0%} {rate:9.1f} {r['max_in_flight']:>9} "
              f"{r['load']:5.1f} {rate / base:5.2f}x {r['evals']:7.1f} "
              f"{r['samples'] / r['evals'] / base_evals:5.2f}x {r['cpu']:6.1f}")
        if r["done"] != r["samples"]:
            print(f"   !! {r['done']} of {r['samples']} samples done")


if __name__ == "__main__":
    main()
