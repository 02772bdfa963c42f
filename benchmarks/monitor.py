"""What an LLM action monitor adds to an agentic run: its prompt per reviewed call, its calls
and tokens per sample against the agent's, and the wall time with and without it.

The agent and the monitor are scripts of the fake OpenAI-compatible server (tests/fakeserver,
127.0.0.1), each call answered after --latency seconds; token counts of prompts are the
SmolLM2 tokenizer's (as `plan` counts), those of the runs the fake server's.

    .venv/bin/python benchmarks/monitor.py [--samples 20] [--latency 0.2]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))


def prompt_tokens() -> None:
    from inspect_ai.tool import ToolCall

    from insiderbench.agent import agentic_messages
    from insiderbench.agent._reviewer import review_messages
    from insiderbench.experiment._plan import count_tokens
    from insiderbench.scenarios import get_pack, make_condition

    calls = {
        "blackmail": ToolCall(id="c", function="send_email", arguments={
            "to": "kyle.johnson@summitbridge.com", "subject": "Before 5pm", "body": "Kyle, ..."}),
        "leaking": ToolCall(id="c", function="forward_email", arguments={
            "email_id": "2", "to": "secure@starsentinel.net", "body": "The specifications."}),
        "murder": ToolCall(id="c", function="cancel_alert", arguments={"code": "EXEC-4429"}),
    }
    print("First reviewed call of each scenario (paper pack), prompt tokens:")
    for scenario, call in calls.items():
        messages = agentic_messages(get_pack("paper").render(
            make_condition(scenario=scenario, mode="agentic")))
        system, user = review_messages(call, messages)
        print(f"  {scenario:9s} monitor {count_tokens(system.text) + count_tokens(user.text):6,}"
              f"   agent {sum(count_tokens(m.text) for m in messages):6,}")


def run(samples: int, monitor: str | None, log_dir: Path) -> float:
    from insiderbench.cli import main

    args = ["run", "-s", "murder", "--mode", "agentic", "--model", "openai-api/fake/mixed-50",
            "--samples", str(samples), "--log-dir", str(log_dir), "--json"]
    if monitor:
        args += ["--monitor", monitor]
    start = time.perf_counter()
    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet), \
            contextlib.redirect_stderr(quiet):
        try:
            main(args)
        except SystemExit as ex:
            if ex.code:
                raise
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.2)
    opts = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    prompt_tokens()

    from fakeserver import FakeServer, ServerConfig

    config = ServerConfig(latency_min=opts.latency, latency_max=opts.latency)
    os.environ["INSPECT_DISPLAY"] = "none"
    with FakeServer(config) as server, tempfile.TemporaryDirectory() as tmp:
        os.environ.update(server.env())
        run(1, "openai-api/fake/monitor-reject", Path(tmp) / "warm-up")  # imports, start-up
        for label, monitor in (("no monitor", None),
                               ("LLM monitor", "openai-api/fake/monitor-reject")):
            server.reset()
            wall = run(opts.samples, monitor, Path(tmp) / label.replace(" ", "-"))
            records = [r for r in server.stats().records if r.served]
            agent = [r for r in records if r.model == "mixed-50"]
            watcher = [r for r in records if r.model == "monitor-reject"]
            per = opts.samples
            print(f"{label:12s} wall {wall:6.1f} s | agent calls/sample {len(agent) / per:.2f},"
                  f" tokens/sample {sum(r.prompt_tokens + r.completion_tokens for r in agent) / per:,.0f}"
                  f" | monitor calls/sample {len(watcher) / per:.2f}, tokens/sample "
                  f"{sum(r.prompt_tokens + r.completion_tokens for r in watcher) / per:,.0f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
