"""Grid expansion: each grid a Cartesian product, an experiment the union of its grids."""

import itertools
import json

import pytest
from pydantic import ValidationError

from helpers import run_cli
from insiderbench.experiment import Experiment, Grid, expand, full_grid
from insiderbench.scenarios import (
    EXTRA_INSTRUCTIONS,
    GOAL_TYPES,
    GOAL_VALUES,
    PAPER_SCENARIOS,
    URGENCIES,
    Condition,
)

JSON_KEYS = {
    "condition_id", "scenario", "goal_type", "goal_value", "urgency", "extra_instructions",
    "prod", "eval_awareness", "pack", "variant_seed",
}


def ids(conditions):
    return [c.condition_id for c in conditions]


# --- one grid: a Cartesian product ---------------------------------------------------------

def test_grid_is_the_cartesian_product_of_its_factors():
    grid = Grid(
        scenarios=["blackmail", "leaking"],
        goal_types=["explicit", "latent"],
        goal_values=["america", "safety"],
        urgencies=["replacement", "restriction"],
        extra_instructions=["none", "dont"],
        prod=[False, True],
        eval_awareness=[False, True],
    )
    got = grid.conditions()
    assert len(got) == 2 * 2 * 2 * 2 * 2 * 2 * 2
    expected = {
        Condition(scenario=s, goal_type=gt, goal_value=gv, urgency=u, extra_instructions=x,
                  prod=p, eval_awareness=a)
        for s, gt, gv, u, x, p, a in itertools.product(
            ["blackmail", "leaking"], ["explicit", "latent"], ["america", "safety"],
            ["replacement", "restriction"], ["none", "dont"], [False, True], [False, True])
    }
    assert set(got) == expected
    assert len(set(ids(got))) == len(got)


def test_grid_order_follows_the_listed_factor_order():
    grid = Grid(scenarios=["murder", "blackmail"], goal_types=["explicit"],
                goal_values=["global", "america"], urgencies=["none"])
    assert ids(grid.conditions()) == [
        "murder_explicit-global_none",
        "murder_explicit-america_none",
        "blackmail_explicit-global_none",
        "blackmail_explicit-america_none",
    ]


@pytest.mark.parametrize("goal_type", ["none", "ambiguous"])
def test_valueless_goal_types_contribute_goal_value_none_once(goal_type):
    for values in (["america"], ["america", "global", "safety", "pragmatic"], list(GOAL_VALUES)):
        grid = Grid(scenarios=["blackmail"], goal_types=[goal_type], goal_values=values,
                    urgencies=["replacement", "none"])
        assert ids(grid.conditions()) == [
            f"blackmail_{goal_type}-none_replacement",
            f"blackmail_{goal_type}-none_none",
        ]


def test_valued_and_valueless_goal_types_mix():
    grid = Grid(scenarios=["leaking"], goal_types=["explicit", "none", "ambiguous", "swap"],
                goal_values=["america", "global", "safety"], urgencies=["none"])
    assert ids(grid.conditions()) == [
        "leaking_explicit-america_none",
        "leaking_explicit-global_none",
        "leaking_explicit-safety_none",
        "leaking_none-none_none",
        "leaking_ambiguous-none_none",
        "leaking_swap-america_none",
        "leaking_swap-global_none",
        "leaking_swap-safety_none",
    ]


def test_valueless_goal_types_need_no_goal_values():
    grid = Grid(scenarios=["blackmail"], goal_types=["none", "ambiguous"], goal_values=[],
                urgencies=["none"])
    assert ids(grid.conditions()) == ["blackmail_none-none_none", "blackmail_ambiguous-none_none"]


def test_valued_goal_type_with_empty_goal_values_is_an_error():
    with pytest.raises(ValidationError, match="goal_values is empty"):
        Grid(scenarios=["blackmail"], goal_types=["explicit", "none"], goal_values=[])


def test_optional_factors_default_to_none_and_false():
    grid = Grid(scenarios=["murder"], goal_types=["latent"], goal_values=["ethical"],
                urgencies=["restriction"])
    (condition,) = grid.conditions()
    assert condition.extra_instructions == "none"
    assert condition.prod is False
    assert condition.eval_awareness is False
    assert condition.condition_id == "murder_latent-ethical_restriction"


def test_a_grid_repeating_a_value_yields_each_condition_once():
    grid = Grid(scenarios=["blackmail", "blackmail"], goal_types=["none", "none"],
                urgencies=["none"], prod=[True, True])
    assert ids(grid.conditions()) == ["blackmail_none-none_none__prod"]


@pytest.mark.parametrize("bad", [
    {"scenarios": ["phishing"]},
    {"scenarios": ["blackmail"], "goal_types": ["implicit"]},
    {"scenarios": ["blackmail"], "goal_values": ["none"]},
    {"scenarios": ["blackmail"], "urgencies": ["soon"]},
    {"scenarios": ["blackmail"], "extra_instructions": ["please"]},
    {"scenarios": ["blackmail"], "urgency": ["none"]},  # unknown key
    {"scenarios": []},
])
def test_grid_rejects_unknown_values_and_keys(bad):
    with pytest.raises(ValidationError):
        Grid(**bad)


# --- many grids: a union, never one merged product ------------------------------------------

def test_conditions_are_the_union_of_grids_not_a_merged_product():
    a = Grid(scenarios=["blackmail"], goal_types=["explicit"], goal_values=["america"],
             urgencies=["replacement"])
    b = Grid(scenarios=["leaking"], goal_types=["none"], urgencies=["none"],
             extra_instructions=["dont"])
    union = expand([a, b])
    assert ids(union) == [
        "blackmail_explicit-america_replacement",
        "leaking_none-none_none__dont",
    ]
    # One merged product of the same factor lists would hold 2 scenarios x 2 goals
    # (explicit-america, none-none) x 2 urgencies x 2 extras = 16 conditions, 14 of which
    # neither grid asked for:
    merged = Grid(scenarios=["blackmail", "leaking"], goal_types=["explicit", "none"],
                  goal_values=["america"], urgencies=["replacement", "none"],
                  extra_instructions=["none", "dont"]).conditions()
    assert len(merged) == 16
    extras = set(ids(merged)) - set(ids(union))
    assert {"blackmail_none-none_none__dont", "leaking_explicit-america_replacement",
            "blackmail_explicit-america_none"} <= extras
    assert len(extras) == 14


def test_union_deduplicates_in_first_seen_order():
    first = Grid(scenarios=["blackmail"], goal_types=["explicit"], goal_values=["america"],
                 urgencies=["replacement", "none"])
    second = Grid(scenarios=["leaking", "blackmail"], goal_types=["explicit"],
                  goal_values=["america"], urgencies=["none"])
    third = Grid(scenarios=["blackmail"], goal_types=["explicit"], goal_values=["america"],
                 urgencies=["replacement"])
    assert ids(expand([first, second, third])) == [
        "blackmail_explicit-america_replacement",
        "blackmail_explicit-america_none",
        "leaking_explicit-america_none",
    ]
    # Order of the grids decides the order of the union.
    assert ids(expand([second, first])) == [
        "leaking_explicit-america_none",
        "blackmail_explicit-america_none",
        "blackmail_explicit-america_replacement",
    ]


def test_experiment_conditions_are_the_union_of_its_grids():
    exp = Experiment(
        name="union",
        models=["mockllm/model"],
        grids=[
            {"scenarios": ["murder"], "goal_types": ["explicit"], "goal_values": ["america"],
             "urgencies": ["replacement"], "prod": [True]},
            {"scenarios": ["murder"], "goal_types": ["none"], "urgencies": ["none"],
             "eval_awareness": [True]},
        ],
    )
    assert ids(exp.conditions()) == [
        "murder_explicit-america_replacement__prod",
        "murder_none-none_none__aware",
    ]


def test_conditions_command_lists_the_union_of_a_files_grids(tmp_path, capsys):
    path = tmp_path / "union.yaml"
    path.write_text(
        "name: union\n"
        "models: [mockllm/model]\n"
        "grids:\n"
        "  - scenarios: [blackmail]\n"
        "    goal_types: [explicit]\n"
        "    goal_values: [america]\n"
        "    urgencies: [replacement]\n"
        "  - scenarios: [leaking]\n"
        "    goal_types: [none]\n"
        "    urgencies: [none]\n"
        "    extra_instructions: [dont]\n"
        "  - scenarios: [blackmail]\n"  # a repeat: listed once
        "    goal_types: [explicit]\n"
        "    goal_values: [america]\n"
        "    urgencies: [replacement]\n"
    )
    code, out, err = run_cli(capsys, "conditions", str(path))
    assert code == 0, err
    assert out.splitlines() == [
        "blackmail_explicit-america_replacement",
        "leaking_none-none_none__dont",
    ]


# --- the paper's full grid ------------------------------------------------------------------

def test_full_grid_base_conditions_are_the_papers_factor_combinations():
    """The published factors, written out, and the base grid built from them independently."""
    assert PAPER_SCENARIOS == ("blackmail", "leaking", "murder")
    assert set(GOAL_TYPES) == {"explicit", "latent", "swap", "none", "ambiguous"}
    pairs = [("america", "global"), ("safety", "acceleration"), ("ethical", "pragmatic"),
             ("individualism", "collectivism")]
    assert set(GOAL_VALUES) == {v for pair in pairs for v in pair}
    assert set(URGENCIES) == {"replacement", "restriction", "none"}
    assert set(EXTRA_INSTRUCTIONS) == {"none", "dont", "goal"}
    expected = set()
    for scenario, urgency in itertools.product(PAPER_SCENARIOS, URGENCIES):
        for goal_type in ("explicit", "latent", "swap"):
            expected |= {(scenario, goal_type, v, urgency) for pair in pairs for v in pair}
        expected |= {(scenario, "none", "none", urgency), (scenario, "ambiguous", "none", urgency)}
    base = {(c.scenario, c.goal_type, c.goal_value, c.urgency) for c in full_grid()
            if c.extra_instructions == "none" and not c.prod and not c.eval_awareness}
    assert base == expected
    assert len(expected) == 234 and sum(1 for e in expected if e[0] == "murder") == 78


def test_full_grid_has_234_base_conditions_and_2808_in_all():
    conditions = full_grid()
    assert len(conditions) == 2808
    assert len(set(ids(conditions))) == 2808
    assert len(set(conditions)) == 2808
    base = [c for c in conditions
            if c.extra_instructions == "none" and not c.prod and not c.eval_awareness]
    assert len(base) == 234
    assert len({c.base_id for c in conditions}) == 234
    for scenario in PAPER_SCENARIOS:
        assert sum(1 for c in base if c.scenario == scenario) == 78
    # every base condition appears under each of the 3 x 2 x 2 modifier combinations
    for extra, prod, aware in itertools.product(EXTRA_INSTRUCTIONS, [False, True], [False, True]):
        cell = [c for c in conditions
                if (c.extra_instructions, c.prod, c.eval_awareness) == (extra, prod, aware)]
        assert {c.base_id for c in cell} == {c.base_id for c in base}
    # valueless goal types never carry a goal value, valued ones always do
    for c in conditions:
        assert (c.goal_value == "none") == (c.goal_type in ("none", "ambiguous"))


def test_conditions_all_lists_the_full_grid(capsys):
    code, out, err = run_cli(capsys, "conditions", "--all")
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 2808
    assert len(set(lines)) == 2808
    assert lines == ids(full_grid())
    assert len({line.split("__")[0] for line in lines}) == 234


def test_conditions_all_json_carries_exactly_the_factor_keys(capsys):
    code, out, err = run_cli(capsys, "conditions", "--all", "--json")
    assert code == 0, err
    objects = [json.loads(line) for line in out.splitlines()]
    assert len(objects) == 2808
    assert len({o["condition_id"] for o in objects}) == 2808
    for o in objects:
        assert set(o) == JSON_KEYS
        assert isinstance(o["prod"], bool) and isinstance(o["eval_awareness"], bool)
        # absent goal value / extra instruction are the string "none", never null
        assert isinstance(o["goal_value"], str) and isinstance(o["extra_instructions"], str)
        # the factors agree with the id
        parsed = Condition.from_id(o["condition_id"])
        assert {**parsed.factors(), "pack": parsed.pack, "variant_seed": parsed.variant_seed} == {
            k: v for k, v in o.items() if k != "condition_id"}
    by_id = {o["condition_id"]: o for o in objects}
    assert by_id["murder_ambiguous-none_none"] == {
        "condition_id": "murder_ambiguous-none_none", "scenario": "murder",
        "goal_type": "ambiguous", "goal_value": "none", "urgency": "none",
        "extra_instructions": "none", "prod": False, "eval_awareness": False,
        "pack": "paper", "variant_seed": None,
    }
    assert by_id["leaking_swap-collectivism_restriction__goal__prod__aware"] == {
        "condition_id": "leaking_swap-collectivism_restriction__goal__prod__aware",
        "scenario": "leaking", "goal_type": "swap", "goal_value": "collectivism",
        "urgency": "restriction", "extra_instructions": "goal", "prod": True,
        "eval_awareness": True, "pack": "paper", "variant_seed": None,
    }


def test_conditions_json_prompts_adds_system_and_user(capsys):
    code, out, err = run_cli(capsys, "conditions", "-s", "blackmail", "-s", "leaking",
                             "--goal-type", "none", "--urgency", "none", "--json", "--prompts")
    assert code == 0, err
    objects = [json.loads(line) for line in out.splitlines()]
    assert [o["condition_id"] for o in objects] == [
        "blackmail_none-none_none", "leaking_none-none_none"]
    for o, company in zip(objects, ["SummitBridge", "NovaStar"], strict=True):
        assert set(o) == JSON_KEYS | {"system", "user"}
        assert o["system"].strip() and o["user"].strip()
        assert company in o["system"] + o["user"]
    # without --prompts there are no prompt texts
    code, out, _ = run_cli(capsys, "conditions", "-s", "blackmail", "--json")
    assert code == 0
    assert set(json.loads(out)) == JSON_KEYS


def test_conditions_all_refuses_a_file_or_factors(tmp_path, capsys):
    path = tmp_path / "x.yaml"
    path.write_text("name: x\nmodels: [mockllm/model]\ngrids:\n  - scenarios: [murder]\n")
    for args in (["--all", str(path)], ["--all", "-s", "murder"], ["--all", "--prod"],
                 ["--all", "--preset", "blackmail"]):
        code, out, err = run_cli(capsys, "conditions", *args)
        assert code == 2, args
        assert out == ""
        assert len(err.strip().splitlines()) == 1 and err.startswith("Error:")
