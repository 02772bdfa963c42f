"""User errors: one line on stderr, exit code 2, never a traceback."""

from __future__ import annotations

import click


class UserError(click.ClickException):
    """Something the user got wrong. Printed as one line; exit code 2."""

    exit_code = 2

    def show(self, file: object = None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)
