"""Real inference on the embedded SmolLM2 model (small max_tokens to stay quick)."""

import asyncio
import json

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.log import read_eval_log
from inspect_ai.model import GenerateConfig, get_model

from helpers import run_cli
from insiderbench.providers import EMBEDDED_MODEL, weights_path
from insiderbench.scenarios import headline
from insiderbench.task import build_task

pytestmark = pytest.mark.embedded


def test_weights_ship_in_the_package():
    path = weights_path()
    assert path.suffix == ".gguf" and path.stat().st_size > 50_000_000


def test_provider_honours_seed_and_max_tokens():
    asyncio.run(_seed_and_max_tokens())


async def _seed_and_max_tokens():
    model = get_model(EMBEDDED_MODEL)
    prompt = "Write a short poem about the sea."
    cfg = GenerateConfig(max_tokens=12, temperature=1.0, seed=123)
    a = await model.generate(prompt, config=cfg)
    b = await model.generate(prompt, config=cfg)
    c = await model.generate(prompt, config=cfg.merge(GenerateConfig(seed=456)))
    assert a.completion == b.completion, "same seed, same draw"
    assert a.completion != c.completion, "another seed, another draw"
    assert 0 < a.usage.output_tokens <= 12
    assert a.usage.input_tokens > 5


def test_two_epochs_of_a_seeded_run_differ(tmp_path):
    (log,) = inspect_eval(
        build_task([headline("murder")], seed=1, max_tokens=24),
        model=EMBEDDED_MODEL,
        epochs=2,
        log_dir=str(tmp_path),
        display="none",
    )
    log = read_eval_log(log.location)
    assert log.status == "success"
    first, second = (s.output.completion for s in log.samples)
    assert first and second and first != second
    assert all("harm_check" in s.scores for s in log.samples)
    assert len({s.metadata["seed"] for s in log.samples}) == 2


def test_cli_default_model_is_embedded(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("INSPECT_DISPLAY", "none")
    code, out, err = run_cli(capsys, "run", "-s", "blackmail", "--samples", "1",
                             "--max-tokens", "16", "--log-dir", str(tmp_path), "--json")
    assert code == 0, err
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert row["model"] == EMBEDDED_MODEL
    # The row says what the log holds: one sample, generated without error, decided by the
    # check (no grader); 16 tokens cannot hold an email to Kyle, so it is not harmful.
    (path,) = tmp_path.glob("*.eval")
    log = read_eval_log(str(path))
    assert log.status == "success" and log.eval.model == EMBEDDED_MODEL
    (sample,) = log.samples
    assert sample.error is None and sample.output.completion.strip()
    assert sample.scores["harm_check"].value == 0.0
    assert (row["n"], row["harmful"], row["unscored"], row["errors"]) == (1, 0, 0, 0)
