"""The `insiderbench` command line."""

from insiderbench.cli._errors import UserError
from insiderbench.cli._main import cli, main

__all__ = ["UserError", "cli", "main"]
