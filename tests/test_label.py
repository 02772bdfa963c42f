"""`insiderbench label`: the labels file, the stratified draw, and the page in headless Chromium."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Self

import pytest

from chromium import Browser, chromium_path
from helpers import run_cli
from insiderbench.analysis import Label, LabelsError, append_label, read_labels
from insiderbench.analysis._labeller import Picker, stratum_weights
from report_fixture import build_logs

KEYS = {"sample_id", "epoch", "model", "condition_id", "label", "note", "labeller", "at",
        "stratum"}
EXE = str(Path(sys.executable).parent / "insiderbench")


def _label(i: int, value: str = "harmful", labeller: str = "ann", **kw: object) -> Label:
    return Label(sample_id=f"s{i}", epoch=1, model="m", condition_id="c", label=value,
                 labeller=labeller, at="2026-01-01T00:00:00+00:00", **kw)  # type: ignore[arg-type]


def test_later_label_of_a_labeller_replaces_the_earlier_and_both_labellers_are_kept(tmp_path):
    path = tmp_path / "labels.jsonl"
    append_label(path, _label(1, "harmful"))
    append_label(path, _label(1, "harmful", labeller="bob"))
    append_label(path, _label(1, "not_harmful", note="on second reading"))
    append_label(path, _label(2, "unsure"))
    lines = path.read_text().splitlines()
    assert len(lines) == 4 and set(json.loads(lines[0])) == KEYS  # the file only grows
    got = {(lab.labeller, lab.sample_id): lab.label for lab in read_labels(path)}
    assert got == {("ann", "s1"): "not_harmful", ("bob", "s1"): "harmful", ("ann", "s2"): "unsure"}


def test_a_torn_last_line_is_ignored_and_a_bad_line_is_named(tmp_path):
    path = tmp_path / "labels.jsonl"
    append_label(path, _label(1))
    with path.open("a") as f:
        f.write('{"sample_id": "s2", "epo')  # a crash in the middle of a write
    assert [lab.sample_id for lab in read_labels(path)] == ["s1"]
    path.write_text(json.dumps({**_label(1).model_dump(), "label": "maybe"}) + "\n")
    with pytest.raises(LabelsError, match=r"labels.jsonl:1: .*\(label\).*harmful, not_harmful"):
        read_labels(path)
    # Written by hand without a stratum: read the same way, drawn from the whole run.
    path.write_text(json.dumps({k: v for k, v in _label(3).model_dump().items()
                                if k != "stratum"}) + "\n")
    assert read_labels(path)[0].stratum is None


def test_the_draw_keeps_each_stratum_at_its_share():
    strata = {"auto:harmful": [("m", f"h{i}", 1) for i in range(5)],
              "auto:rest": [("m", f"r{i}", 1) for i in range(50)]}
    picker = Picker(strata, stratum_weights({k: len(v) for k, v in strata.items()}, 0.5))
    drawn = []
    for _ in range(8):
        key = picker.next()
        drawn.append(key[1][0])
        picker.done.add(key)
    assert drawn.count("h") == 4 and drawn.count("r") == 4  # half and half, not 5 in 55
    for _ in range(10):
        picker.done.add(picker.next())
    assert all(k in picker.done for k in strata["auto:harmful"])  # a stratum runs out: go on
    assert {v["stratum"]: v["weight"] for v in picker.view()} == {"auto:harmful": 1.0,
                                                                  "auto:rest": round(50 / 13, 3)}
    assert stratum_weights({"auto:harmful": 0, "auto:rest": 9}, 0.5) == {"auto:harmful": 0.0,
                                                                         "auto:rest": 1.0}


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    return build_logs(tmp_path_factory.mktemp("label-logs"))["both"]


class Server:
    """`insiderbench label` in its own process, as a user runs it; stopped at the end."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen([EXE, "label", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.url = ""
        for line in self.proc.stdout:  # type: ignore[union-attr]
            if line.startswith("Open "):
                self.url = line.split()[1]
                break
        assert self.url.startswith("http://127.0.0.1:"), self.proc.stderr.read()  # type: ignore[union-attr]

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def _until(check, what: str, seconds: float = 60):
    """Poll until `check()` is truthy (a generous deadline: only to not hang forever)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


def _press(page, key: str) -> None:
    code = {"ArrowLeft": "ArrowLeft", "Escape": "Escape"}.get(key, f"Key{key.upper()}")
    for kind in ("keyDown", "keyUp"):
        params = {"type": kind, "key": key, "code": code}
        if kind == "keyDown" and len(key) == 1:
            params["text"] = key
        page.call("Input.dispatchKeyEvent", params)


def _shown(page) -> str:
    return page.eval("document.getElementById('ids').textContent")


@pytest.mark.skipif(chromium_path() is None, reason="needs chromium")
def test_keystrokes_write_labels_and_model_text_cannot_run(logs, tmp_path):
    labels = tmp_path / "labels.jsonl"
    with Server(str(logs), "--labels", str(labels), "--labeller", "alice", "--seed", "3") as srv, \
            Browser() as browser:
        page = browser.open(srv.url)
        first = _until(lambda: _shown(page), "a sample is shown")
        assert "Verdicts are hidden" in page.eval("document.body.innerText")  # blind
        assert "blackmail, " in page.eval("document.getElementById('cond').textContent")
        _press(page, "y")
        _until(lambda: len(_lines(labels)) == 1, "the first label is saved")
        line = _lines(labels)[0]
        assert set(line) == KEYS and line["label"] == "harmful" and line["labeller"] == "alice"
        assert line["stratum"] in ("auto:harmful", "auto:rest") and line["at"]
        assert f"epoch {line['epoch']}" in first and str(line["model"]) in first
        second = _until(lambda: _shown(page) != first and _shown(page), "the next sample")
        _press(page, "e")
        page.call("Input.insertText", {"text": "veiled threat? y n"})  # keys typed into the note
        _press(page, "Escape")
        assert len(_lines(labels)) == 1
        _press(page, "n")
        _until(lambda: len(_lines(labels)) == 2, "the second label is saved")
        assert _lines(labels)[1]["label"] == "not_harmful"
        assert _lines(labels)[1]["note"] == "veiled threat? y n"
        third = _until(lambda: _shown(page) != second and _shown(page), "the third sample")
        _press(page, "s")  # skip: nothing written
        fourth = _until(lambda: _shown(page) != third and _shown(page), "the one after the skip")
        _press(page, "u")
        _until(lambda: len(_lines(labels)) == 3, "the unsure label is saved")
        assert _lines(labels)[2]["label"] == "unsure"
        _until(lambda: _shown(page) != fourth, "the fifth sample")
        _press(page, "ArrowLeft")  # back: the labelled sample, now with its verdicts
        _until(lambda: "Your label: unsure" in page.eval("document.body.innerText"), "back")
        assert "heuristic: " in page.eval("document.getElementById('verdicts').innerText")
        _press(page, "y")  # relabel it: a new line, and it replaces the earlier one
        _until(lambda: len(_lines(labels)) == 4, "the relabel is saved")
        mine = read_labels(labels)
        assert len(mine) == 3 and mine[-1].label == "harmful"
        # Label on until a reply carrying markup is on screen: shown as text, never run.
        for _ in range(72):
            if "<script>window.__pwned" in page.eval("document.body.innerText"):
                break
            before = len(_lines(labels))
            _press(page, "n")
            _until(lambda b=before: len(_lines(labels)) > b
                   or "Every sample" in page.eval("document.body.innerText"), "a label")
            _until(lambda: "Not labelled yet" in page.eval("document.body.innerText")
                   or "Every sample" in page.eval("document.body.innerText"), "next")
        assert "<script>window.__pwned" in page.eval("document.body.innerText")
        page.settle(0.5)
        assert page.eval("window.__pwned === undefined")
        assert page.eval("document.scripts.length") == 1
        assert page.eval("document.querySelectorAll('img, svg').length") == 0
        assert page.errors == []
        assert all(u.startswith((srv.url, "data:")) for u in page.requests)


def test_only_this_machines_page_may_use_the_server(logs, tmp_path):
    with Server(str(logs), "--labels", str(tmp_path / "l.jsonl")) as srv:
        ok = urllib.request.urlopen(srv.url + "api/state", timeout=30)
        assert json.load(ok)["samples"] == 72
        foreign = urllib.request.Request(srv.url + "api/state", headers={"Host": "evil.example"})
        with pytest.raises(urllib.error.HTTPError, match="403"):
            urllib.request.urlopen(foreign, timeout=30)
        form = urllib.request.Request(srv.url + "api/label", data=b"label=harmful",
                                      headers={"Content-Type": "text/plain"})
        with pytest.raises(urllib.error.HTTPError, match="415"):
            urllib.request.urlopen(form, timeout=30)
    assert not (tmp_path / "l.jsonl").exists()


def test_bad_input_is_one_line(logs, tmp_path, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = str(taken.getsockname()[1])
        code, _, err = run_cli(capsys, "label", str(logs), "--port", port, "--labels",
                               str(tmp_path / "x"))
    assert code == 2 and "cannot listen on 127.0.0.1" in err
    assert len(err.strip().splitlines()) == 1
    (tmp_path / "bad.jsonl").write_text("not json\n")
    code, _, err = run_cli(capsys, "label", str(logs), "--labels", str(tmp_path / "bad.jsonl"))
    assert code == 2 and "bad.jsonl:1: not a label" in err
    code, _, err = run_cli(capsys, "label", str(logs), "--labels", str(tmp_path))
    assert code == 2 and "is a directory" in err
