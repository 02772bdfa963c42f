"""Peak memory of one worker as the run grows: 1,000 against 10,000 samples per worker.

    .venv/bin/python benchmarks/memory.py                    # 1,000 and 10,000
    .venv/bin/python benchmarks/memory.py --sizes 500 2000   # a quick look

Each size is a run through the worker path (`experiment._workers.run_with_workers`, one
worker process, this process coordinating) against the fake OpenAI-compatible server in a
process of its own, no judge (the worker's memory is what is measured; a judge adds calls,
not samples). Conditions of 500 samples each, so the run is split into tasks of 500
samples (`TASK_SAMPLES`) whatever its size: 2 tasks for 1,000 samples, 20 for 10,000. The
worker runs its share in processes of at most `TASKS_PER_PROCESS` tasks (4), one after the
other; its peak RSS is the highest kernel high-water mark (`VmHWM` in /proc) of those
processes, read every 0.2 s. The claim checked: peak RSS per worker within 10% from 1,000
to 10,000 samples.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

MODEL = "openai-api/fake/mixed-40"
PER_CONDITION = 500
GOALS = ["america", "global", "safety", "acceleration", "ethical", "pragmatic",
         "individualism", "collectivism"]


def experiment_for(samples: int) -> Any:
    """`samples // 500` conditions of 500 samples, one single-condition grid each."""
    from itertools import product

    from insiderbench.experiment import Experiment

    combos = list(product(["blackmail", "leaking", "murder"], GOALS,
                          ["replacement", "restriction", "none"]))
    grids = [{"scenarios": [s], "goal_values": [g], "urgencies": [u]}
             for s, g, u in combos[:max(1, samples // PER_CONDITION)]]
    return Experiment.model_validate({"name": "memory-bench", "models": [MODEL],
                                      "samples": PER_CONDITION, "seed": 1,
                                      "max_connections": 40, "grids": grids})


def worker_pids() -> list[int]:
    out = subprocess.run(["ps", "-eo", "pid=,ppid=,args="], capture_output=True, text=True,
                         check=True).stdout
    mine = str(os.getpid())
    return [int(p) for p, pp, *rest in (line.split(None, 2) for line in out.splitlines())
            if pp == mine and rest and "insiderbench.experiment._worker" in rest[0]]


def watch(peaks: dict[int, int], stop: threading.Event) -> None:
    while not stop.is_set():
        for pid in worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peaks[pid] = max(peaks.get(pid, 0), int(line.split()[1]))
        time.sleep(0.2)


def measure(samples: int) -> tuple[int, float, int]:
    from insiderbench.experiment._workers import run_with_workers

    exp = experiment_for(samples)
    peaks: dict[int, int] = {}
    stop = threading.Event()
    thread = threading.Thread(target=watch, args=(peaks, stop), daemon=True)
    with tempfile.TemporaryDirectory(prefix="insiderbench-memory-") as tmp:
        os.environ["XDG_DATA_HOME"] = f"{tmp}/data"
        thread.start()
        t0 = time.perf_counter()
        outcome = run_with_workers(exp, f"{tmp}/logs", workers=1, echo=lambda _: None)
        wall = time.perf_counter() - t0
        stop.set()
        thread.join()
        done = sum(log.results.completed_samples for log in outcome.logs if log.results)
    assert outcome.success and done == samples, (outcome.success, done)
    return max(peaks.values()) if peaks else 0, wall, len(outcome.logs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    args = parser.parse_args()
    from fakeserver import ServerConfig
    from fakeserver._remote import FakeServerProcess

    with FakeServerProcess(ServerConfig(latency_min=0.0, latency_max=0.0, seed=1)) as server:
        os.environ.update(server.env())
        os.environ["INSPECT_DISPLAY"] = "none"
        rows = [(n, *measure(n)) for n in args.sizes]
    load = os.getloadavg()[0]
    print(f"{'samples/worker':>14} {'tasks':>6} {'wall s':>8} {'peak RSS MB':>12} {'vs first':>9}")
    for n, peak, wall, tasks in rows:
        print(f"{n:>14,} {tasks:>6} {wall:>8.1f} {peak / 1024:>12.1f} "
              f"{peak / rows[0][1] - 1:>+9.1%}")
    print(f"load average (1 min) at the end: {load:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
