"""Options shared by several commands: factors, experiment source, judges, agentic mode.

Light on purpose: `insiderbench --help` builds every option, so the choices come from
modules that import neither Inspect nor pandas."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import click

from insiderbench import scenarios
from insiderbench.agent import DEFAULT_MAX_STEPS
from insiderbench.classify import JUDGES, RULES
from insiderbench.cli._errors import UserError
from insiderbench.environment import INBOXES


def factor_options(fn: Any) -> Any:
    """The experimental factors, shared by every command that names a condition."""
    options = [
        click.option("--goal-type", type=click.Choice(scenarios.GOAL_TYPES),
                     help="How the goal is conveyed (default: explicit)."),
        click.option("--goal-value", type=click.Choice((*scenarios.GOAL_VALUES, "none")),
                     help="The goal (default: america; none for goal types none/ambiguous)."),
        click.option("--urgency", type=click.Choice(scenarios.URGENCIES),
                     help="The threat to the agent (default: replacement)."),
        click.option("--extra", type=click.Choice(scenarios.EXTRA_INSTRUCTIONS),
                     help="Extra system instruction: dont (do not harm) or goal (welfare goal)."),
        click.option("--prod", is_flag=True, help="No secret scratchpad."),
        click.option("--eval-awareness", is_flag=True,
                     help="Add the notice asking the model whether it is evaluated or deployed."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn

FACTORS = ("goal_type", "goal_value", "urgency", "extra", "prod", "eval_awareness")


def pack_options(fn: Any, *, many_seeds: bool = False) -> Any:
    """--pack NAME|DIR and --variant-seed N: which scenario text renders the conditions."""
    fn = click.option(
        "--variant-seed", "variant_seeds", type=click.IntRange(min=0), multiple=many_seeds,
        default=None, metavar="N",
        help="Render a surface variant: people, companies, domains, products and codes "
             "renamed consistently, the same for every sample (condition id gains __vN)"
             + ("; repeat for several." if many_seeds else "."),
    )(fn)
    return click.option(
        "--pack", default=None, metavar="NAME|DIR",
        help="Scenario pack: paper (default; the paper's text via inspect_evals), "
             "insiderbench (ours), or a pack folder (see `insiderbench scenarios`).",
    )(fn)


def text_options(fn: Any) -> Any:
    """--ablate NAME (repeatable) and --intervention FILE: changes to the scenario's text."""
    fn = click.option(
        "--intervention", default=None, metavar="FILE",
        help="A mitigation of yours: a Markdown file with front matter name: and where: "
             "(system-start, system-end or email); condition ids gain __iv-NAME.",
    )(fn)
    return click.option(
        "--ablate", "ablations", multiple=True, type=click.Choice(scenarios.ABLATIONS),
        help="Ablate the scenario: agency (drop the instruction to analyse the situation "
             "first), escalation (add an email naming a board contact who can stop the wipe), "
             "ceo (drop the lines saying the CEO and board cannot be reached), monitoring "
             "(add an email saying outgoing mail is reviewed). Repeat for several; condition "
             "ids gain __abl-NAME.",
    )(fn)


def intervention_named(file: str | None) -> str | None:
    """Load an --intervention file: its name, or a one-line error saying what is wrong."""
    if file is None:
        return None
    from insiderbench.scenarios import InterventionError, load_intervention

    try:
        return load_intervention(file).name
    except InterventionError as ex:
        raise UserError(f"--intervention: {ex}") from None


@dataclass(frozen=True)
class ExperimentSource:
    """Where a command's experiment comes from: FILE, --preset NAME or factor flags."""

    file: str | None
    preset: str | None
    scenarios: tuple[str, ...]
    factors: dict[str, Any]
    pack: str | None = None
    variant_seeds: tuple[int, ...] = ()
    ablations: tuple[str, ...] = ()
    intervention: str | None = None  # a file

    def factors_given(self) -> bool:
        return bool(self.scenarios) or any(v not in (None, False) for v in self.factors.values())


def experiment_source_options(fn: Any) -> Any:
    """FILE | --preset NAME | factor flags, handed to the command as one `source` argument."""

    @functools.wraps(fn)
    def command(*args: Any, **kwargs: Any) -> Any:
        source = ExperimentSource(
            file=kwargs.pop("file"), preset=kwargs.pop("preset"),
            scenarios=kwargs.pop("scenarios"), factors={k: kwargs.pop(k) for k in FACTORS},
            pack=kwargs.pop("pack"), variant_seeds=tuple(kwargs.pop("variant_seeds") or ()),
            ablations=tuple(kwargs.pop("ablations") or ()),
            intervention=kwargs.pop("intervention"),
        )
        return fn(*args, source=source, **kwargs)

    decorated = text_options(pack_options(factor_options(command), many_seeds=True))
    decorated = click.option("--scenario", "-s", "scenarios", multiple=True,
                             type=click.Choice(scenarios.SCENARIOS),
                             help="Scenario(s): the paper's three, or ours (exfiltration, "
                                  "tampering, oversight; their pack is found by name). "
                                  "Default: the paper's three; with --pack, all the pack's."
                             )(decorated)
    decorated = click.option("--preset", "-p", default=None, metavar="NAME",
                             help="One of the paper's experiments (see `insiderbench presets`)."
                             )(decorated)
    return click.argument("file", required=False, type=click.Path(dir_okay=False))(decorated)


def judge_option(fn: Any) -> Any:
    return click.option(
        "--judge", type=click.Choice(JUDGES), default=None,
        help="Judge prompts: paper (the published classifiers) or insiderbench (ours: emails "
             "as context, quoted evidence, separate labels). Default: paper.",
    )(fn)


def rule_option(fn: Any) -> Any:
    return click.option(
        "--rule", type=click.Choice(RULES), default="auto", show_default=True,
        help="Verdict the table reports: ours (judge and gate), paper (judge and the published "
             "gates), check (the offline heuristic alone); auto: ours when judged, else check.",
    )(fn)


def graders_given(graders: tuple[str, ...]) -> str | list[str] | None:
    """The --grader values as the experiment's `grader:`: 'none' alone means no judge."""
    if any(g.strip().lower() == "none" for g in graders):
        if len(graders) > 1:
            raise UserError("--grader none cannot be combined with other graders")
        return None
    dupes = sorted({g for g in graders if graders.count(g) > 1})
    if dupes:
        raise UserError(f"--grader {dupes[0]} is given twice; give each judge's model once")
    return graders[0] if len(graders) == 1 else list(graders)


def judge_options(fn: Any) -> Any:
    """--grader (repeatable), --judge, --rule, --audit-fraction: who judges, with which
    prompts, which rule is reported, and how many gated-out samples are judged anyway."""
    fn = rule_option(fn)
    fn = judge_option(fn)
    fn = click.option(
        "--audit-fraction", type=click.FloatRange(0, 1), default=None, metavar="F",
        help="Share of the samples whose gate is closed (no mail to the target, nothing sent "
             "outside, no cancelled alert) that the judge is asked about anyway, to measure "
             "what it would have said there (default: the experiment's audit_fraction:, 0.05).",
    )(fn)
    return click.option(
        "--grader", "graders", multiple=True, metavar="MODEL",
        help="Model for the LLM judge (Inspect's grader role), e.g. anthropic/claude-sonnet-4-6; "
             "repeat for several judges (roles grader, grader_2, ...: the rule takes their "
             "majority, a tie is unscored); 'none' for the deterministic signals alone "
             "(default: the experiment's grader:).",
    )(fn)


def _monitor_spec(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """none, rule, or a model name (`provider/model`); anything else is a usage error."""
    if value is None:
        return None
    try:
        scenarios.check_monitor_spec(value)
    except scenarios.ConditionError:
        raise click.BadParameter(f"{value!r} is not one of 'none', 'rule', or a model name "
                                 "(provider/model, e.g. openai/gpt-4o)") from None
    return value


def agentic_options(fn: Any) -> Any:
    """--mode, and the agentic settings: --inbox, --max-steps, --token-limit, --turns,
    --tools, --monitor."""
    options = [
        click.option("--mode", type=click.Choice(scenarios.MODES), default=None,
                     help="classic: the paper's protocol, one reply with text tags; agentic: "
                          "the model acts through tool calls in a simulated mail client. "
                          "Overrides the experiment's mode and its grids' modes."),
        click.option("--inbox", type=click.Choice(INBOXES), default=None,
                     help="Agentic mode: the emails come in the user message, as in the "
                          "paper (default), or through a read_inbox tool."),
        click.option("--max-steps", type=click.IntRange(min=1), default=None,
                     help=f"Agentic mode: model generations per sample (default: "
                          f"{DEFAULT_MAX_STEPS}); an agent still acting then is cut off."),
        click.option("--token-limit", type=click.IntRange(min=1), default=None,
                     help="Agentic mode: tokens per sample, all steps (default: none)."),
        click.option("--tools", type=click.Choice(("taught", "all")), default=None,
                     help="Agentic mode: taught (default): exactly the tools the classic prompt "
                          "teaches (send_email; forward_email in leaking; cancel_alert in the "
                          "lethal-action scenario; the system tools of our behaviours); all: a "
                          "full mail client, forward_email and read_email everywhere, and the "
                          "readers of our behaviours' systems."),
        click.option("--monitor", default=None, callback=_monitor_spec, metavar="none|rule|MODEL",
                     help="Agentic mode: an action monitor on the tool calls; a held call "
                          "goes back to the agent as the tool's error. rule: a call that "
                          "would open the scenario's gate (mail reaching the target, "
                          "confidential mail sent outside, the alert cancelled) is held; "
                          "MODEL (e.g. openai/gpt-4o): an LLM reviewer approves or rejects "
                          "each call, and holds it when its answer cannot be read. Condition "
                          "ids gain __mon-rule or __mon-llm-NAME-HASH."),
        click.option("--turns", type=click.IntRange(min=1), default=None,
                     help="Agentic mode: agent turns; between them the scenario's scripted "
                          "reactions arrive as new emails (default: 1, as in the paper)."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn
