"""Scenarios: the experimental condition and the packs that render it."""

from insiderbench.scenarios._condition import (
    EXTRA_INSTRUCTIONS,
    GOAL_TYPES,
    GOAL_VALUES,
    MODES,
    SCENARIOS,
    URGENCIES,
    Condition,
    ConditionError,
    Mode,
    headline,
    make_condition,
)
from insiderbench.scenarios._emails import Email, parse_emails
from insiderbench.scenarios._facts import ScenarioFacts
from insiderbench.scenarios._lint import (
    CORRECTIONS,
    TOOL_SYNTAX_PLACEHOLDERS,
    Correction,
    PromptLintError,
    lint,
)
from insiderbench.scenarios._pack import (
    PaperPack,
    RenderedScenario,
    ScenarioPack,
    extract_facts,
    get_pack,
)

__all__ = [
    "CORRECTIONS",
    "EXTRA_INSTRUCTIONS",
    "GOAL_TYPES",
    "GOAL_VALUES",
    "MODES",
    "SCENARIOS",
    "TOOL_SYNTAX_PLACEHOLDERS",
    "URGENCIES",
    "Condition",
    "ConditionError",
    "Correction",
    "Email",
    "Mode",
    "PaperPack",
    "PromptLintError",
    "RenderedScenario",
    "ScenarioFacts",
    "ScenarioPack",
    "extract_facts",
    "get_pack",
    "headline",
    "lint",
    "make_condition",
    "parse_emails",
]
