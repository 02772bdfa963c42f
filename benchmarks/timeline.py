"""Where a run's wall time goes beyond the ideal: start-up, refill gaps, the tail.

    .venv/bin/python benchmarks/timeline.py [--samples 300] [--concurrency 10] [--latency 1.0]

Runs the bare Inspect task and `insiderbench run` (the workers of throughput.py) against the
fake server at a fixed latency, each in a fresh process, and from the server's own request
records prints: the time to the first request, the time from the last reply to the end of
the run, and how many requests were in flight on average while requests were being served.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

WORKER = """
import json, math, sys, time
sys.path.insert(0, {bench!r})
import throughput
kind, samples, concurrency, log_dir = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
run = {{"bare": throughput._bare, "ours": throughput._ours}}[kind]
start, _ = run(math.ceil(samples / len(throughput.SCENARIOS)), concurrency, log_dir)
begin = time.monotonic()  # CLOCK_MONOTONIC: the same clock as the server's records
done = start()
print(json.dumps({{"begin": begin, "end": time.monotonic(), "done": done}}))
"""


def main() -> None:
    from fakeserver import FakeServerProcess, ServerConfig

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--latency", type=float, default=1.0)
    args = parser.parse_args()
    config = ServerConfig(latency_min=args.latency, latency_max=args.latency, keep_records=True)
    with FakeServerProcess(config) as server:
        for kind in ("bare", "ours"):
            server.reset()
            env = {**os.environ, **server.env(), "INSPECT_DISPLAY": "none", "NO_SAMPLER": "1",
                   "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT / "benchmarks")])}
            with tempfile.TemporaryDirectory(prefix="insiderbench-timeline-") as tmp:
                env["XDG_DATA_HOME"] = f"{tmp}/data"
                code = WORKER.format(bench=str(ROOT / "benchmarks"))
                proc = subprocess.run(
                    [sys.executable, "-c", code, kind, str(args.samples),
                     str(args.concurrency), f"{tmp}/logs"],
                    env=env, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                raise SystemExit(f"{kind} run failed:\n{proc.stderr[-3000:]}")
            run = json.loads(proc.stdout.strip().splitlines()[-1])
            records = server.stats().records
            first = min(r.start for r in records)
            last = max(r.end for r in records)
            busy = sum(r.end - r.start for r in records)
            ideal = len(records) * args.latency / args.concurrency
            print(f"{kind:4}: {len(records)} requests, wall {run['end'] - run['begin']:.1f} s "
                  f"(ideal {ideal:.1f}); first request at +{first - run['begin']:.2f} s, "
                  f"end {run['end'] - last:.2f} s after the last reply; "
                  f"{busy / (last - first):.2f} of {args.concurrency} in flight on average")


if __name__ == "__main__":
    main()
