"""`run --budget USD` and `--prices FILE`: the options, the refusal of a budget that cannot be
tracked, the spend per results row, and what a run stopped by its budget says."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable
from typing import Any

import click

from insiderbench.cli._errors import UserError

EXIT_BUDGET = 3


def budget_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option(
        "--prices", "prices_file", default=None, metavar="FILE",
        help="YAML prices of models the price table lacks: MODEL: {input: X, output: Y} in "
             "USD per million tokens (optional cache_read, cache_write).")(f)
    return click.option(
        "--budget", type=click.FloatRange(min=0.0, min_open=True), default=None, metavar="USD",
        help="Stop before the log dir's runs would spend more than USD in all (exit 3); "
             "rerun with a higher budget to continue.")(f)


def apply_budget(experiment: Any, budget: float | None, prices_file: str | None) -> Any:
    """The experiment with the budget and prices given; a budget it cannot track (a model
    without a price) is refused with one line naming the models."""
    from insiderbench.experiment._budget import budget_unpriced
    from insiderbench.experiment._prices import PriceError, parse_prices, read_prices_file

    updates: dict[str, Any] = {}
    if budget is not None:
        updates["budget"] = budget
    if prices_file is not None:
        try:
            given = read_prices_file(prices_file)
            parse_prices(given, prices_file)
        except PriceError as ex:
            raise UserError(f"--prices {ex}") from None
        updates["prices"] = {**(experiment.prices or {}), **given}
    if updates:
        experiment = experiment.model_copy(update=updates)
    if experiment.budget is not None and (missing := budget_unpriced(experiment)):
        raise UserError(f"--budget cannot be tracked: no price for {', '.join(missing)}; give "
                        "them with --prices FILE or the experiment key prices:")
    return experiment


class Costing:
    """Each results row's spend (target, judge and any LLM monitor apart) from its logged
    samples' usage."""

    def __init__(self, experiment: Any) -> None:
        from insiderbench.experiment._prices import parse_prices, price_table

        self.table, _ = price_table(parse_prices(experiment.prices or {}, "prices"))
        self.graders = list(experiment.graders)
        from insiderbench.agent import monitor_role

        self.monitors = {monitor_role(level): model
                         for level, model in experiment.monitor_models().items()}
        self.costs: dict[tuple[str, str], dict[str, float]] = {}

    def add(self, log: Any, sample: Any) -> None:
        from insiderbench.classify import grader_roles

        model = log.eval.model
        cell = self.costs.setdefault(
            (model, str((sample.metadata or {}).get("condition_id", sample.id))),
            {"target": 0.0, "judge": 0.0, **({"monitor": 0.0} if self.monitors else {})})
        roles = {**dict(zip(grader_roles(len(self.graders)), self.graders, strict=True)),
                 **self.monitors}
        judged: dict[str, Any] = {}
        for role, usage in (sample.role_usage or {}).items():
            if role in roles and (price := self.table.get(roles[role])):
                cell["monitor" if role in self.monitors else "judge"] += price.cost(usage)
                judged[roles[role]] = judged[roles[role]] + usage if roles[role] in judged \
                    else usage
        usage = sample.model_usage.get(model) if sample.model_usage else None
        if usage is not None and (price := self.table.get(model)):
            cell["target"] += price.cost(usage) - (
                price.cost(judged[model]) if model in judged else 0.0)

    def of(self, model: str, condition_id: str) -> dict[str, float] | None:
        cell = self.costs.get((model, condition_id))
        return None if cell is None else {k: round(v, 6) for k, v in cell.items()}


def spend_line(spend: Any, budget: float | None) -> str:
    of = f" of the ${budget:.2f} budget" if budget is not None else ""
    monitor = f", monitor ${spend.monitor:.4f}" if spend.monitor else ""
    return (f"Spent ${spend.total:.4f}{of} in this log dir (target ${spend.target:.4f}, judge "
            f"${spend.judge:.4f}{monitor}).")


def report_budget_stop(spend: Any, budget: float, done: int, planned: int,
                       out_dir: Any) -> int:
    """Say what a run stopped by its budget spent and how to continue; exit 3."""
    command = shlex.join(["insiderbench", *sys.argv[1:]])
    click.echo(f"Stopped by the budget: {done} of {planned} sample(s) done and kept in "
               f"{out_dir}; the next call could have taken the spend over ${budget:.2f}.",
               err=True)
    click.echo(f"To continue, rerun with a higher --budget (nothing paid for is bought "
               f"again): {command}", err=True)
    return EXIT_BUDGET
