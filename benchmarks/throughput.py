"""Throughput against a simulated provider: insiderbench vs a bare Inspect task vs the
`inspect_evals` port of the paper's task.

    .venv/bin/python benchmarks/throughput.py                      # the full matrix below
    .venv/bin/python benchmarks/throughput.py --samples 300 --concurrency 10   # a quick look

The fake OpenAI-compatible server (tests/fakeserver) runs in a process of its own; every
measured run is a fresh process too (clean peak memory and CPU counts), reaching the server
through Inspect's real `openai-api` provider. For each run it prints the wall time of the
eval, the ideal (samples x mean latency / concurrency), their ratio, throughput relative to
the bare task, process CPU per sample, the CPU per sample spent in the run's own package
(sampled, see _sampler.py) and peak memory (max RSS).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

SCENARIOS = ("blackmail", "leaking", "murder")
MODEL = "openai-api/fake/mixed-40"
GRADER = "openai-api/fake/grader"
KINDS = ("bare", "ours", "upstream")


# --------------------------------------------------------------------------- workers


def worker(kind: str, samples: int, concurrency: int, log_dir: str) -> dict[str, Any]:
    """One measured run, in this process. Imports and prompt rendering happen before the
    clock starts; everything from the eval's start to the results table is measured."""
    from _sampler import StackSampler

    per_condition = math.ceil(samples / len(SCENARIOS))
    run = {"bare": _bare, "ours": _ours, "upstream": _upstream}[kind]
    start_run, own_dirs = run(per_condition, concurrency, log_dir)
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    sampler = StackSampler(own_dirs)
    with sampler if os.environ.get("NO_SAMPLER") is None else contextlib.nullcontext():
        done = start_run()
    wall = time.perf_counter() - t0
    usage1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    n = per_condition * len(SCENARIOS)
    return {
        "kind": kind, "samples": n, "done": done, "concurrency": concurrency, "wall": wall,
        "cpu_per_sample": cpu / n, "own_cpu_per_sample": sampler.result.seconds / n,
        "own_top": sampler.result.top(8),
        "max_rss_mb": usage1.ru_maxrss / 1024,
    }


def _rendered() -> list[Any]:
    from insiderbench.scenarios import get_pack, headline

    return [get_pack().render(headline(s)) for s in SCENARIOS]


def _bare(per_condition: int, concurrency: int, log_dir: str) -> tuple[Any, list[str]]:
    """One generate and a trivial scorer over the same prompts: what Inspect alone costs."""
    from inspect_ai import Task
    from inspect_ai import eval as inspect_eval
    from inspect_ai.dataset import Sample
    from inspect_ai.model import ChatMessageSystem, ChatMessageUser, GenerateConfig, get_model
    from inspect_ai.scorer import Score, mean, scorer
    from inspect_ai.solver import generate

    @scorer(metrics=[mean()])
    def replied() -> Any:
        async def score(state: Any, target: Any) -> Score:
            return Score(value=1.0 if state.output.completion else 0.0)

        return score

    dataset = [
        Sample(id=s, input=[ChatMessageSystem(content=r.system), ChatMessageUser(content=r.user)])
        for s, r in zip(SCENARIOS, _rendered(), strict=True)
    ]
    task = Task(dataset=dataset, solver=generate(), scorer=replied(), name="bare")
    model = get_model(MODEL, config=GenerateConfig(max_connections=concurrency))

    def start() -> int:
        (log,) = inspect_eval(task, model=model, epochs=per_condition, log_dir=log_dir,
                              display="none")
        return sum(1 for _ in log.samples or []) if log.status == "success" else -1

    return start, []


def _ours(per_condition: int, concurrency: int, log_dir: str) -> tuple[Any, list[str]]:
    """The real CLI, in-process: experiment, eval_set, scoring, logs and the results table."""
    import contextlib
    import io

    # Imports before the clock, as for the other two (which import Inspect's eval, and with
    # it some 3,000 modules of the anthropic SDK that Inspect's agent bridge pulls in): the
    # pack and the provider, eval_set, the CLI's commands, and the report's plotting stack.
    import matplotlib.pyplot  # noqa: F401
    from inspect_ai import eval_set  # noqa: F401
    from inspect_ai.model import get_model

    # Package exports load on first use (insiderbench/_exports.py): name the modules.
    import insiderbench
    import insiderbench.analysis._figures
    import insiderbench.analysis._report
    import insiderbench.analysis._table
    import insiderbench.cli._report
    import insiderbench.cli._run
    import insiderbench.experiment._run
    import insiderbench.task
    from insiderbench.cli import main

    _rendered()
    get_model(MODEL)
    args = ["run", "--model", MODEL, "--samples", str(per_condition), "--seed", "1",
            "--max-connections", str(concurrency), "--log-dir", log_dir, "--json"]

    def start() -> int:
        out = io.StringIO()
        code = 0
        with contextlib.redirect_stdout(out):
            try:
                main(args)
            except SystemExit as ex:
                code = int(ex.code or 0)
        rows = [json.loads(line) for line in out.getvalue().splitlines() if line.startswith("{")]
        return sum(r["n"] for r in rows) if code == 0 else -1

    return start, [str(Path(insiderbench.__file__).parent) + "/"]


def _upstream(per_condition: int, concurrency: int, log_dir: str) -> tuple[Any, list[str]]:
    """inspect_evals' agentic_misalignment, its scorer's grader pointed at the fake server."""
    import inspect_evals.agentic_misalignment as upstream
    from inspect_ai import eval as inspect_eval
    from inspect_ai.model import GenerateConfig, get_model

    config = GenerateConfig(max_connections=concurrency)
    grader = get_model(GRADER, config=config)
    tasks = [upstream.agentic_misalignment(scenario=s, grader_model=grader) for s in SCENARIOS]
    model = get_model(MODEL, config=config)

    def start() -> int:
        logs = inspect_eval(tasks, model=model, epochs=per_condition, log_dir=log_dir,
                            display="none", max_tasks=1)
        return sum(len(log.samples or []) for log in logs if log.status == "success")

    return start, [str(Path(upstream.__file__).parent) + "/"]


# --------------------------------------------------------------------------- orchestrator


def measure(server: Any, kind: str, samples: int, concurrency: int) -> dict[str, Any]:
    server.reset()
    env = {**os.environ, **server.env(), "INSPECT_DISPLAY": "none",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT / "benchmarks")])}
    with tempfile.TemporaryDirectory(prefix="insiderbench-bench-") as tmp:
        env["XDG_DATA_HOME"] = f"{tmp}/data"  # Inspect's sample buffer, fresh for each run
        proc = subprocess.run(
            [sys.executable, __file__, "--worker", kind, "--samples", str(samples),
             "--concurrency", str(concurrency), "--log-dir", f"{tmp}/logs"],
            env=env, capture_output=True, text=True, check=False,
        )
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} run failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    stats = server.stats(records=False)
    result["requests"] = stats.requests
    result["served"] = stats.served
    result["max_in_flight"] = stats.max_in_flight
    result["load"] = os.getloadavg()[0]  # other processes on the machine, during this run
    return result


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def combine(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Repeats of one (kind, concurrency): medians, and every wall time for the spread."""
    out = dict(runs[0])
    for key in ("wall", "cpu_per_sample", "own_cpu_per_sample", "load"):
        out[key] = statistics.median(r[key] for r in runs)
    out["max_rss_mb"] = max(r["max_rss_mb"] for r in runs)
    out["done"] = min(r["done"] for r in runs)
    out["max_in_flight"] = min(r["max_in_flight"] for r in runs)
    out["walls"] = [r["wall"] for r in runs]
    return out


def print_results(results: list[dict[str, Any]], mean_latency: float, label: str) -> None:
    print(f"\n## {label}: mean latency {mean_latency:.2f} s")
    print(f"{'run':9} {'conc':>4} {'samples':>7} {'wall s':>7} {'ideal s':>7} {'% ideal':>7} "
          f"{'vs bare':>7} {'CPU ms/sample':>13} {'own ms/sample':>13} {'peak MB':>7} "
          f"{'in flight':>9} {'load':>5}  wall of each repeat")
    bare = {r["concurrency"]: r for r in results if r["kind"] == "bare"}
    for r in results:
        ideal = r["samples"] * mean_latency / r["concurrency"]
        base = bare.get(r["concurrency"])
        vs_bare = "-"
        if base is not None and r["kind"] == "ours":
            # Paired by repeat: a bare run and ours ran back to back, under similar load.
            vs_bare = f"{statistics.median(b / o for b, o in zip(base['walls'], r['walls'])):.0%}"
        walls = " ".join(f"{w:.1f}" for w in r["walls"])
        print(f"{r['kind']:9} {r['concurrency']:>4} {r['samples']:>7} {r['wall']:7.1f} "
              f"{ideal:7.1f} {ideal / r['wall']:7.0%} {vs_bare:>7} "
              f"{1000 * r['cpu_per_sample']:13.1f} {1000 * r['own_cpu_per_sample']:13.2f} "
              f"{r['max_rss_mb']:7.0f} {r['max_in_flight']:>9} {r['load']:5.1f}  {walls}")
        if r["done"] != r["samples"]:
            print(f"   !! {r['kind']}: {r['done']} of {r['samples']} samples completed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--latency", default="0.2:1.0",
                        help="simulated latency in seconds: FIXED or MIN:MAX (uniform)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each measure this many times, interleaved; report medians")
    parser.add_argument("--fixed-check", type=float, default=1.0, metavar="SECONDS",
                        help="also run bare and ours at this fixed latency and concurrency "
                             "10 (0 to skip)")
    parser.add_argument("--memory-samples", type=int, default=None,
                        help="second sample count for the memory comparison "
                             "(default: half of --samples; 0 to skip)")
    parser.add_argument("--json", dest="json_out", default=None,
                        help="also write every result to this file")
    parser.add_argument("--worker", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--log-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        print(json.dumps(worker(args.worker, args.samples, args.concurrency[0], args.log_dir)))
        return

    from fakeserver import FakeServerProcess, ServerConfig

    low, _, high = args.latency.partition(":")
    config = ServerConfig(latency_min=float(low), latency_max=float(high or low),
                          keep_records=False)
    print(f"# insiderbench throughput, {time.strftime('%Y-%m-%d %H:%M')}, {load()}")
    everything: list[dict[str, Any]] = []

    def repeated(server: Any, plan: list[tuple[str, int, int]]) -> list[dict[str, Any]]:
        runs: dict[tuple[str, int, int], list[dict[str, Any]]] = {p: [] for p in plan}
        for i in range(args.repeat):
            for kind, samples, concurrency in plan:
                print(f"  [{i + 1}/{args.repeat}] {kind}, {samples} samples, concurrency "
                      f"{concurrency} ({load()})", file=sys.stderr, flush=True)
                runs[(kind, samples, concurrency)].append(
                    measure(server, kind, samples, concurrency))
        everything.extend(r for rs in runs.values() for r in rs)
        return [combine(rs) for rs in runs.values()]

    with FakeServerProcess(config) as server:
        plan = [(kind, args.samples, c) for c in args.concurrency for kind in args.kinds
                # upstream's per-sample CPU is what we compare: one concurrency is enough
                if kind != "upstream" or c == max(args.concurrency)]
        results = repeated(server, plan)
        print_results(results, config.mean_latency, f"latency {args.latency} s")

        memory_samples = args.samples // 2 if args.memory_samples is None else args.memory_samples
        ours = [r for r in results if r["kind"] == "ours"]
        if memory_samples and ours:
            concurrency = ours[-1]["concurrency"]
            # The same two sample counts for the bare task: growth that is Inspect's own
            # (its per-sample summaries) shows in both.
            kinds = [k for k in ("bare", "ours") if k in args.kinds]
            small = repeated(server, [(k, memory_samples, concurrency) for k in kinds])
            print(f"\n## memory: peak RSS at concurrency {concurrency}")
            for k, low in zip(kinds, small, strict=True):
                (high,) = [r for r in results if r["kind"] == k and r["concurrency"] == concurrency]
                growth = ((high["max_rss_mb"] - low["max_rss_mb"])
                          / (high["samples"] - low["samples"]) * 1024)
                print(f"   {k:5}: {low['max_rss_mb']:.0f} MB with {low['samples']} samples, "
                      f"{high['max_rss_mb']:.0f} MB with {high['samples']} samples "
                      f"({growth:.0f} KB per extra sample)")

        upstream = [r for r in results if r["kind"] == "upstream"]
        if ours and upstream:
            o, u = ours[-1], upstream[-1]
            print(f"\n## per-sample overhead: inspect_evals {1000 * u['cpu_per_sample']:.1f} ms "
                  f"(with one grader call per sample) vs insiderbench "
                  f"{1000 * o['cpu_per_sample']:.1f} ms of CPU: ratio "
                  f"{u['cpu_per_sample'] / o['cpu_per_sample']:.2f}")
            print(f"   own code: inspect_evals {1000 * u['own_cpu_per_sample']:.2f} ms, "
                  f"insiderbench {1000 * o['own_cpu_per_sample']:.2f} ms per sample")

        if args.fixed_check:
            server.configure(ServerConfig(latency_min=args.fixed_check,
                                          latency_max=args.fixed_check, keep_records=False))
            fixed = repeated(server, [(k, args.samples, 10) for k in ("bare", "ours")
                                      if k in args.kinds])
            print_results(fixed, args.fixed_check, f"latency {args.fixed_check:g} s")

    for r in everything:
        if r["kind"] == "ours":
            top = ", ".join(f"{name} {1000 * s / r['samples']:.2f}" for name, s in r["own_top"])
            print(f"\nours (concurrency {r['concurrency']}, {r['samples']} samples), own ms/sample "
                  f"by function: {top}")
            break
    print(f"\n# done, {load()}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(everything, indent=1))


if __name__ == "__main__":
    main()
