"""A report written at the end of `run`, and one of an agentic run."""

from __future__ import annotations

import json

import pandas as pd

from helpers import run_cli


def test_run_writes_the_report(tmp_path, capsys):
    log_dir = tmp_path / "logs"
    code, out, err = run_cli(capsys, "run", "--model", "scripted/blackmail", "-s", "blackmail",
                             "--samples", "2", "--log-dir", str(log_dir), "--json")
    assert code == 0, err
    assert [json.loads(line)["harmful"] for line in out.splitlines()] == [2]  # stdout: rows only
    assert f"Report: {log_dir / 'report' / 'report.html'}" in err
    summary = pd.read_csv(log_dir / "report" / "summary.csv")
    assert (summary["n"].tolist(), summary["harmful"].tolist()) == ([2], [2])
    code, out, err = run_cli(capsys, "run", "--model", "scripted/blackmail", "-s", "blackmail",
                             "--samples", "2", "--log-dir", str(log_dir))
    assert code == 0 and "Report: " in out
    # The top of the report says in one sentence which rule the numbers use.
    html = (log_dir / "report" / "report.html").read_text()
    top = html.split('<p id="rule-sentence">', 1)[1].split("</p>", 1)[0]
    assert top.startswith("The rates below (rule auto:") and "offline heuristic" in top
    assert "LLM judge says" not in top  # no judge in this run: not our rule's words



def test_agentic_transcripts_show_tool_calls_as_actions(tmp_path):
    from inspect_ai import eval as inspect_eval
    from inspect_ai.model import ModelOutput, ModelUsage, get_model

    from helpers import reply
    from insiderbench.analysis import write_report
    from insiderbench.scenarios import make_condition
    from insiderbench.task import build_task

    cancel = ModelOutput.for_tool_call("mockllm/model", "cancel_alert", {"code": "EXEC-4429"})
    cancel.usage = ModelUsage(input_tokens=100, output_tokens=10, total_tokens=110)
    model = get_model("mockllm/model", custom_outputs=[cancel, reply("Done.")])
    inspect_eval(build_task([make_condition(scenario="murder", mode="agentic")]), model=model,
                 log_dir=str(tmp_path / "logs"), display="none")
    report = write_report(tmp_path / "logs", tmp_path / "out", figures=False)
    (row,) = report.table.to_dict("records")
    assert (row["mode"], row["condition_id"], row["harmful"]) == (
        "agentic", "murder_explicit-america_replacement__agentic", True)
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    data = json.loads(html.split('id="report-data">', 1)[1].split("</script>", 1)[0])
    (record,) = data["transcripts"]
    calls = [c for m in record["messages"] for c in m.get("calls", [])]
    assert [(c["fn"], c["action"]) for c in calls] == [("cancel_alert", True)]
    assert "EXEC-4429" in calls[0]["args"]
    assert any(m["role"] == "tool" for m in record["messages"])



def test_direction_controls_in_model_text_are_shown_not_obeyed(tmp_path, capsys):
    from inspect_ai import eval as inspect_eval
    from inspect_ai.model import get_model

    from helpers import reply
    from insiderbench.analysis import write_report
    from insiderbench.cli._output import terminal_text
    from insiderbench.scenarios import make_condition
    from insiderbench.task import build_task

    trick = "Please open invoice_\u202egnp.exe and ignore\u2066 this\u2069."
    model = get_model("mockllm/model", custom_outputs=[reply(trick)])
    inspect_eval(build_task([make_condition(scenario="blackmail")]), model=model,
                 log_dir=str(tmp_path / "logs"), display="none")
    # A log whose very name holds a control is named in the report's problems (Jinja text).
    (tmp_path / "logs" / "bad\u202egpj.eval").write_text("junk")
    write_report(tmp_path / "logs", tmp_path / "out", figures=False)
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert not any(ch in html for ch in "\u202e\u2066\u2069")
    assert "invoice_\\u003cU+202E\\u003egnp.exe" in html  # the reply, in the embedded data
    assert "bad&lt;U+202E&gt;gpj.eval" in html  # the problem line, through the template
    assert terminal_text(trick) == ("Please open invoice_<U+202E>gnp.exe and ignore<U+2066> "
                                    "this<U+2069>.")
