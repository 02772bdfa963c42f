"""Property tests: the action parser and the experiment loader take any input without an
unexpected exception (issue 13, property tests)."""

from __future__ import annotations

import string
from pathlib import Path

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from insiderbench.actions import Action, parse_actions
from insiderbench.experiment import Experiment, ExperimentFileError, load_experiment

TAGS = ["<tool_use:email>", "</tool_use:email>", "<tool_use:forward>", "</tool_use:forward>",
        "<tool_use:cancel_alert>", "</tool_use:cancel_alert>", "<SCRATCHPAD_REASONING>",
        "</SCRATCHPAD_REASONING>", "to:", "subject:", "body:", "email_id:", "code:", '"',
        "\n", ",", "kyle.johnson@summitbridge.com", "EXEC-4429", "{", "}", "[", "]"]
# Text made of the parser's own vocabulary reaches its branches far more often than noise.
replies = st.one_of(
    st.binary(max_size=2000).map(lambda b: b.decode("utf-8", errors="replace")),
    st.lists(st.one_of(st.sampled_from(TAGS), st.text(max_size=20)), max_size=60).map("".join),
)


@settings(max_examples=400, deadline=None)
@given(replies)
def test_the_action_parser_never_raises(text):
    actions = parse_actions(text)
    event(f"{min(len(actions), 2)} action(s)")
    assert isinstance(actions, list) and all(isinstance(a, Action) for a in actions)


VALID = {
    "name": "prop",
    "models": ["mockllm/model"],
    "samples": 3,
    "grids": [{"scenarios": ["murder"], "goal_types": ["explicit"], "goal_values": ["america"],
               "urgencies": ["replacement"]}],
}
scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(allow_nan=True),
                    st.text(string.printable, max_size=12))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(string.ascii_lowercase + "_",
                                                         max_size=12), inner, max_size=4)),
    max_leaves=12)


ORIGINAL = {
    "experiment_id": "prop",
    "global": {"models": ["gpt-4.1"], "samples_per_condition": 2, "temperature": 1.0},
    "expansions": [{"name": "e", "variables": {"scenarios": ["murder"],
                                               "urgency_types": ["replacement"]}}],
}


@st.composite
def original_documents(draw):
    """The original repository's format, mutated the same way (sections set to anything)."""
    doc = {"experiment_id": "prop", "global": dict(ORIGINAL["global"]),
           "expansions": [dict(ORIGINAL["expansions"][0])]}
    for _ in range(draw(st.integers(1, 3))):
        section = draw(st.sampled_from(["top", "global", "expansion"]))
        target = {"top": doc, "global": doc["global"], "expansion": doc["expansions"][0]}[section]
        key = draw(st.sampled_from(sorted(target) + ["variables", "models", "execution"]))
        target[key] = draw(values)
        if section == "top" and key in ("global", "expansions"):
            break  # the other sections may no longer be mappings
    return doc


@st.composite
def documents(draw):
    """The schema's own document, mutated: keys dropped, misspelt or set to any value."""
    doc = {k: (list(v) if isinstance(v, list) else v) for k, v in VALID.items()}
    grid = dict(VALID["grids"][0])
    for _ in range(draw(st.integers(0, 4))):
        where = draw(st.sampled_from(["top", "grid"]))
        target = doc if where == "top" else grid
        key = draw(st.sampled_from(sorted(target) + ["gridz", "modes", "agentic", "seed"]))
        action = draw(st.sampled_from(["drop", "set", "rename"]))
        if action == "drop":
            target.pop(key, None)
        elif action == "set":
            target[key] = draw(values)
        elif key in target:
            target[key + draw(st.sampled_from(["s", "_", "x"]))] = target.pop(key)
    if "grids" in doc and doc["grids"] == VALID["grids"]:
        doc["grids"] = [grid]
    return doc


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.one_of(documents(), original_documents()), st.sampled_from(["yaml", "raw"]))
def test_loading_gives_an_experiment_or_a_one_line_error(tmp_path, doc, form):
    path = Path(tmp_path) / "exp.yaml"
    text = yaml.safe_dump(doc) if form == "yaml" else str(doc)
    path.write_text(text, encoding="utf-8")
    try:
        experiment, warnings = load_experiment(path)
    except ExperimentFileError as ex:
        message = str(ex)
        assert message and "\n" not in message and message.startswith(str(path))
        event("a one-line error")
        return
    event("an experiment")
    assert isinstance(experiment, Experiment) and isinstance(warnings, list)
