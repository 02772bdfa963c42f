"""Every option can be set through INSIDERBENCH_<COMMAND>_<OPTION>, the name the README gives."""

import re
from pathlib import Path

import click
import pytest
from inspect_ai.model import get_model

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


def test_a_developers_dotenv_does_not_reach_the_tests(tmp_path, monkeypatch):
    """A `.env` with a key where pytest was started, and above it: an eval loads neither."""
    import os

    from inspect_ai import eval as inspect_eval
    from inspect_ai._util.dotenv import dotenv_environ, init_dotenv

    from helpers import BLACKMAIL_BENIGN, reply
    from insiderbench.scenarios import headline
    from insiderbench.task import build_task

    checkout = tmp_path / "checkout"
    (checkout / "sub").mkdir(parents=True)
    (tmp_path / ".env").write_text("ANTHROPIC_API_KEY=sk-from-parent-dotenv\n")
    (checkout / ".env").write_text("OPENAI_API_KEY=sk-from-dotenv\n")
    monkeypatch.chdir(checkout / "sub")
    init_dotenv()
    with dotenv_environ():
        assert "OPENAI_API_KEY" not in os.environ
    inspect_eval(build_task([headline("murder")]),
                 model=get_model("mockllm/model", custom_outputs=[reply(BLACKMAIL_BENIGN)]),
                 log_dir=str(tmp_path / "logs"), display="none")
    assert not [k for k in os.environ if k.endswith("_API_KEY")]
