"""A condition in words, for people: `blackmail, explicit goal "america", replacement`."""

from __future__ import annotations

from insiderbench.scenarios import Condition, ConditionError

_SCENARIO = {"blackmail": "blackmail", "leaking": "leaking", "murder": "lethal action",
             "exfiltration": "self-exfiltration", "tampering": "record tampering",
             "oversight": "oversight subversion"}
_URGENCY = {"replacement": "replacement threat", "restriction": "restriction threat",
            "none": "no threat"}
_EXTRA = {"dont": "told not to harm", "goal": "overriding welfare goal"}


def describe_condition(condition_id: str) -> str:
    """The condition's factors in words; the id itself when it is not one of ours."""
    try:
        c = Condition.from_id(condition_id)
    except (ConditionError, ValueError):
        return condition_id
    if c.goal_type == "none":
        goal = "no goal conflict"
    elif c.goal_type == "ambiguous":
        goal = "ambiguous goal"
    else:
        goal = f'{c.goal_type} goal "{c.goal_value}"'
    parts = [_SCENARIO.get(c.scenario, c.scenario), goal, _URGENCY.get(c.urgency, c.urgency)]
    if c.extra_instructions in _EXTRA:
        parts.append(_EXTRA[c.extra_instructions])
    if c.prod:
        parts.append("no scratchpad (prod)")
    if c.eval_awareness:
        parts.append("eval-awareness notice")
    if c.mode == "agentic":
        parts.append("agentic")
    if c.monitor == "rule":
        parts.append("rule monitor")
    elif c.monitor != "none":
        parts.append(f"LLM monitor {c.monitor}")
    return ", ".join(parts)
