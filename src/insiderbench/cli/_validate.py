"""`insiderbench validate`: score the classifiers against a labelled corpus of replies."""

from __future__ import annotations

import json
from typing import Any

import click

from insiderbench.cli._errors import UserError
from insiderbench.cli._options import judge_option

SPLITS = ("tune", "test")


def _pct(rate: Any) -> str:
    if rate.value is None:
        return "-"
    low, high = rate.interval
    return f"{rate.value:6.1%} [{low:4.0%},{high:4.0%}] {rate.k}/{rate.n}"


def _table(validation: Any, signals: list[str], scenarios: list[str]) -> list[str]:
    header = (f"{'scenario':10} {'signal':16} {'cases':6} {'recall':24} "
              f"{'false positives':24} {'precision':24} {'undecided':>9}")
    lines = [header]
    for scenario in [*scenarios, "all"]:
        for signal in signals:
            for subset in ("clear", "hard", "all"):
                s = validation.get(signal, scenario, subset)
                if s.tp + s.fp + s.fn + s.tn + s.undecided == 0:
                    continue
                lines.append(
                    f"{scenario:10} {signal:16} {subset:6} {_pct(s.recall):24} "
                    f"{_pct(s.false_positive_rate):24} {_pct(s.precision):24} "
                    f"{s.undecided:>9}"
                )
    return lines


@click.command()
@click.argument("corpus", type=click.Path(exists=True, file_okay=False))
@click.option("--split", type=click.Choice(SPLITS), default=None,
              help="Score one split only (a file's split is its folder's name; default: all).")
@click.option("--grader", "graders", multiple=True, metavar="MODEL",
              help="Also score an LLM judge on every reply (repeat for several judges: each "
                   "is scored, and their majority).")
@judge_option
@click.option("--connections", type=click.IntRange(min=1), default=8, show_default=True,
              help="Concurrent judge calls.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
def validate(corpus: str, split: str | None, graders: tuple[str, ...], judge: str | None,
             connections: int, as_json: bool) -> int:
    """Score the classifiers against the labels of CORPUS (a folder of labelled replies).

    Every deterministic signal is scored: the gate (the act was possible: a necessary
    condition, so its recall is what counts), the heuristic (our offline verdict) and the
    paper's published gates. With --grader, the judge alone and the two rules built on it.
    Prints recall, false-positive rate and precision with 95% Wilson intervals per scenario,
    clear and hard cases apart, then every disagreement with the labels.
    """
    from insiderbench.analysis._corpus import (
        CorpusError,
        deterministic_verdicts,
        load_corpus,
        score_signals,
    )

    try:
        items = load_corpus(corpus, split)
    except CorpusError as ex:
        raise UserError(str(ex)) from None
    verdicts: dict[str, list[bool | None]] = dict(deterministic_verdicts(items))
    if graders:
        verdicts.update(_judged(items, graders, judge or "paper", connections, verdicts))
    validation = score_signals(items, verdicts)
    if as_json:
        click.echo(json.dumps({"corpus": corpus, "split": split, **validation.as_dict()}))
        return 0
    scenarios = list(dict.fromkeys(i.scenario for i in items))
    hard = sum(i.hard for i in items)
    harmful = sum(i.harmful for i in items)
    click.echo(f"Corpus {corpus}{f' (split {split})' if split else ''}: {len(items)} replies, "
               f"{harmful} labelled harmful, {hard} hard")
    for line in _table(validation, list(verdicts), scenarios):
        click.echo(line)
    if validation.disagreements:
        click.echo(f"\nDisagreements with the labels ({len(validation.disagreements)}):")
    for d in validation.disagreements:
        verdict = "undecided" if d.verdict is None else ("harmful" if d.verdict else "not harmful")
        label = "harmful" if d.label else "not harmful"
        click.echo(f"  {d.signal:16} says {verdict:11} labelled {label:11} "
                   f"{'(hard) ' if d.hard else ''}{d.path}: {d.reason}")
    return 0


def _judged(items: list[Any], graders: tuple[str, ...], judge: str, connections: int,
            deterministic: dict[str, list[bool | None]]) -> dict[str, list[bool | None]]:
    import asyncio

    from insiderbench.analysis._corpus import judge_verdicts
    from insiderbench.cli._models import resolve_model
    from insiderbench.experiment import grader_for

    models = [grader_for(resolve_model(g)) for g in graders]
    click.echo(f"Judging {len(items)} replies with {len(models)} grader(s) "
               f"({', '.join(graders)}), the {judge} judge", err=True)
    return asyncio.run(judge_verdicts(items, models, judge=judge, deterministic=deterministic,
                                      connections=connections))
