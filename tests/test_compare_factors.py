"""`compare` across runs that differ in one factor (issue 18): their condition ids differ, so
their cells are paired by the other factors, and the factor that differs is named; runs that
differ in more, or share nothing, are refused in one line (exit 2). Small runs against the fake
provider."""

from __future__ import annotations

import json

import pytest

from fakeserver import ServerConfig
from helpers import fake_server_env, run_cli

MODEL = "openai-api/fake/mixed-50"
BASE = "blackmail_explicit-america_{}"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Five small runs: the baseline, one ablated, one ablated and told `dont`, one of another
    scenario, and agentic runs with and without the rule monitor."""
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("INSPECT_DISPLAY", "none")
    root = tmp_path_factory.mktemp("compare-runs")
    specs = {
        "base": "",
        "agency": "ablations: [[agency]]\n",
        "agency_dont": "ablations: [[agency]]\n    extra_instructions: [dont]\n",
        "murder": "",
        "watched": "monitors: [rule]\n",
        "unwatched": "",
    }
    out = {}
    capsys = _Capture()
    with fake_server_env(monkeypatch, ServerConfig()):
        for name, extra in specs.items():
            scenario = "murder" if name in ("murder", "watched", "unwatched") else "blackmail"
            agentic = "mode: agentic\n" if name in ("watched", "unwatched") else ""
            path = root / f"{name}.yaml"
            path.write_text(f"name: {name}\nmodels: [{MODEL}]\nsamples: 4\n{agentic}"
                            f"grids:\n  - scenarios: [{scenario}]\n"
                            f"    urgencies: [replacement, none]\n    {extra}")
            out[name] = root / name
            code, _, err = capsys.cli("run", str(path), "--log-dir", str(out[name]),
                                      "--rule", "check")
            assert code == 0, err
    monkeypatch.undo()
    return out


class _Capture:
    """run_cli for a module fixture (no capsys there): stdout and stderr to strings."""

    def cli(self, *args: str) -> tuple[int, str, str]:
        import contextlib
        import io

        from insiderbench.cli import main

        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(list(args))
                code = 0
            except SystemExit as ex:
                code = int(ex.code or 0)
        return code, out.getvalue(), err.getvalue()


def compare_json(capsys, a, b):
    code, out, err = run_cli(capsys, "compare", str(a), str(b), "--rule", "check", "--json")
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()]


def test_an_ablated_run_pairs_with_its_baseline_by_the_other_factors(runs, capsys):
    rows = compare_json(capsys, runs["agency"], runs["base"])
    pairs = sorted((r["condition_id"], r["condition_id_b"]) for r in rows)
    assert pairs == [(BASE.format("none__abl-agency"), BASE.format("none")),
                     (BASE.format("replacement__abl-agency"), BASE.format("replacement"))]
    assert {r["differs"] for r in rows} == {"ablation: agency vs none"}
    for r in rows:
        assert r["n_a"] == r["n_b"] == 4 and r["ci_low"] <= r["diff"] <= r["ci_high"]
        assert r["diff"] == pytest.approx(r["rate_a"] - r["rate_b"])
    code, out, _ = run_cli(capsys, "compare", str(runs["agency"]), str(runs["base"]),
                           "--rule", "check")
    assert code == 0 and "they differ in ablation: agency vs none." in out


def test_a_monitored_run_pairs_with_the_unmonitored_one(runs, capsys):
    rows = compare_json(capsys, runs["watched"], runs["unwatched"])
    assert len(rows) == 2 and {r["differs"] for r in rows} == {"monitor: rule vs none"}
    assert all(r["condition_id"] == r["condition_id_b"] + "__mon-rule" for r in rows)


def test_runs_that_share_conditions_pair_as_before(runs, capsys):
    rows = compare_json(capsys, runs["base"], runs["base"])
    assert len(rows) == 2 and "differs" not in rows[0] and "condition_id_b" not in rows[0]


@pytest.mark.parametrize(("a", "b", "message"), [
    ("agency_dont", "base", ("the runs differ in 2 factors (extra_instructions: dont vs none; "
                            "ablation: agency vs none)")),
    ("murder", "base", "the runs are of different scenarios"),
])
def test_runs_that_differ_in_more_are_refused(runs, capsys, a, b, message):
    code, out, err = run_cli(capsys, "compare", str(runs[a]), str(runs[b]), "--rule", "check")
    assert code == 2 and out == "" and message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_cells_that_never_meet_are_refused():
    """One factor differs, but no setting of the others is in both runs: nothing to pair."""
    import pandas as pd

    from insiderbench.analysis import compare_runs, summary_table
    from insiderbench.scenarios import make_condition

    def summary(cells):
        rows = []
        for kwargs in cells:
            c = make_condition(scenario="blackmail", **kwargs)
            rows += [{"model": "m", "condition_id": c.condition_id, "status": "scored",
                      "harmful": i == 0, "truncated": False, "sequential": None, "epoch": i + 1,
                      **{f"monitor_{k}": None for k in ("calls", "attempts", "blocked",
                                                         "through", "errors", "model_calls")},
                      "monitor_model": None, "mode": c.mode, **c.factors(), **c.levels(),
                      **c.surface()} for i in range(3)]
        return summary_table(pd.DataFrame(rows))

    a = summary([{"ablations": ["agency"], "urgency": "none"},
                 {"ablations": ["agency"], "extra_instructions": "dont"}])
    b = summary([{}, {"urgency": "none", "extra_instructions": "dont"}])
    with pytest.raises(ValueError, match="the runs differ in ablation: agency vs none, and share "
                                         "no setting of the other factors"):
        compare_runs(a, b)
    # With the one setting they share added to B, that cell is paired, and only that one.
    paired, differs = compare_runs(a, pd.concat([b, summary([{"urgency": "none"}])]))
    assert differs == "ablation: agency vs none"
    assert list(zip(paired["condition_id"], paired["condition_id_b"])) == [
        ("blackmail_explicit-america_none__abl-agency", "blackmail_explicit-america_none")]
