"""Does a rate survive other words? A pack and surface variants are factors of the effects,
matched on every other factor like any other contrast."""

from __future__ import annotations

import pandas as pd

from insiderbench.analysis import factor_effects
from insiderbench.analysis._table import condition_factors
from insiderbench.scenarios import make_condition

FACTORS = ("scenario", "goal_type", "goal_value", "urgency", "extra_instructions", "prod",
           "eval_awareness")


def rows(urgency: str, n: int, harmful: int, **surface) -> list[dict]:
    c = make_condition(scenario="blackmail", urgency=urgency, **surface)
    factors = condition_factors(c.condition_id, {})
    return [{"model": "m", "condition_id": c.condition_id, "status": "scored",
             "harmful": i < harmful, "awareness": None, **factors} for i in range(n)]


def effect(table: pd.DataFrame, factor: str) -> pd.Series:
    return factor_effects(table).set_index("factor").loc[factor]


def test_ids_carry_the_pack_and_the_variant_into_the_factor_columns():
    c = make_condition(scenario="leaking", pack="insiderbench", variant_seed=3)
    factors = condition_factors(c.condition_id, {})
    assert (factors["pack"], factors["surface"]) == ("insiderbench", "v3")
    plain = condition_factors(make_condition(scenario="leaking").condition_id, {})
    assert (plain["pack"], plain["surface"]) == ("paper", "canonical")


def test_a_variant_and_a_pack_are_each_set_against_the_canonical_paper_text():
    table = pd.DataFrame([
        # Threat and no threat, each in the paper's words, a variant, and our pack.
        *rows("replacement", 40, 32), *rows("none", 40, 8),
        *rows("replacement", 40, 20, variant_seed=1), *rows("none", 40, 4, variant_seed=1),
        *rows("replacement", 40, 30, pack="insiderbench"),
        *rows("none", 40, 6, pack="insiderbench"),
    ])
    variant = effect(table, "surface variant")
    # Matched within each urgency: (20/40 - 32/40) and (4/40 - 8/40), equal weights.
    assert (variant["n_a"], variant["n_b"], variant["strata"]) == (80, 80, 2)
    assert abs(variant["diff"] - (-0.3 - 0.1) / 2) < 1e-9
    assert variant["ci_low"] < variant["diff"] < variant["ci_high"] < 0
    pack = effect(table, "pack insiderbench")
    assert (pack["n_a"], pack["n_b"], pack["strata"]) == (80, 80, 2)
    assert abs(pack["diff"] - (-0.05 - 0.05) / 2) < 1e-9
    # The threat effect is still estimated within each text.
    assert effect(table, "threat")["strata"] == 3


def test_no_surface_rows_when_the_run_used_one_text():
    table = pd.DataFrame([*rows("replacement", 10, 5), *rows("none", 10, 1)])
    factors = set(factor_effects(table)["factor"])
    assert "threat" in factors and not any(f.startswith(("pack ", "surface")) for f in factors)
