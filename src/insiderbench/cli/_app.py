"""The `insiderbench` group, its commands and the entry point."""

from __future__ import annotations

import sys

import click

from insiderbench.cli._agreement import agreement
from insiderbench.cli._check import check
from insiderbench.cli._compare import compare
from insiderbench.cli._conditions import conditions
from insiderbench.cli._label import label
from insiderbench.cli._plan import plan
from insiderbench.cli._presets import presets
from insiderbench.cli._prompts import prompts
from insiderbench.cli._report import report
from insiderbench.cli._run import run
from insiderbench.cli._scenarios import scenarios
from insiderbench.cli._score import score
from insiderbench.cli._validate import validate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="insiderbench")
def cli() -> None:
    """Stress-test LLM agents for agentic misalignment (blackmail, leaking, lethal action).

    Reproduces Lynch et al., "Agentic Misalignment: How LLMs Could Be Insider Threats", on
    any Inspect model. With no --model, runs the embedded offline SmolLM2 model.
    """


def main(argv: list[str] | None = None) -> None:
    """Entry point: one-line errors with exit code 2 for anything the user got wrong."""
    try:
        code = cli.main(args=argv, prog_name="insiderbench", standalone_mode=False,
                        auto_envvar_prefix=ENV_PREFIX)
    except click.exceptions.UsageError as ex:
        # Click lists choices on lines of their own; the house rule is one line.
        click.echo(f"Error: {' '.join(ex.format_message().split())}", err=True)
        sys.exit(2)
    except click.ClickException as ex:
        ex.show()
        sys.exit(ex.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.exceptions.Exit as ex:
        sys.exit(ex.exit_code)
    except Exception as ex:
        # Object storage that stopped answering mid-command (an s3:// log dir): one line.
        # What was written stays; rerunning the command resumes. Anything else is a bug.
        from insiderbench._storage import storage_failure

        why = storage_failure(ex)
        if why is None:
            raise
        click.echo(f"Error: object storage failed: {why}. What was written is kept; rerun "
                   "the same command once it answers", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


ENV_PREFIX = "INSIDERBENCH"


def option_envvars(command: click.Command) -> None:
    """Name each option's environment variable after its flag, as the README documents:
    INSIDERBENCH_<COMMAND>_<OPTION> (`--model` of run: INSIDERBENCH_RUN_MODEL). Click's own
    names follow the Python parameter (`models`), which is kept as a second name."""
    for param in command.params:
        if not isinstance(param, click.Option) or param.envvar is not None:
            continue
        flag = next((o for o in param.opts if o.startswith("--")), None)
        if flag is None or param.name is None:
            continue
        prefix = f"{ENV_PREFIX}_{(command.name or '').upper()}_"
        names = [prefix + flag[2:].replace("-", "_").upper(), prefix + param.name.upper()]
        param.envvar = list(dict.fromkeys(names))


for _command in (run, conditions, presets, plan, prompts, check, validate, score, agreement,
                 label, report, compare, scenarios):
    cli.add_command(_command)
    option_envvars(_command)
for _sub in scenarios.commands.values():
    option_envvars(_sub)
