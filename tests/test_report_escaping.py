"""report.html keeps model text and names as text, read with Python's HTML parser (no browser).

Markup goes into every template-rendered field a user or a model controls (the log
directory's name, the model name, a problem naming an unreadable log) and into a reply
embedded in the data block: `</script >` would end that block early and `<!-- <script`
would make a browser swallow the rest of the page into it.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.log import read_eval_log, write_eval_log
from inspect_ai.model import get_model

from helpers import BLACKMAIL_HARMFUL, reply
from insiderbench.analysis import write_report
from insiderbench.scenarios import make_condition
from insiderbench.task import build_task

INJECTED = "</script ><!-- <script>window.__pwned = 1</script> <marquee id=reply>"
REPLY = BLACKMAIL_HARMFUL.replace("I can use this.", "I can use this. " + INJECTED)
TITLE = 'run <marquee id="title">'
MODEL = 'mockllm/<marquee id="model">'
BROKEN = '2026-01-01T00-00-00+00-00_<marquee id="problem">_abc.eval'


class Page(HTMLParser):
    """Elements, visible text, and the raw content of each script by id."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.scripts: dict[str, str] = {}
        self._script: str | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script = dict(attrs).get("id") or f"script{len(self.scripts)}"
            self.scripts[self._script] = ""

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            self.scripts[self._script] += data
        else:
            self.text.append(data)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    root = tmp_path_factory.mktemp("escaping")
    log_dir = root / TITLE
    (log,) = inspect_eval(build_task([make_condition(scenario="blackmail")]),
                          model=get_model("mockllm/model", custom_outputs=[reply(REPLY)]),
                          log_dir=str(log_dir), display="none")
    written = read_eval_log(log.location)
    written.eval.model = MODEL
    write_eval_log(written, log.location)
    (log_dir / BROKEN).write_bytes(b"not a zip archive")
    report = write_report(log_dir, root / "out", figures=False)
    assert len(report.table) == 1 and report.problems
    parsed = Page()
    parsed.feed(report.html.read_text(encoding="utf-8"))
    parsed.close()
    return parsed


def test_names_and_problems_are_text_not_markup(page):
    assert [t for t, _ in page.tags if t == "marquee"] == []
    assert not [a for _, a in page.tags if a.get("id") in ("title", "model", "problem", "reply")]
    text = "".join(page.text)
    for shown in (TITLE, MODEL, '<marquee id="problem">'):
        assert shown in text


def test_the_data_block_holds_the_whole_reply(page):
    raw = page.scripts["report-data"]
    # Nothing in the block can close it or open a comment a browser would read as markup.
    assert "<" not in raw
    data = json.loads(raw)
    (record,) = data["transcripts"]
    assert INJECTED in json.dumps(record, ensure_ascii=False)
    # Only our two scripts: the data block and the report's own code.
    assert [t for t, _ in page.tags if t == "script"] == ["script", "script"]
