"""The `insiderbench` command line: one module per command, each importing what it needs
inside the command, so that `insiderbench --help` imports neither Inspect nor pandas."""

from insiderbench.cli._app import cli, main
from insiderbench.cli._errors import UserError

__all__ = ["UserError", "cli", "main"]
