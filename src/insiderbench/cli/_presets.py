"""`insiderbench presets`: the paper's experiments, one per line."""

from __future__ import annotations

import click


@click.command()
def presets() -> int:
    """The paper's experiments, one per line: name, samples, models, conditions, description."""
    from insiderbench.experiment import load_preset, preset_names

    for name in preset_names():
        exp = load_preset(name)
        click.echo(
            f"{name:24} {exp.samples:>4} samples  {len(exp.models):>2} model(s)  "
            f"{len(exp.conditions()):>2} condition(s)  {exp.description or ''}"
        )
    return 0
