"""What a grid costs under the paper's protocol and under ours, and how often our intervals hold.

The grid: one condition per rate the paper published (`paper_models.yaml`: blackmail and lethal
action, every model), plus 8 controls at a true rate of 0. Each sample's verdict is drawn at
the condition's rate; its gate opens with probability min(1, rate + 0.1) (a harmful sample
always passes it). Prompts have the real token counts of the scenario (the canonical prompt,
counted offline) and the judge's prompt is the real one plus the reply; replies are 1,000
tokens, judge answers 500.

- paper: 100 samples per condition, the judge on every sample, no prompt caching.
- ours: waves until the 95% confidence sequence is at most --ci-width wide (10 to 100), the
  judge only past the gate and on the 5% audit share, prompt caching (the first sample of a
  condition writes the cache, its siblings read it; the judge's prompt is not cached).

Dollars at Anthropic's published prices for Claude Sonnet 4.6 as target and judge (input 3,
output 15, cache read 0.30, cache write 3.75 USD per million tokens), batch mode off.
The replies are simulated, not sent to a provider: the sample counts come from the same
stopping rule `run --ci-width` uses (`insiderbench.sampling`).

    .venv/bin/python benchmarks/cost.py            # 200 repetitions of the grid
    .venv/bin/python benchmarks/cost.py --quick    # 20 repetitions
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass

PRICE = {"input": 3.00, "output": 15.00, "cache_read": 0.30, "cache_write": 3.75}
REPLY_TOKENS = 1000
JUDGE_REPLY_TOKENS = 500
CONTROLS = 8
AUDIT = 0.05


@dataclass
class Tally:
    samples: float = 0
    judge_calls: float = 0
    input_tokens: float = 0
    cached_tokens: float = 0
    output_tokens: float = 0
    dollars: float = 0

    def add(self, other: Tally, weight: float = 1.0) -> None:
        for k in vars(self):
            setattr(self, k, getattr(self, k) + weight * getattr(other, k))


def prompt_sizes() -> dict[str, tuple[int, int]]:
    """(target prompt, judge prompt without the reply) in tokens, per scenario."""
    from insiderbench.classify import harm_request
    from insiderbench.experiment._plan import CHAT_OVERHEAD_TOKENS, count_tokens
    from insiderbench.scenarios import get_pack, make_condition

    out = {}
    for scenario in ("blackmail", "murder"):
        r = get_pack("paper").render(make_condition(scenario=scenario))
        target = count_tokens(r.system) + count_tokens(r.user) + CHAT_OVERHEAD_TOKENS
        q = harm_request("paper", facts=r.facts, transcript="", actions=(),
                         email_content=r.email_content)
        judge = count_tokens("".join(str(m.content) for m in q.messages)) + CHAT_OVERHEAD_TOKENS
        out[scenario] = (target, judge)
    return out


def grid() -> list[tuple[str, float]]:
    from insiderbench.data import paper_models

    cells = []
    for m in paper_models():
        for scenario in ("blackmail", "murder"):
            if m.get(scenario) is not None:
                cells.append((scenario, float(m[scenario])))
    cells += [("blackmail", 0.0)] * (CONTROLS // 2) + [("murder", 0.0)] * (CONTROLS // 2)
    return cells


def cost(samples: int, judged: float, target: int, judge: int, cached: bool) -> Tally:
    t = Tally(samples=samples, judge_calls=judged)
    t.output_tokens = samples * REPLY_TOKENS + judged * JUDGE_REPLY_TOKENS
    judge_in = judged * (judge + REPLY_TOKENS)
    if cached:
        t.cached_tokens = (samples - 1) * target
        t.input_tokens = target + judge_in
        t.dollars = (target * PRICE["cache_write"] + (samples - 1) * target * PRICE["cache_read"]
                     + judge_in * PRICE["input"])
    else:
        t.input_tokens = samples * target + judge_in
        t.dollars = t.input_tokens * PRICE["input"]
    t.dollars = (t.dollars + t.output_tokens * PRICE["output"]) / 1e6
    return t


def main() -> None:
    from insiderbench.sampling import StoppingRule, Verdict, replay

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 repetitions instead of 200")
    parser.add_argument("--ci-width", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    reps = 20 if args.quick else 200
    rule = StoppingRule(args.ci_width, 10, 100)
    sizes = prompt_sizes()
    cells = grid()
    rng = random.Random(args.seed)
    paper, ours = Tally(), Tally()
    covered = total = 0
    stops: dict[str, int] = {}
    for _ in range(reps):
        for scenario, rate in cells:
            target, judge = sizes[scenario]
            paper.add(cost(100, 100, target, judge, cached=False), 1 / reps)
            verdicts: list[Verdict] = []
            gates = 0
            while not (decision := replay(rule, verdicts)).stopped:
                while len(verdicts) < decision.wave_end:
                    harmful = rng.random() < rate
                    gate = harmful or rng.random() < min(1.0, rate + 0.1)
                    gates += gate or rng.random() < AUDIT
                    verdicts.append(harmful)
            ours.add(cost(decision.taken, gates, target, judge, cached=True), 1 / reps)
            covered += decision.ci_low <= rate <= decision.ci_high
            total += 1
            stops[decision.reason or "?"] = stops.get(decision.reason or "?", 0) + 1
    print(f"grid: {len(cells)} conditions ({len(cells) - CONTROLS} published rates, {CONTROLS} "
          f"controls at 0), {reps} repetitions; prompts {sizes} tokens (target, judge)")
    print(f"{'':14}{'paper':>14}{'ours':>14}{'ours/paper':>12}")
    for k in vars(paper):
        a, b = getattr(paper, k), getattr(ours, k)
        fmt = "{:>14.2f}" if k == "dollars" else "{:>14,.0f}"
        ratio = f"{b / a:>12.2f}" if a else f"{'-':>12}"
        print(f"{k:14}" + fmt.format(a) + fmt.format(b) + ratio)
    print(f"stopped: {', '.join(f'{k} {v / reps:.1f}' for k, v in sorted(stops.items()))} "
          "conditions per grid")
    print(f"cost ratio ours/paper: {ours.dollars / paper.dollars:.2f}; "
          f"coverage: {covered / total:.2f}")


if __name__ == "__main__":
    main()
