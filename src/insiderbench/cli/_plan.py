"""`insiderbench plan`: samples, tokens and estimated cost of an experiment; sends nothing."""

from __future__ import annotations

from typing import Any

import click

from insiderbench.cli._errors import UserError
from insiderbench.cli._inputs import (
    apply_agentic_options,
    chosen_log_dir,
    paper_judge_covers,
    resolve_experiment,
)
from insiderbench.cli._options import (
    ExperimentSource,
    agentic_options,
    experiment_source_options,
    graders_given,
    judge_option,
)
from insiderbench.cli._sequential import apply_sequential, sequential_options


@click.command()
@experiment_source_options
@click.option("--model", "-m", "models", multiple=True, metavar="MODEL",
              help="Model(s) instead of the experiment's.")
@click.option("--samples", type=click.IntRange(min=1), default=None)
@click.option("--log-dir", default=None, help="Count samples already done here "
              "(default: the experiment's log dir).")
@click.option("--reply-tokens", type=click.IntRange(min=1), default=None,
              help="Assumed tokens per reply (default: 1000, capped at max_tokens).")
@click.option("--grader", "graders", multiple=True, metavar="MODEL",
              help="Also cost the LLM judge's calls on this model (repeat for several judges); "
                   "'none' for no judge (default: the experiment's grader:).")
@click.option("--gate-rate", type=click.FloatRange(0, 1), default=None, metavar="R",
              help="Assumed share of samples whose gate opens, so the judge is asked about "
                   "them (default: 0.5; the report gives the calls actually made).")
@click.option("--audit-fraction", type=click.FloatRange(0, 1), default=None, metavar="F",
              help="Share of gated-out samples judged anyway (default: the experiment's, 0.05).")
@click.option("--prices", "prices_file", default=None, metavar="FILE",
              help="YAML prices of models the price table lacks (as for run --prices).")
@judge_option
@agentic_options
@sequential_options
@click.option("--json", "as_json", is_flag=True)
def plan(
    source: ExperimentSource,
    models: tuple[str, ...],
    samples: int | None,
    log_dir: str | None,
    reply_tokens: int | None,
    graders: tuple[str, ...],
    gate_rate: float | None,
    audit_fraction: float | None,
    judge: str | None,
    prices_file: str | None,
    as_json: bool,
    ci_width: float | None,
    min_samples: int | None,
    max_samples: int | None,
    **agentic: Any,
) -> int:
    """Conditions x models x samples, estimated tokens and cost. Sends nothing anywhere."""
    from insiderbench.experiment import plan_experiment
    from insiderbench.experiment._plan import DEFAULT_GATE_RATE, DEFAULT_REPLY_TOKENS
    from insiderbench.scenarios import RenderError as PromptLintError

    experiment, warnings = resolve_experiment(source, models=models, samples=samples)
    experiment = apply_sequential(experiment, samples, ci_width, min_samples, max_samples)
    for w in warnings:
        click.echo(f"Warning: {w}", err=True)
    updates: dict[str, Any] = {} if judge is None else {"judge": judge}
    if audit_fraction is not None:
        updates["audit_fraction"] = audit_fraction
    if graders:
        updates["grader"] = graders_given(graders)
    if updates:
        experiment = experiment.model_copy(update=updates)
    experiment = apply_agentic_options(experiment, **agentic)
    from insiderbench.cli._budget import apply_budget
    from insiderbench.cli._models import resolve_model

    experiment = apply_budget(experiment, None, prices_file)
    if experiment.graders:
        paper_judge_covers(experiment)

    # Nothing is sent, so no key is needed; but a provider Inspect does not know is a mistake.
    for model in [*(spec.model for spec in experiment.models), *experiment.graders]:
        resolve_model(model, check_key=False)
    try:
        result = plan_experiment(experiment, chosen_log_dir(log_dir, experiment.default_log_dir()),
                                 reply_tokens or DEFAULT_REPLY_TOKENS,
                                 DEFAULT_GATE_RATE if gate_rate is None else gate_rate)
    except PromptLintError as ex:
        raise UserError(str(ex)) from None
    for problem in result.unread_logs:
        click.echo(f"Warning: not counted as done: {problem}", err=True)
    if as_json:
        click.echo(result.model_dump_json())
        return 0
    from rich.console import Console
    from rich.table import Table

    from insiderbench.experiment._sequential import sampling_text

    sequential = result.samples_range is not None
    table = Table(title=f"Plan: {result.name} ({result.conditions} conditions x "
                        f"{sampling_text(experiment)})")
    columns = ("model", "samples (expected)" if sequential else "samples",
               *(("samples (at most)",) if sequential else ()), "done", "input tokens",
               "output tokens", "cost (USD, expected)" if sequential else "cost (USD)",
               *(("cost (USD, at most)",) if sequential else ()))
    for col in columns:
        table.add_column(col, justify="left" if col == "model" else "right")

    def dollars(value: float | None) -> str:
        return "no price" if value is None else f"{value:,.2f}"

    for r in result.models:
        most = (f"{r.samples_max or 0:,}",) if sequential else ()
        table.add_row(r.model, f"{r.samples:,}", *most, f"{r.done:,}", f"{r.input_tokens:,}",
                      f"{r.output_tokens:,}", dollars(r.cost_usd),
                      *((dollars(r.cost_usd_max),) if sequential else ()))
    for g in result.graders:
        table.add_row(f"{g.model} (grader, {g.samples:,} calls)", "-",
                      *(("-",) if sequential else ()), "-", f"{g.input_tokens:,}",
                      f"{g.output_tokens:,}", dollars(g.cost_usd),
                      *(("-",) if sequential else ()))
    console = Console(width=max(170 if sequential else 120, Console().width))
    console.print(table)
    click.echo(f"Total: {result.samples:,} samples, {result.done:,} already in {result.log_dir}, "
               f"estimated ${result.cost_usd:,.2f} (prices of {result.price_date})")
    if result.unpriced_models:
        click.echo(f"No price for: {', '.join(result.unpriced_models)}")
    click.echo(f"Estimate: {result.token_method}.")
    if result.expected_method is not None:
        low, high = result.samples_range  # type: ignore[misc]
        click.echo(f"Sequential: {low} to {high} samples per condition and model; "
                   f"{result.expected_method}.")
    if monitors := experiment.monitor_models():
        click.echo(f"Not estimated: the LLM action monitor's calls ({', '.join(monitors.values())}),"
                   " one or two per tool call.")
    return 0
