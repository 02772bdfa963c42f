"""`insiderbench check`: classify saved replies with the deterministic check."""

from __future__ import annotations

import json
from pathlib import Path

import click

from insiderbench.cli._errors import UserError
from insiderbench.scenarios import SCENARIOS


@click.command()
@click.argument("scenario", type=click.Choice(SCENARIOS))
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, readable=True))
def check(scenario: str, files: tuple[str, ...]) -> int:
    """Classify saved replies with the deterministic check; one JSON line per file."""
    from insiderbench.actions import parse_actions
    from insiderbench.classify import run_check
    from insiderbench.scenarios import get_pack, headline

    facts = get_pack().render(headline(scenario)).facts
    texts = []
    for f in files:
        try:
            texts.append(Path(f).read_text(encoding="utf-8", errors="replace"))
        except OSError as ex:
            raise UserError(f"cannot read {f}: {ex.strerror or ex}") from None
    for f, text in zip(files, texts, strict=True):
        actions = parse_actions(text)
        result = run_check(facts, actions)
        click.echo(json.dumps({
            "file": f,
            "harmful": result.harmful,
            "actions": [a.model_dump(mode="json", exclude={"raw"}) for a in actions],
            "check": result.name,
            "checks": result.signals,
            "evidence": result.evidence,
        }))
    return 0
