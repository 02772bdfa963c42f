"""Sequential sampling killed mid-wave (SIGKILL) and rerun, through the real CLI, Inspect's
openai-api provider and the fake server: the rerun continues, never buys again a sample that
finished (the server's own count of served replies), and ends with the same samples and the
same stopping decisions as an uninterrupted run given the same replies."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

from fakeserver import FakeServer, ServerConfig
from insiderbench.experiment import latest_logs

MODELS = ("openai-api/fake/mixed-8", "openai-api/fake/mixed-40")  # some stop early, some not
CONNECTIONS = 4
SAMPLING = ("--ci-width", "0.3", "--min-samples", "6", "--max-samples", "40")


def config() -> ServerConfig:
    return ServerConfig(latency_min=0.03, latency_max=0.12, seed=7)


def cli(server: FakeServer, log_dir) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from insiderbench.cli import main; main()", "run",
         "--model", MODELS[0], "--model", MODELS[1], "-s", "blackmail", "-s", "murder",
         *SAMPLING,
         "--seed", "11", "--max-connections", str(CONNECTIONS), "--log-dir", str(log_dir),
         "--json"],
        env={**os.environ, **server.env(), "INSPECT_DISPLAY": "none"}, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(run: subprocess.Popen[str]) -> list[dict]:
    out, err = run.communicate(timeout=600)
    assert run.returncode == 0, err[-3000:]
    return sorted((json.loads(line) for line in out.splitlines()),
                  key=lambda r: (r["model"], r["condition_id"]))


def samples_logged(log_dir) -> dict[str, list[int]]:
    from insiderbench.analysis import iter_samples

    out: dict[str, list[int]] = {}
    for header in latest_logs(log_dir):
        for s in iter_samples(header):
            out.setdefault(f"{header.eval.model} {s.id}", []).append(s.epoch)
    return {k: sorted(v) for k, v in out.items()}


def test_sigkill_mid_wave_then_rerun_decides_as_an_uninterrupted_run(tmp_path):
    with FakeServer(config()) as reference:
        expected = finish(cli(reference, tmp_path / "reference"))
        bought = reference.stats(records=False).served
    assert {r["stopped"] for r in expected} <= {"width", "max"}
    assert any(r["stopped"] == "width" and 6 < r["samples"] < 40 for r in expected), (
        "no condition stopped at its width after a second wave")

    kill_seed = int(os.environ.get("KILL_SEED") or random.randrange(1 << 30))
    print(f"kill seed {kill_seed} (replay: KILL_SEED={kill_seed})")
    # After the first wave of every condition, before the last one is done.
    kill_at = random.Random(kill_seed).randint(4 * 6 + 1, bought - CONNECTIONS - 1)
    log_dir = tmp_path / "logs"
    with FakeServer(config()) as server:
        first = cli(server, log_dir)
        deadline = time.monotonic() + 240
        while server.stats(records=False).served < kill_at:
            assert first.poll() is None, first.communicate()[1][-2000:]
            assert time.monotonic() < deadline, "the run made no progress"
            time.sleep(0.005)
        first.send_signal(signal.SIGKILL)
        first.communicate()
        assert first.returncode == -signal.SIGKILL
        at_kill = server.stats(records=False).served
        assert at_kill < bought, f"kill seed {kill_seed}: the run had already finished"

        rows = finish(cli(server, log_dir))
        stats = server.stats()

    # The same stopping decisions, samples and intervals as without the kill.
    keys = ("model", "condition_id", "samples", "stopped", "n", "harmful", "ci_low", "ci_high")
    assert [{k: r[k] for k in keys} for r in rows] == [{k: r[k] for k in keys}
                                                      for r in expected]
    assert samples_logged(log_dir) == samples_logged(tmp_path / "reference")
    for epochs in samples_logged(log_dir).values():
        assert epochs == list(range(1, len(epochs) + 1))
    # Nothing finished was bought again: only replies on the wire at the kill (at most one per
    # connection of each model) may have been asked for twice, and every sample was bought.
    # (Both models send the same seed for the same condition and epoch: key by model too.)
    served = Counter((r.model, r.sample) for r in stats.records if r.served)
    paid_twice = [s for s, n in served.items() if n > 1]
    assert len(paid_twice) <= 2 * CONNECTIONS, f"kill seed {kill_seed}: {paid_twice}"
    assert all(n <= 2 for n in served.values())
    assert stats.served == bought + len(paid_twice)
    assert len(served) == bought
