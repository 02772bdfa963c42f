"""`insiderbench conditions`: the conditions of an experiment, a preset, flags or the full grid."""

from __future__ import annotations

import json
from typing import Any

import click

from insiderbench.cli._errors import UserError
from insiderbench.cli._inputs import pack_named, resolve_experiment
from insiderbench.cli._options import ExperimentSource, experiment_source_options


@click.command()
@experiment_source_options
@click.option("--all", "all_conditions", is_flag=True,
              help="The paper's complete grid (234 base conditions x extra x prod x awareness).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per condition.")
@click.option("--prompts", "with_prompts", is_flag=True,
              help="Include the rendered system prompt and user message.")
def conditions(
    source: ExperimentSource,
    all_conditions: bool,
    as_json: bool,
    with_prompts: bool,
) -> int:
    """List the conditions of an experiment, a preset, factor flags or the full grid."""
    from insiderbench.scenarios import RenderError, get_pack

    if all_conditions:
        if source.file or source.preset or source.factors_given():
            raise UserError("--all lists the complete grid; give no FILE, preset or factors")
        from insiderbench.experiment import full_grid

        updates = {"pack": pack_named(source.pack).name}
        chosen = [c.model_copy(update={**updates, "variant_seed": v})
                  for c in full_grid() for v in (source.variant_seeds or (None,))]
    else:
        experiment, warnings = resolve_experiment(source)
        for w in warnings:
            click.echo(f"Warning: {w}", err=True)
        chosen = experiment.conditions()
    for condition in chosen:
        if not as_json:
            click.echo(condition.condition_id)
            continue
        obj: dict[str, Any] = {"condition_id": condition.condition_id, **condition.factors(),
                               "pack": condition.pack, "variant_seed": condition.variant_seed}
        # Ours beside the paper's factors, only where set (so plain ids print as before).
        extras = {"ablations": list(condition.ablations), "intervention": condition.intervention,
                  "monitor": None if condition.monitor == "none" else condition.monitor}
        obj.update({k: v for k, v in extras.items() if v})
        if with_prompts:
            try:
                rendered = get_pack(condition.pack).render(condition)
            except RenderError as ex:
                raise UserError(str(ex)) from None
            obj["system"] = rendered.system
            obj["user"] = rendered.user
        click.echo(json.dumps(obj))
    return 0
