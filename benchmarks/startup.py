"""Start-up cost of the command line against importing Inspect, on the same machine.

    .venv/bin/python benchmarks/startup.py [--repeats 5]

Each command runs in a fresh process `--repeats` times, alternating with the others so that a
busy moment of the machine hits them all alike; the figures are medians of wall time and of
peak memory (RSS). Ratios are against `python -c "import inspect_ai"`. Targets: `--help` at
most 0.25 of it, `prompts -s blackmail` at most 1.5 (importing the paper's prompt generator
alone costs about 1.1).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
COMMANDS = {
    "import inspect_ai": [sys.executable, "-c", "import inspect_ai"],
    "import prompt generator": [
        sys.executable, "-c", "import inspect_evals.agentic_misalignment.prompt_generator"],
    "insiderbench --help": [str(BIN / "insiderbench"), "--help"],
    "insiderbench presets": [str(BIN / "insiderbench"), "presets"],
    "insiderbench prompts -s blackmail": [str(BIN / "insiderbench"), "prompts", "-s",
                                          "blackmail"],
}


def timed(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one run of argv in a fresh process."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            err.seek(0)
            raise SystemExit(f"{' '.join(argv)} failed: {err.read().decode()[-500:]}")
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    walls: dict[str, list[float]] = {name: [] for name in COMMANDS}
    rss: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.repeats):
        for name, argv in COMMANDS.items():
            wall, peak = timed(argv)
            walls[name].append(wall)
            rss[name].append(peak)
    base = statistics.median(walls["import inspect_ai"])
    print(f"{'command':36} {'median s':>9} {'min s':>7} {'ratio':>6} {'peak MB':>8}")
    for name, values in walls.items():
        median = statistics.median(values)
        print(f"{name:36} {median:9.2f} {min(values):7.2f} {median / base:6.2f} "
              f"{statistics.median(rss[name]):8.0f}")
    print(f"(medians of {args.repeats} runs each; ratio: to `import inspect_ai`)")


if __name__ == "__main__":
    main()
