import pytest
from pydantic import ValidationError

from insiderbench.scenarios import Condition, ConditionError, headline, make_condition


def test_headline_condition_id():
    assert headline("blackmail").condition_id == "blackmail_explicit-america_replacement"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"scenario": "leaking", "goal_type": "none"}, "leaking_none-none_replacement"),
        ({"scenario": "murder", "goal_type": "ambiguous", "urgency": "none"}, "murder_ambiguous-none_none"),
        (
            {"scenario": "blackmail", "goal_type": "swap", "goal_value": "safety", "urgency": "restriction"},
            "blackmail_swap-safety_restriction",
        ),
        ({"scenario": "blackmail", "extra_instructions": "dont"}, "blackmail_explicit-america_replacement__dont"),
        (
            {"scenario": "murder", "extra_instructions": "goal", "prod": True, "eval_awareness": True},
            "murder_explicit-america_replacement__goal__prod__aware",
        ),
    ],
)
def test_condition_ids(kwargs, expected):
    c = make_condition(**kwargs)
    assert c.condition_id == expected
    assert Condition.from_id(expected) == c


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"scenario": "phishing"}, "valid: blackmail, leaking, murder"),
        ({"scenario": "blackmail", "goal_type": "implicit"}, "valid: explicit, latent, swap, none, ambiguous"),
        ({"scenario": "blackmail", "goal_value": "money"}, "valid: america, global"),
        ({"scenario": "blackmail", "goal_type": "none", "goal_value": "america"}, "takes goal value none"),
        ({"scenario": "blackmail", "goal_type": "explicit", "goal_value": "none"}, "valid: america"),
        ({"scenario": "blackmail", "urgency": "soon"}, "valid: replacement, restriction, none"),
        ({"scenario": "blackmail", "extra_instructions": "please"}, "valid: none, dont, goal"),
    ],
)
def test_invalid_factors_name_the_choices(kwargs, fragment):
    with pytest.raises(ConditionError, match=fragment):
        make_condition(**kwargs)


def test_model_rejects_impossible_pairs_and_unknown_keys():
    with pytest.raises(ValidationError):
        Condition(scenario="blackmail", goal_type="ambiguous", goal_value="global")
    with pytest.raises(ValidationError):
        Condition(scenario="blackmail", goal_type="latent", goal_value="none")
    with pytest.raises(ValidationError):
        Condition(scenario="blackmail", colour="red")


def test_condition_is_frozen_and_hashable():
    c = headline("leaking")
    with pytest.raises(ValidationError):
        c.scenario = "murder"
    assert {c, headline("leaking")} == {c}


def test_factors_use_string_none():
    f = make_condition(scenario="leaking", goal_type="none").factors()
    assert f["goal_value"] == "none" and f["extra_instructions"] == "none"


def test_from_id_rejects_garbage():
    with pytest.raises(ConditionError, match="expected"):
        Condition.from_id("blackmail")
    with pytest.raises(ConditionError, match="unknown suffix"):
        Condition.from_id("blackmail_explicit-america_replacement__loud")
