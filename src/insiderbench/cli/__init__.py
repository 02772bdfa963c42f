"""The `insiderbench` command line."""

from insiderbench.cli import (
    _judge,  # noqa: F401  (registers score, agreement)
    _report,  # noqa: F401  (registers report, compare)
)
from insiderbench.cli._errors import UserError
from insiderbench.cli._main import cli, main

__all__ = ["UserError", "cli", "main"]
