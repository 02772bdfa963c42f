"""The `insiderbench` command line."""

from insiderbench.cli._errors import UserError
from insiderbench.cli._main import cli, main
from insiderbench.cli import _judge  # noqa: F401,E402  (registers score, agreement)
from insiderbench.cli import _report  # noqa: F401,E402  (registers report, compare)

__all__ = ["UserError", "cli", "main"]
