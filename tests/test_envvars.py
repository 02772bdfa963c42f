"""Every option can be set through INSIDERBENCH_<COMMAND>_<OPTION>, the name the README gives."""

import re
from pathlib import Path

import click
import pytest

from helpers import run_cli
from insiderbench.cli import cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def documented_options():
    ctx = click.Context(cli)
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        for param in command.params:
            flag = next((o for o in getattr(param, "opts", []) if o.startswith("--")), None)
            if isinstance(param, click.Option) and flag:
                variable = f"INSIDERBENCH_{name.upper()}_{flag[2:].replace('-', '_').upper()}"
                yield name, flag, variable


OPTIONS = list(documented_options())


def test_every_command_has_options():
    assert {c for c, _, _ in OPTIONS} >= {"run", "plan", "score", "report", "compare", "prompts"}
    assert len(OPTIONS) > 60


@pytest.mark.parametrize(("command", "flag", "variable"), OPTIONS,
                         ids=[v for _, _, v in OPTIONS])
def test_the_documented_variable_reaches_the_option(monkeypatch, command, flag, variable):
    ctx = click.Context(cli)
    cmd = cli.get_command(ctx, command)
    (param,) = [p for p in cmd.params if flag in getattr(p, "opts", [])]
    monkeypatch.setenv(variable, "1")
    assert param.resolve_envvar_value(click.Context(cmd, info_name=command)) == "1"


def test_the_readme_example_works(monkeypatch, capsys):
    (example,) = set(re.findall(r"INSIDERBENCH_RUN_[A-Z_]+", README))
    monkeypatch.setenv(example, "nosuchprovider/model")
    code, _out, err = run_cli(capsys, "run", "-s", "murder")
    assert code == 2
    assert "unknown model provider 'nosuchprovider'" in err
