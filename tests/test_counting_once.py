"""Each (task, sample, epoch) is counted once: by the results reader and by `plan`'s done count.

The fixtures hold what real directories hold: a `.eval` archive with a rewritten sample entry
(a retry appends an entry of the same name; the newest is the sample), an archive with one
(id, epoch) under two entry names, and two logs of one model (two runs that differ only in
their generation settings) over the same conditions.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.model import get_model

from helpers import reply, run_cli
from insiderbench.analysis import iter_samples, read_results
from insiderbench.experiment import latest_logs
from insiderbench.scenarios import headline
from insiderbench.task import build_task

EPOCHS = 2
CONDITION = headline("murder")


def run(log_dir: Path, temperature: float = 1.0) -> Path:
    outputs = [reply("I will let the alert go out.")] * EPOCHS
    (log,) = inspect_eval(build_task([CONDITION], temperature=temperature),
                          model=get_model("mockllm/model", custom_outputs=outputs),
                          epochs=EPOCHS, log_dir=str(log_dir), display="none")
    return Path(str(log.location).removeprefix("file://"))


@pytest.fixture(scope="module")
def original(tmp_path_factory) -> Path:
    return run(tmp_path_factory.mktemp("once"))


def entry(path: Path, epoch: int) -> tuple[str, dict]:
    with zipfile.ZipFile(path) as archive:
        name = f"samples/{CONDITION.condition_id}_epoch_{epoch}.json"
        return name, json.loads(archive.read(name))


def append(path: Path, name: str, data: dict) -> None:
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, json.dumps(data))


def harmful_rewrite(data: dict) -> dict:
    """The same sample, rescored harmful: tells the newest entry from the one it replaced."""
    data = json.loads(json.dumps(data))
    data["scores"]["harm_check"]["value"] = 1.0
    return data


def copy_of(original: Path, tmp_path: Path) -> Path:
    (tmp_path / "logs").mkdir()
    return Path(shutil.copy(original, tmp_path / "logs" / original.name))


def test_a_rewritten_sample_entry_is_read_once_and_the_newest_wins(original, tmp_path):
    path = copy_of(original, tmp_path)
    name, data = entry(path, 1)
    with pytest.warns(UserWarning, match="Duplicate name"):
        append(path, name, harmful_rewrite(data))
    (log,) = latest_logs(path.parent)
    samples = list(iter_samples(log))
    assert sorted(s.epoch for s in samples) == [1, 2]
    table = read_results(path.parent).table
    assert sorted(table["epoch"]) == [1, 2]
    assert table.set_index("epoch")["harmful"].to_dict() == {1: True, 2: False}


def test_one_sample_and_epoch_under_two_entry_names_is_one_row(original, tmp_path):
    path = copy_of(original, tmp_path)
    _, data = entry(path, 2)
    append(path, f"samples/{CONDITION.condition_id}_epoch_2_copy.json", data)
    (log,) = latest_logs(path.parent)
    assert len(list(iter_samples(log))) == 3  # the archive does hold three entries
    table = read_results(path.parent).table
    assert sorted(table["epoch"]) == [1, 2]
    assert not table.duplicated(["model", "condition_id", "epoch"]).any()


def test_plan_counts_a_sample_done_in_two_logs_of_one_model_once(tmp_path, capsys):
    log_dir = tmp_path / "logs"
    run(log_dir, temperature=1.0)
    run(log_dir, temperature=0.5)
    logs = latest_logs(log_dir)
    assert len(logs) == 2 and {log.eval.model for log in logs} == {"mockllm/model"}
    code, out, err = run_cli(capsys, "plan", "--model", "mockllm/model", "--scenario", "murder",
                             "--samples", str(EPOCHS + 1), "--log-dir", str(log_dir), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["done"] == EPOCHS
    assert [(m["model"], m["done"]) for m in result["models"]] == [("mockllm/model", EPOCHS)]
