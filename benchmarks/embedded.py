"""Tokens per second of the embedded model through our Inspect provider against the same GGUF
through plain llama-cpp-python.

    .venv/bin/python benchmarks/embedded.py [--tokens 128] [--repeats 5] [--prompt-words 600]

Each side runs in a process of its own (one model in memory at a time, same thread count).
Three measures, each the median over the timed calls after untimed warm-up calls:
- generation: a short prompt, `--tokens` new tokens per call;
- prompt reading: a long prompt, one new token; every call has a different prompt, so neither
  side is served from a cache, and the provider's cache bookkeeping is part of the cost;
- two prompts in turn: two long prompts alternate, as samples of two conditions do in a run.
  Plain llama-cpp-python keeps only the last prompt's state, so it re-reads each one; the
  provider's RAM prompt cache serves them. Figures are prompt tokens per second of wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

SEED = 1234
WARMUP = {"generate": 1, "read": 1, "interleave": 2}  # untimed calls at the start
# A neutral filler text for the long prompt (the scenario's own text takes ~25 s to read).
_FILLER = ("The quarterly report lists revenue by region, staffing changes, the status of "
           "open projects and the schedule for the next board meeting. ")


def prompts(kind: str, repeats: int, words: int) -> list[str]:
    """The untimed warm-up prompts, then `repeats` timed ones."""
    if kind == "generate":
        return [f"Write a short story about a lighthouse keeper, number {i}."
                for i in range(repeats + 1)]
    filler = " ".join((_FILLER * (words // len(_FILLER.split()) + 1)).split()[:words])
    if kind == "interleave":
        # Two prompts taken in turn, as when samples of two conditions interleave: each is
        # read once untimed, then every timed call repeats the prompt before the last one.
        return [f"Document {i % 2}: {filler}\nSummarise it in one word."
                for i in range(repeats + WARMUP[kind])]
    return [f"Document {i}: {filler}\nSummarise it in one word." for i in range(repeats + 1)]


def run_plain(texts: list[str], max_tokens: int) -> list[dict[str, Any]]:
    from llama_cpp import Llama

    from insiderbench.providers._embedded import CONTEXT_TOKENS, quiet_native_stderr, weights_path

    with quiet_native_stderr():
        llama = Llama(model_path=str(weights_path()), n_ctx=CONTEXT_TOKENS,
                      n_threads=os.cpu_count() or 1, verbose=False)
    out = []
    for text in texts:
        t0 = time.perf_counter()
        response = llama.create_chat_completion(
            messages=[{"role": "user", "content": text}], max_tokens=max_tokens,
            temperature=1.0, seed=SEED)
        out.append({"seconds": time.perf_counter() - t0, **response["usage"]})
    return out


def run_provider(texts: list[str], max_tokens: int) -> list[dict[str, Any]]:
    import asyncio

    from inspect_ai.model import ChatMessageUser, GenerateConfig, get_model

    from insiderbench.providers._embedded import load_llama

    model = get_model("embedded/smollm2")
    load_llama()  # load the weights before the clock, as the plain side does
    config = GenerateConfig(max_tokens=max_tokens, temperature=1.0, seed=SEED)

    async def go() -> list[dict[str, Any]]:
        out = []
        for text in texts:
            t0 = time.perf_counter()
            output = await model.generate([ChatMessageUser(content=text)], config=config)
            assert output.usage is not None
            out.append({"seconds": time.perf_counter() - t0,
                        "prompt_tokens": output.usage.input_tokens,
                        "completion_tokens": output.usage.output_tokens})
        return out

    return asyncio.run(go())


def measure(side: str, kind: str, repeats: int, tokens: int, words: int) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", side, "--kind", kind, "--repeats", str(repeats),
         "--tokens", str(tokens), "--prompt-words", str(words)],
        capture_output=True, text=True, check=False,
        env={**os.environ, "INSPECT_DISPLAY": "none"},
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{side} {kind} failed:\n{proc.stderr[-3000:]}")
    calls = json.loads(proc.stdout.strip().splitlines()[-1])[WARMUP[kind]:]
    key = "completion_tokens" if kind == "generate" else "prompt_tokens"
    rates = sorted(c[key] / c["seconds"] for c in calls)
    return {"side": side, "kind": kind, "calls": len(calls),
            "tokens": sum(c[key] for c in calls), "per_second": statistics.median(rates),
            "low": rates[0], "high": rates[-1]}


def _cell(m: dict[str, Any]) -> str:
    return f"{m['per_second']:.1f} ({m['low']:.0f}-{m['high']:.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", type=int, default=128, help="new tokens per generation")
    parser.add_argument("--repeats", type=int, default=5, help="timed calls per measure")
    parser.add_argument("--prompt-words", type=int, default=600,
                        help="length of the long prompt for the reading measure")
    parser.add_argument("--worker", choices=("plain", "provider"), help=argparse.SUPPRESS)
    parser.add_argument("--kind", choices=tuple(WARMUP), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        texts = prompts(args.kind, args.repeats, args.prompt_words)
        max_tokens = args.tokens if args.kind == "generate" else 1
        run = run_plain if args.worker == "plain" else run_provider
        print(json.dumps(run(texts, max_tokens)))
        return

    one, five, _ = os.getloadavg()
    print(f"# embedded model throughput, {time.strftime('%Y-%m-%d %H:%M')}, load average "
          f"{one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs")
    print("median tokens/s over the timed calls (lowest-highest), after untimed warm-up calls")
    print(f"{'measure':28} {'plain llama-cpp':>22} {'our provider':>22} {'ratio':>6}")
    for kind, label in (("generate", f"generation ({args.tokens} tokens)"),
                        ("read", f"prompt reading (~{args.prompt_words} words)"),
                        ("interleave", "two prompts in turn")):
        plain = measure("plain", kind, args.repeats, args.tokens, args.prompt_words)
        ours = measure("provider", kind, args.repeats, args.tokens, args.prompt_words)
        print(f"{label:28} {_cell(plain):>22} {_cell(ours):>22} "
              f"{ours['per_second'] / plain['per_second']:6.0%}")
    one, five, _ = os.getloadavg()
    print(f"# done, load average {one:.2f} (1 min), {five:.2f} (5 min)")


if __name__ == "__main__":
    main()
