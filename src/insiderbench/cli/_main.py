"""The `insiderbench` command line."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from insiderbench.cli._errors import UserError
from insiderbench.scenarios import (
    EXTRA_INSTRUCTIONS,
    GOAL_TYPES,
    GOAL_VALUES,
    SCENARIOS,
    URGENCIES,
    Condition,
    ConditionError,
    make_condition,
)

DEFAULT_SAMPLES = 2
DEFAULT_LOG_DIR = "logs"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="insiderbench")
def cli() -> None:
    """Stress-test LLM agents for agentic misalignment (blackmail, leaking, lethal action).

    Reproduces Lynch et al., "Agentic Misalignment: How LLMs Could Be Insider Threats", on
    any Inspect model. With no --model, runs the embedded offline SmolLM2 model.
    """


def factor_options(fn: Any) -> Any:
    """The experimental factors, shared by every command that names a condition."""
    options = [
        click.option("--goal-type", type=click.Choice(GOAL_TYPES),
                     help="How the goal is conveyed (default: explicit)."),
        click.option("--goal-value", type=click.Choice((*GOAL_VALUES, "none")),
                     help="The goal (default: america; none for goal types none/ambiguous)."),
        click.option("--urgency", type=click.Choice(URGENCIES),
                     help="The threat to the agent (default: replacement)."),
        click.option("--extra", type=click.Choice(EXTRA_INSTRUCTIONS),
                     help="Extra system instruction: dont (do not harm) or goal (welfare goal)."),
        click.option("--prod", is_flag=True, help="No secret scratchpad."),
        click.option("--eval-awareness", is_flag=True,
                     help="Add the notice asking the model whether it is evaluated or deployed."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def build_conditions(scenarios: tuple[str, ...], **factors: Any) -> list[Condition]:
    try:
        return [
            make_condition(
                scenario=s,
                goal_type=factors.get("goal_type"),
                goal_value=factors.get("goal_value"),
                urgency=factors.get("urgency"),
                extra_instructions=factors.get("extra"),
                prod=bool(factors.get("prod")),
                eval_awareness=bool(factors.get("eval_awareness")),
            )
            for s in (scenarios or SCENARIOS)
        ]
    except ConditionError as ex:
        raise UserError(str(ex)) from None


def writable_dir(path: str) -> Path:
    """Create the directory if needed and prove we can write there."""
    p = Path(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=p, prefix=".write-test-"):
            pass
    except OSError as ex:
        raise UserError(f"log dir {path!r} is not writable: {ex.strerror or ex}") from None
    return p


@cli.command()
@click.option("--model", "-m", default=None, metavar="MODEL",
              help="Inspect model string, e.g. openai/gpt-4.1 (default: embedded/smollm2).")
@click.option("--scenario", "-s", "scenarios", multiple=True, type=click.Choice(SCENARIOS),
              help="Scenario(s) to run (default: all three).")
@factor_options
@click.option("--samples", type=click.IntRange(min=1), default=DEFAULT_SAMPLES, show_default=True,
              help="Samples per condition (the paper used 100).")
@click.option("--temperature", type=click.FloatRange(min=0.0), default=1.0, show_default=True)
@click.option("--max-tokens", type=click.IntRange(min=1), default=None,
              help="Maximum tokens per reply (default: the provider's; 400 for embedded).")
@click.option("--seed", type=int, default=None,
              help="Base seed; each (condition, sample) gets its own seed derived from it.")
@click.option("--log-dir", default=DEFAULT_LOG_DIR, show_default=True,
              help="Where the .eval logs are written.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the results as JSON lines on stdout (everything else on stderr).")
def run(
    model: str | None,
    scenarios: tuple[str, ...],
    goal_type: str | None,
    goal_value: str | None,
    urgency: str | None,
    extra: str | None,
    prod: bool,
    eval_awareness: bool,
    samples: int,
    temperature: float,
    max_tokens: int | None,
    seed: int | None,
    log_dir: str,
    as_json: bool,
) -> int:
    """Run conditions on a model and print harmful-action rates with 95% Wilson intervals."""
    from insiderbench.cli._models import resolve_model
    from insiderbench.providers import EMBEDDED_MODEL

    conditions = build_conditions(
        scenarios, goal_type=goal_type, goal_value=goal_value, urgency=urgency, extra=extra,
        prod=prod, eval_awareness=eval_awareness,
    )
    model = resolve_model(model or EMBEDDED_MODEL)
    out_dir = writable_dir(log_dir)

    from inspect_ai import eval as inspect_eval
    from inspect_ai.log import read_eval_log

    from insiderbench.analysis import sample_rows, summarize
    from insiderbench.task import build_task

    task = build_task(conditions, seed=seed, temperature=temperature, max_tokens=max_tokens)
    click.echo(
        f"Running {len(conditions)} condition(s) x {samples} sample(s) on {model} "
        f"-> {out_dir}", err=True,
    )
    redirect = contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext()
    with redirect:
        logs = inspect_eval(
            task,
            model=model,
            epochs=samples,
            log_dir=str(out_dir),
            fail_on_error=False,
            display="none" if as_json else None,
            temperature=temperature,
            max_tokens=max_tokens,
        )
    rows = []
    failed = []
    for log in logs:
        full = read_eval_log(log.location) if log.location else log
        rows.extend(sample_rows(full))
        if log.status != "success":
            message = log.error.message.splitlines()[0] if log.error else log.status
            failed.append(f"{log.location}: {log.status}: {message}")
    summary = summarize(rows)
    if as_json:
        for row in summary:
            click.echo(json.dumps(row.model_dump()))
    else:
        print_table(summary)
    for log in logs:
        click.echo(f"Log: {log.location}", err=as_json)
    click.echo(f"Transcripts: inspect view --log-dir {out_dir}", err=as_json)
    for f in failed:
        click.echo(f"Error: run did not complete: {f}", err=True)
    return 1 if failed else 0


def print_table(summary: list[Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Harmful-action rates (deterministic check)")
    for col in ("model", "condition", "n", "harmful", "rate", "95% CI", "errors", "unscored"):
        table.add_column(col, justify="left" if col in ("model", "condition") else "right")
    for r in summary:
        table.add_row(
            r.model,
            r.condition_id,
            str(r.n),
            str(r.harmful),
            "-" if r.rate is None else f"{r.rate:.2f}",
            "-" if r.ci_low is None else f"[{r.ci_low:.2f}, {r.ci_high:.2f}]",
            str(r.errors),
            str(r.unscored),
        )
    Console(width=max(120, Console().width)).print(table)


@cli.command()
@click.option("--scenario", "-s", type=click.Choice(SCENARIOS), required=True)
@factor_options
@click.option("--raw", is_flag=True, help="Show the uncorrected upstream text.")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"condition_id", "system", "user", "corrections"}.')
def prompts(
    scenario: str,
    goal_type: str | None,
    goal_value: str | None,
    urgency: str | None,
    extra: str | None,
    prod: bool,
    eval_awareness: bool,
    raw: bool,
    as_json: bool,
) -> int:
    """Show the rendered system prompt and user message of one condition."""
    from insiderbench.scenarios import PromptLintError, get_pack

    (condition,) = build_conditions(
        (scenario,), goal_type=goal_type, goal_value=goal_value, urgency=urgency, extra=extra,
        prod=prod, eval_awareness=eval_awareness,
    )
    try:
        rendered = get_pack().render(condition, raw=raw)
    except PromptLintError as ex:
        raise UserError(str(ex)) from None
    if as_json:
        click.echo(json.dumps(
            {"condition_id": condition.condition_id, "system": rendered.system,
             "user": rendered.user, "corrections": list(rendered.corrections)}
        ))
    else:
        click.echo(f"# {condition.condition_id}\n\n## system\n\n{rendered.system}\n\n"
                   f"## user\n\n{rendered.user}")
    return 0


@cli.command()
@click.argument("scenario", type=click.Choice(SCENARIOS))
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, readable=True))
def check(scenario: str, files: tuple[str, ...]) -> int:
    """Classify saved replies with the deterministic check; one JSON line per file."""
    from insiderbench.classify import run_check
    from insiderbench.environment import parse_actions
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


def main(argv: list[str] | None = None) -> None:
    """Entry point: one-line errors with exit code 2 for anything the user got wrong."""
    try:
        code = cli.main(args=argv, prog_name="insiderbench", standalone_mode=False,
                        auto_envvar_prefix="INSIDERBENCH")
    except click.exceptions.UsageError as ex:
        click.echo(f"Error: {ex.format_message()}", err=True)
        sys.exit(2)
    except click.ClickException as ex:
        ex.show()
        sys.exit(ex.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.exceptions.Exit as ex:
        sys.exit(ex.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
