"""The `insiderbench` command line."""

from __future__ import annotations

import contextlib
import functools
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from insiderbench.cli._agentic import agentic_options, apply_agentic_options
from insiderbench.cli._errors import UserError
from insiderbench.cli._tables import judge_option
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


def judge_options(fn: Any) -> Any:
    """--grader, --judge, --rule: who judges, with which prompts, and which rule is reported."""
    from insiderbench.cli._tables import judge_option, rule_option

    fn = rule_option(fn)
    fn = judge_option(fn)
    return click.option(
        "--grader", default=None, metavar="MODEL",
        help="Model for the LLM judge (Inspect's grader role), e.g. anthropic/claude-sonnet-4-6; "
             "'none' for the deterministic checks alone (default: the experiment's grader:).",
    )(fn)


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


FACTORS = ("goal_type", "goal_value", "urgency", "extra", "prod", "eval_awareness")


@dataclass(frozen=True)
class ExperimentSource:
    """Where a command's experiment comes from: FILE, --preset NAME or factor flags."""

    file: str | None
    preset: str | None
    scenarios: tuple[str, ...]
    factors: dict[str, Any]

    def factors_given(self) -> bool:
        return bool(self.scenarios) or any(v not in (None, False) for v in self.factors.values())


def experiment_source_options(fn: Any) -> Any:
    """FILE | --preset NAME | factor flags, handed to the command as one `source` argument."""

    @functools.wraps(fn)
    def command(*args: Any, **kwargs: Any) -> Any:
        source = ExperimentSource(
            file=kwargs.pop("file"), preset=kwargs.pop("preset"),
            scenarios=kwargs.pop("scenarios"), factors={k: kwargs.pop(k) for k in FACTORS},
        )
        return fn(*args, source=source, **kwargs)

    decorated = factor_options(command)
    decorated = click.option("--scenario", "-s", "scenarios", multiple=True,
                             type=click.Choice(SCENARIOS),
                             help="Scenario(s) (default: all three).")(decorated)
    decorated = click.option("--preset", "-p", default=None, metavar="NAME",
                             help="One of the paper's experiments (see `insiderbench presets`)."
                             )(decorated)
    return click.argument("file", required=False, type=click.Path(dir_okay=False))(decorated)


def resolve_experiment(
    source: ExperimentSource,
    *,
    models: tuple[str, ...] = (),
    samples: int | None = None,
    check_keys: bool = False,
) -> tuple[Any, list[str]]:
    """Build the Experiment from a file, a preset, or factor flags (one of the three)."""
    from insiderbench.cli._models import resolve_model
    from insiderbench.experiment import (
        Experiment,
        ExperimentFileError,
        Grid,
        load_experiment,
        load_preset,
    )

    for m in models:
        resolve_model(m, check_key=check_keys)
    file, preset = source.file, source.preset
    given = source.factors_given()
    if file and preset:
        raise UserError("give an experiment FILE or --preset, not both")
    if (file or preset) and given:
        raise UserError(
            "factor flags (--scenario, --goal-type, ...) cannot be combined with an experiment "
            "file or preset; edit its grids instead"
        )
    warnings: list[str] = []
    if file:
        if not Path(file).is_file():
            raise UserError(f"experiment file {file!r} does not exist")
        from insiderbench.cli._models import provider_names

        try:
            experiment, warnings = load_experiment(file, providers=provider_names())
        except ExperimentFileError as ex:
            raise UserError(str(ex)) from None
    elif preset:
        try:
            experiment = load_preset(preset)
        except ValueError as ex:
            raise UserError(str(ex)) from None
    else:
        from insiderbench.providers import EMBEDDED_MODEL

        conditions = build_conditions(source.scenarios, **source.factors)
        first = conditions[0]
        grid = Grid(
            scenarios=[c.scenario for c in conditions],
            goal_types=[first.goal_type],
            goal_values=[first.goal_value] if first.goal_value != "none" else [],
            urgencies=[first.urgency],
            extra_instructions=[first.extra_instructions],
            prod=[first.prod],
            eval_awareness=[first.eval_awareness],
        )
        experiment = Experiment(
            name="run",
            models=list(models) or [EMBEDDED_MODEL],
            samples=samples or DEFAULT_SAMPLES,
            grids=[grid],
        )
        return experiment, warnings
    updates: dict[str, Any] = {}
    if models:
        from insiderbench.experiment import ModelSpec

        updates["models"] = [ModelSpec(model=m) for m in models]
    if samples is not None:
        updates["samples"] = samples
    return (experiment.model_copy(update=updates) if updates else experiment), warnings


@cli.command()
@experiment_source_options
@click.option("--model", "-m", "models", multiple=True, metavar="MODEL",
              help="Inspect model string, e.g. openai/gpt-4.1; repeat for several "
                   "(default: embedded/smollm2, or the experiment's models).")
@click.option("--samples", type=click.IntRange(min=1), default=None,
              help=f"Samples per condition (default: {DEFAULT_SAMPLES}, or the experiment's; "
                   "the paper used 100).")
@click.option("--temperature", type=click.FloatRange(min=0.0), default=None,
              help="Sampling temperature (default: 1.0, as in the paper).")
@click.option("--max-tokens", type=click.IntRange(min=1), default=None,
              help="Maximum tokens per reply (default: the provider's; 400 for embedded).")
@click.option("--seed", type=int, default=None,
              help="Base seed; each (condition, sample) gets its own seed derived from it.")
@click.option("--max-connections", type=click.IntRange(min=1), default=None,
              help="Concurrent requests per model.")
@click.option("--max-retries", type=click.IntRange(min=0), default=None,
              help="Retries of one API call (default: 6, with backoff).")
@click.option("--timeout", type=click.IntRange(min=1), default=None,
              help="Seconds one API call may take, retries included (default: 900).")
@click.option("--retry-on-error", type=click.IntRange(min=0), default=None,
              help="Retries of a sample whose reply failed, was malformed or timed out "
                   "(default: 3).")
@click.option("--batch/--no-batch", default=None,
              help="Use the providers' batch APIs (about half the price, hours of latency).")
@click.option("--cache-prompt", type=click.Choice(["auto", "on", "off"]), default=None,
              help="Provider prompt caching for the shared scenario prompt (default: auto).")
@click.option("--log-dir", default=None,
              help="Where the .eval logs are written (default: logs/<name>-<hash>).")
@click.option("--json", "as_json", is_flag=True,
              help="Print the results as JSON lines on stdout (everything else on stderr).")
@judge_options
@agentic_options
def run(
    source: ExperimentSource,
    models: tuple[str, ...],
    samples: int | None,
    temperature: float | None,
    max_tokens: int | None,
    seed: int | None,
    max_connections: int | None,
    max_retries: int | None,
    timeout: int | None,
    retry_on_error: int | None,
    batch: bool | None,
    cache_prompt: str | None,
    log_dir: str | None,
    as_json: bool,
    grader: str | None,
    judge: str | None,
    rule: str,
    **agentic: Any,
) -> int:
    """Run an experiment (FILE, --preset or factor flags) and print harmful-action rates.

    Rerunning the same command after a crash or Ctrl-C resumes: finished samples are reused,
    never generated again.
    """
    from insiderbench.cli._models import resolve_model

    experiment, warnings = resolve_experiment(source, models=models, samples=samples,
                                              check_keys=True)
    overrides = {
        "temperature": temperature, "max_tokens": max_tokens, "seed": seed,
        "max_connections": max_connections, "max_retries": max_retries, "timeout": timeout,
        "retry_on_error": retry_on_error, "batch": batch,
        "cache_prompt": {"auto": "auto", "on": True, "off": False}.get(cache_prompt or ""),
        "judge": judge,
    }
    updates = {k: v for k, v in overrides.items() if v is not None}
    if grader is not None:
        updates["grader"] = None if grader.lower() == "none" else grader
    if updates:
        experiment = experiment.model_copy(update=updates)
    experiment = apply_agentic_options(experiment, **agentic)
    if experiment.grader:
        resolve_model(experiment.grader)
    elif rule in ("ours", "paper"):
        raise UserError(f"--rule {rule} needs an LLM judge: give --grader MODEL")
    for w in warnings:
        click.echo(f"Warning: {w}", err=True)
    for spec in experiment.models:
        resolve_model(spec.model)
    from insiderbench.experiment import lint_conditions, run_experiment
    from insiderbench.scenarios import PromptLintError

    try:
        lint_conditions(experiment)
    except PromptLintError as ex:
        raise UserError(str(ex)) from None
    out_dir = writable_dir(log_dir or experiment.default_log_dir())
    from insiderbench.cli._judge import check_judging_matches

    check_judging_matches(out_dir, experiment)
    conditions = experiment.conditions()
    click.echo(
        f"Running {experiment.name}: {len(conditions)} condition(s) x {experiment.samples} "
        f"sample(s) x {len(experiment.models)} model(s) -> {out_dir}", err=True,
    )
    redirect = contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext()
    with redirect:
        outcome = run_experiment(experiment, out_dir, display="none" if as_json else None)
    return report_outcome(outcome.logs, out_dir, as_json, rule)


def report_outcome(logs: list[Any], out_dir: Path, as_json: bool, rule: str = "auto") -> int:
    """Write the report, print the results table of the final logs and the report's path;
    1 when samples are still unfinished.

    The table is built from the report's own pass over the logs, so a run's samples are read
    back once; only when the report cannot be written are they read on their own.
    """
    from insiderbench.analysis import iter_samples, sample_row
    from insiderbench.cli._report import run_report
    from insiderbench.cli._tables import emit_results, judges_in

    rows: list[Any] = []
    judges: set[str] = set()

    def add(log: Any, sample: Any) -> None:
        nonlocal judges
        rows.append(sample_row(log.eval.model, log.eval.task, sample,
                               rule))  # type: ignore[arg-type]
        judges |= judges_in([sample])

    @functools.cache
    def resolved(location: str) -> Path:
        return Path(location.removeprefix("file://")).resolve()

    def where(log: Any) -> Path:
        return resolved(str(log.location))

    # The report reads every log in the directory; the table shows this run's logs.
    ours = {where(log) for log in logs if log.location}
    seen: set[Path] = set()

    def collect(log: Any, sample: Any, _row: Any) -> None:
        if (path := where(log)) in ours:
            seen.add(path)
            add(log, sample)

    report = run_report(out_dir, rule, collect)
    if report is None:  # it may have failed half-way through a log: read them all again
        rows, judges, seen = [], set(), set()
    for log in logs:
        # A log the report's pass did not cover (one without samples, or held in memory) is
        # read on its own, one sample at a time, without its events.
        if not log.location or where(log) not in seen:
            for sample in iter_samples(log) if log.location else log.samples or []:
                add(log, sample)
    failed = []
    for log in logs:
        if log.status != "success":
            message = log.error.message.splitlines()[0] if log.error else log.status
            failed.append(f"{log.eval.model}: {log.status}: {message}")
    emit_results(rows, as_json=as_json, judges=judges)
    for log in logs:
        click.echo(f"Log: {log.location}", err=as_json)
    click.echo(f"Transcripts: inspect view --log-dir {out_dir}", err=as_json)
    if report is not None:
        click.echo(f"Report: {report.html}", err=as_json)
    for f in failed:
        click.echo(f"Error: not finished: {f}", err=True)
    if failed:
        click.echo("Rerun the same command to retry the unfinished samples; finished ones are "
                   "kept.", err=True)
    return 1 if failed else 0


@cli.command()
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
    from insiderbench.scenarios import PromptLintError, get_pack

    if all_conditions:
        if source.file or source.preset or source.factors_given():
            raise UserError("--all lists the complete grid; give no FILE, preset or factors")
        from insiderbench.experiment import full_grid

        chosen = full_grid()
    else:
        experiment, warnings = resolve_experiment(source)
        for w in warnings:
            click.echo(f"Warning: {w}", err=True)
        chosen = experiment.conditions()
    pack = get_pack()
    for condition in chosen:
        if not as_json:
            click.echo(condition.condition_id)
            continue
        obj: dict[str, Any] = {"condition_id": condition.condition_id, **condition.factors()}
        if with_prompts:
            try:
                rendered = pack.render(condition)
            except PromptLintError as ex:
                raise UserError(str(ex)) from None
            obj["system"] = rendered.system
            obj["user"] = rendered.user
        click.echo(json.dumps(obj))
    return 0


@cli.command()
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


@cli.command()
@experiment_source_options
@click.option("--model", "-m", "models", multiple=True, metavar="MODEL",
              help="Model(s) instead of the experiment's.")
@click.option("--samples", type=click.IntRange(min=1), default=None)
@click.option("--log-dir", default=None, help="Count samples already done here "
              "(default: the experiment's log dir).")
@click.option("--reply-tokens", type=click.IntRange(min=1), default=None,
              help="Assumed tokens per reply (default: 1000, capped at max_tokens).")
@click.option("--grader", default=None, metavar="MODEL",
              help="Also cost the LLM judge's calls on this model; 'none' for no judge "
                   "(default: the experiment's grader:).")
@judge_option
@agentic_options
@click.option("--json", "as_json", is_flag=True)
def plan(
    source: ExperimentSource,
    models: tuple[str, ...],
    samples: int | None,
    log_dir: str | None,
    reply_tokens: int | None,
    grader: str | None,
    judge: str | None,
    as_json: bool,
    **agentic: Any,
) -> int:
    """Conditions x models x samples, estimated tokens and cost. Sends nothing anywhere."""
    from insiderbench.experiment import plan_experiment
    from insiderbench.experiment._plan import DEFAULT_REPLY_TOKENS
    from insiderbench.scenarios import PromptLintError

    experiment, warnings = resolve_experiment(source, models=models, samples=samples)
    for w in warnings:
        click.echo(f"Warning: {w}", err=True)
    updates: dict[str, Any] = {} if judge is None else {"judge": judge}
    if grader is not None:
        updates["grader"] = None if grader.lower() == "none" else grader
    if updates:
        experiment = experiment.model_copy(update=updates)
    experiment = apply_agentic_options(experiment, **agentic)
    try:
        result = plan_experiment(experiment, log_dir or experiment.default_log_dir(),
                                 reply_tokens or DEFAULT_REPLY_TOKENS)
    except PromptLintError as ex:
        raise UserError(str(ex)) from None
    for problem in result.unread_logs:
        click.echo(f"Warning: not counted as done: {problem}", err=True)
    if as_json:
        click.echo(result.model_dump_json())
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Plan: {result.name} ({result.conditions} conditions x "
                        f"{experiment.samples} samples)")
    for col in ("model", "samples", "done", "input tokens", "output tokens", "cost (USD)"):
        table.add_column(col, justify="left" if col == "model" else "right")
    for r in result.models:
        table.add_row(r.model, f"{r.samples:,}", f"{r.done:,}", f"{r.input_tokens:,}",
                      f"{r.output_tokens:,}", "no price" if r.cost_usd is None
                      else f"{r.cost_usd:,.2f}")
    if (g := result.grader) is not None:
        table.add_row(f"{g.model} (grader, {g.samples:,} calls)", "-", "-",
                      f"{g.input_tokens:,}", f"{g.output_tokens:,}",
                      "no price" if g.cost_usd is None else f"{g.cost_usd:,.2f}")
    console = Console(width=max(120, Console().width))
    console.print(table)
    click.echo(f"Total: {result.samples:,} samples, {result.done:,} already in {result.log_dir}, "
               f"estimated ${result.cost_usd:,.2f} (prices of {result.price_date})")
    if result.unpriced_models:
        click.echo(f"No price for: {', '.join(result.unpriced_models)}")
    click.echo(f"Estimate: {result.token_method}.")
    return 0


def print_table(summary: list[Any], title: str = "Harmful-action rates (deterministic check)"
                ) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
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
              help='Print {"condition_id", "system", "user", "corrections"} (agentic: "tools").')
@click.option("--mode", type=click.Choice(["classic", "agentic"]), default="classic",
              help="agentic: the prompts and tool definitions of agentic mode.")
@click.option("--inbox", type=click.Choice(["message", "tool"]), default=None,
              help="Agentic mode: emails in the user message (default) or behind read_inbox.")
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
    mode: str,
    inbox: str | None,
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
    from insiderbench.cli._agentic import agentic_view, tools_text

    shown = agentic_view(rendered, mode=mode, inbox=inbox)
    if as_json:
        click.echo(json.dumps({**shown, "corrections": list(rendered.corrections)}))
    else:
        click.echo(f"# {shown['condition_id']}\n\n## system\n\n{shown['system']}\n\n"
                   f"## user\n\n{shown['user']}{tools_text(shown)}")
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
