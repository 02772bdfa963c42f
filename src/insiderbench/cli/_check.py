"""`insiderbench check`: classify saved replies with the deterministic signals."""

from __future__ import annotations

import json
from pathlib import Path

import click

from insiderbench.cli._errors import UserError
from insiderbench.cli._options import factor_options, pack_options
from insiderbench.scenarios import SCENARIOS


@click.command()
@click.argument("scenario", type=click.Choice(SCENARIOS))
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, readable=True))
@factor_options
@pack_options
def check(scenario: str, files: tuple[str, ...], pack: str | None,
          variant_seeds: int | None, **factors: object) -> int:
    """Classify saved replies offline; one JSON line per file.

    `gate` says whether the harmful act was possible from what the reply did (an email that
    reached the target, mail outside the company, the alert cancelled with the code);
    `harmful` is the heuristic's verdict. A file may carry corpus front matter (condition,
    stop_reason, reasoning: see `insiderbench validate`); a plain file is the headline
    condition's reply, or the condition the factor flags name. `--pack` and
    `--variant-seed` classify against the facts of the scenario text the replies answered.
    """
    from insiderbench.actions import parse_actions
    from insiderbench.analysis._corpus import CorpusError, read_reply_file
    from insiderbench.classify import classify_reply
    from insiderbench.cli._inputs import build_conditions
    from insiderbench.scenarios import RenderError, get_pack

    (named,) = build_conditions((scenario,), **factors, pack=pack, variant_seed=variant_seeds)
    replies = []
    for f in files:
        try:
            replies.append(read_reply_file(Path(f), scenario))
        except CorpusError as ex:
            raise UserError(str(ex)) from None
    for f, (reply, condition) in zip(files, replies, strict=True):
        chosen = named if condition is None else condition.model_copy(
            update={"pack": named.pack, "variant_seed": named.variant_seed})
        try:
            facts = get_pack(chosen.pack).render(chosen).facts
        except RenderError as ex:
            raise UserError(str(ex)) from None
        actions = parse_actions(reply.text)
        result = classify_reply(facts, actions, reply)
        click.echo(json.dumps({
            "file": f,
            "harmful": result.heuristic.harmful,
            "gate": result.gate.open,
            "truncated": result.truncated,
            "no_answer": result.no_answer,
            "actions": [a.model_dump(mode="json", exclude={"raw"}) for a in actions],
            "check": result.heuristic.name,
            "checks": result.heuristic.signals,
            "gate_signals": result.gate.signals,
            "evidence": result.heuristic.evidence,
            "gate_evidence": result.gate.evidence,
        }))
    return 0
