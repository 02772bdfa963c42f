"""Scenarios: the experimental condition and the packs that render it."""

from typing import TYPE_CHECKING

from insiderbench._exports import lazy_exports

if TYPE_CHECKING:
    from insiderbench.scenarios._ablate import PAPER_LOCATORS, AblationError, Locator
    from insiderbench.scenarios._condition import (
        ABLATION_LEVELS,
        ABLATIONS,
        DEFAULT_PACK,
        EXTRA_INSTRUCTIONS,
        GOAL_TYPES,
        GOAL_VALUES,
        MODES,
        MONITORS,
        PAPER_SCENARIOS,
        SCENARIOS,
        URGENCIES,
        Condition,
        ConditionError,
        Mode,
        check_monitor_spec,
        headline,
        is_llm_monitor,
        make_condition,
        monitor_level,
    )
    from insiderbench.scenarios._datapack import DataPack
    from insiderbench.scenarios._emails import (
        Email,
        parse_emails,
    )
    from insiderbench.scenarios._facts import ScenarioFacts
    from insiderbench.scenarios._intervention import (
        WHERES,
        Intervention,
        InterventionError,
        get_intervention,
        intervention_name,
        load_intervention,
    )
    from insiderbench.scenarios._lint import (
        CORRECTIONS,
        TOOL_SYNTAX_PLACEHOLDERS,
        Correction,
        PromptLintError,
        RenderError,
        lint,
    )
    from insiderbench.scenarios._pack import (
        PaperPack,
        RenderedScenario,
        ScenarioPack,
        extract_facts,
        get_pack,
        pack_folder,
        pack_for,
        shipped_pack_names,
    )
    from insiderbench.scenarios._packfile import PackFileError, Problem
    from insiderbench.scenarios._sample import render_sample, sample_pack
    from insiderbench.scenarios._variants import VariantLintError

__getattr__, __dir__, __all__ = lazy_exports(globals())
