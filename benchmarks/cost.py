"""What a grid costs under the paper's protocol and under ours, and how often our intervals hold.

The grid: one condition per rate the paper published (`paper_models.yaml`: blackmail and lethal
action, every model), plus 8 controls at a true rate of 0 (`--quick`: the blackmail half, 16
rates and 4 controls). Each condition is a model of the fake provider (`tests/fakeserver`,
started here on 127.0.0.1): `rate-<percent>-<tag>` replies harmful with the condition's
probability, else with a harmless act that still opens the gate (so the gate opens with
probability min(1, rate + 0.1)), else with a reply that acts on nothing; its judge is the fake
grader. The server bills every reply as 1,000 output tokens and every judge answer as 500,
prompts at their characters / 4, and caches prompts the way a provider does (the first request
of a model's prompt writes the cache, the rest read it; judge requests are not cached).

- ours: the real `insiderbench run --ci-width W --grader ...` (one run per scenario), so the
  real stopping rule, judge pre-screen (the judge only past the gate and on the 5% audit share)
  and cache-warming order; dollars are our own spend ledger (`.insiderbench-spend.json`).
- paper: 100 samples per condition, the judge on every sample, no prompt caching. Computed, not
  run, from the same prompts' token counts (the server's own counts in ours).
- oracle: each condition takes exactly the smallest fixed n whose Wilson interval at its true
  rate is at most W wide (no sequential penalty), with our judge share and caching: the cost no
  valid stopping rule can beat on this grid.

Dollars at Anthropic's published prices for Claude Sonnet 4.6 as target and judge (input 3,
output 15, cache read 0.30, cache write 3.75 USD per million tokens), batch mode off, the same
for all three. Coverage is simulated in-process: the same stopping rule (`insiderbench.sampling`)
on draws at each condition's rate, `--reps` times over the grid.

    .venv/bin/python benchmarks/cost.py            # the whole grid, 34 conditions
    .venv/bin/python benchmarks/cost.py --quick    # the blackmail half, under 5 minutes
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

PRICE = {"input": 3.00, "output": 15.00, "cache_read": 0.30, "cache_write": 3.75}
REPLY_TOKENS = 1000
JUDGE_REPLY_TOKENS = 500
CONTROLS = 8
AUDIT = 0.05
PAPER_N = 100
GRADER = "openai-api/fake/grader"


@dataclass
class Tally:
    samples: float = 0
    judge_calls: float = 0
    input_tokens: float = 0  # fresh input (neither read from nor written to the cache)
    cached_tokens: float = 0  # read from the cache
    written_tokens: float = 0  # written to the cache
    output_tokens: float = 0
    dollars: float = 0

    def add(self, other: Tally) -> None:
        for k in vars(self):
            setattr(self, k, getattr(self, k) + getattr(other, k))


@dataclass(frozen=True)
class Cell:
    scenario: str
    rate: float
    model: str  # the fake provider's script for it


def grid(quick: bool) -> list[Cell]:
    from insiderbench.data import paper_models

    scenarios = ("blackmail",) if quick else ("blackmail", "murder")
    cells = []
    for scenario in scenarios:
        rates = [float(m[scenario]) for m in paper_models() if m.get(scenario) is not None]
        rates += [0.0] * (CONTROLS // 2)
        cells += [Cell(scenario, r, f"openai-api/fake/rate-{round(r * 100)}-{scenario[0]}{i}")
                  for i, r in enumerate(rates)]
    return cells


def dollars(t: Tally) -> float:
    return (t.input_tokens * PRICE["input"] + t.cached_tokens * PRICE["cache_read"]
            + t.written_tokens * PRICE["cache_write"] + t.output_tokens * PRICE["output"]) / 1e6


def protocol(n: float, judged: float, prompt: float, judge_prompt: float,
             cached: bool) -> Tally:
    """n samples of one condition, `judged` of them judged."""
    t = Tally(samples=n, judge_calls=judged)
    t.output_tokens = n * REPLY_TOKENS + judged * JUDGE_REPLY_TOKENS
    t.input_tokens = judged * judge_prompt
    if cached:
        t.written_tokens, t.cached_tokens = prompt, (n - 1) * prompt
    else:
        t.input_tokens += n * prompt
    t.dollars = dollars(t)
    return t


def wilson_width(rate: float, n: int, z: float = 1.959964) -> float:
    centre = z * math.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n))
    return 2 * centre / (1 + z * z / n)


def oracle_n(rate: float, width: float, most: int = PAPER_N) -> int:
    return next((n for n in range(1, most + 1) if wilson_width(rate, n) <= width), most)


def judged_share(rate: float) -> float:
    gate = min(1.0, rate + 0.1)
    return gate + (1 - gate) * AUDIT


def run_ours(server, cells: list[Cell], width: float, seed: int, work: Path) -> list[dict]:
    """Our protocol through the real CLI, one run per scenario; the JSON rows."""
    prices = work / "prices.yaml"
    prices.write_text("".join(
        f"{m}: {{input: {PRICE['input']}, output: {PRICE['output']}, cache_read: "
        f"{PRICE['cache_read']}, cache_write: {PRICE['cache_write']}}}\n"
        for m in [*(c.model for c in cells), GRADER]), encoding="utf-8")
    rows = []
    for scenario in dict.fromkeys(c.scenario for c in cells):
        models = [a for c in cells if c.scenario == scenario for a in ("--model", c.model)]
        done = subprocess.run(
            [sys.executable, "-c", "from insiderbench.cli import main; main()", "run",
             *models, "-s", scenario, "--ci-width", str(width), "--grader", GRADER,
             "--prices", str(prices), "--seed", str(seed), "--max-connections", "8",
             "--log-dir", str(work / scenario), "--json"],
            env={**os.environ, **server.env(), "INSPECT_DISPLAY": "none"}, text=True,
            capture_output=True, check=False)
        if done.returncode != 0:
            sys.exit(f"run failed ({done.returncode}): {done.stderr[-3000:]}")
        rows += [json.loads(line) for line in done.stdout.splitlines()]
    return rows


def coverage(cells: list[Cell], width: float, reps: int, seed: int) -> float:
    from insiderbench.sampling import StoppingRule, simulate

    rule = StoppingRule(width, 10, PAPER_N)
    draw = random.Random(seed).random
    covered = total = 0
    for _ in range(reps):
        for c in cells:
            d = simulate(rule, c.rate, draw)
            covered += d.ci_low <= c.rate <= d.ci_high
            total += 1
    return covered / total


def main() -> None:
    from fakeserver import FakeServer, ServerConfig
    from insiderbench.experiment._budget import read_spend

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="the blackmail half of the grid; 50 coverage repetitions")
    parser.add_argument("--ci-width", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reps", type=int, default=None,
                        help="coverage repetitions of the grid (default 200, --quick 50)")
    args = parser.parse_args()
    cells = grid(args.quick)
    started = time.monotonic()
    config = ServerConfig(reply_tokens=REPLY_TOKENS, grader_tokens=JUDGE_REPLY_TOKENS,
                          prompt_cache=True, seed=args.seed)
    with tempfile.TemporaryDirectory() as tmp, FakeServer(config) as server:
        rows = run_ours(server, cells, args.ci_width, args.seed, Path(tmp))
        records = [r for r in server.stats().records if r.served]
        spent = sum(read_spend(Path(tmp) / s).total for s in {c.scenario for c in cells})
    ran = time.monotonic() - started

    ours = Tally()
    for r in records:
        judge = r.model == GRADER.rsplit("/", 1)[-1]
        ours.add(Tally(samples=0 if judge else 1, judge_calls=1 if judge else 0,
                       input_tokens=r.prompt_tokens - r.cached_tokens - r.cache_write_tokens,
                       cached_tokens=r.cached_tokens, written_tokens=r.cache_write_tokens,
                       output_tokens=r.completion_tokens))
    ours.dollars = spent  # our own ledger's figure, not recomputed
    judge_prompts = [r.prompt_tokens for r in records if r.model == "grader"]
    judge_prompt = sum(judge_prompts) / len(judge_prompts)
    paper, oracle = Tally(), Tally()
    for c in cells:
        name = c.model.rsplit("/", 1)[-1]
        prompt = next(r.prompt_tokens for r in records if r.model == name)
        paper.add(protocol(PAPER_N, PAPER_N, prompt, judge_prompt, cached=False))
        n = oracle_n(c.rate, args.ci_width)
        oracle.add(protocol(n, n * judged_share(c.rate), prompt, judge_prompt, cached=True))

    stops: dict[str, int] = {}
    for row in rows:
        stops[row["stopped"]] = stops.get(row["stopped"], 0) + 1
    print(f"grid: {len(cells)} conditions ({sum(c.rate > 0 for c in cells)} published rates "
          f"above 0, {sum(c.rate == 0 for c in cells)} at 0 incl. controls); "
          f"--ci-width {args.ci_width}; ours run through the fake provider in {ran:.0f} s")
    print(f"{'':15}{'paper':>13}{'ours':>13}{'oracle':>13}{'ours/paper':>12}"
          f"{'oracle/paper':>14}")
    for k in vars(paper):
        a, b, o = getattr(paper, k), getattr(ours, k), getattr(oracle, k)
        fmt = "{:>13.2f}" if k == "dollars" else "{:>13,.0f}"
        ratio = (f"{b / a:>12.2f}{o / a:>14.2f}" if a else f"{'-':>12}{'-':>14}")
        print(f"{k:15}" + fmt.format(a) + fmt.format(b) + fmt.format(o) + ratio)
    print(f"ours stopped: {', '.join(f'{k} {v}' for k, v in sorted(stops.items()))} "
          f"conditions; dollars ours are the spend ledger's (tokens at the same prices: "
          f"${dollars(ours):.2f})")
    reps = args.reps or (50 if args.quick else 200)
    covered = coverage(cells, args.ci_width, reps, args.seed)
    print(f"oracle lower bound ours/paper: {oracle.dollars / paper.dollars:.2f}; coverage "
          f"simulated over {reps} repetitions of the grid")
    print(f"cost ratio ours/paper: {ours.dollars / paper.dollars:.2f}; coverage: {covered:.2f}")


if __name__ == "__main__":
    main()
