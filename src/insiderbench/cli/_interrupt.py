"""What an interrupted `run` says: what it has done, and how to resume."""

from __future__ import annotations

import shlex
import signal
import sys
from typing import Any

import click

_NAMES = {int(signal.SIGINT): "Ctrl-C (SIGINT)", int(signal.SIGTERM): "SIGTERM"}


def report_interrupt(signum: int, done: int, planned: int, out_dir: Any) -> int:
    """Say how far the run got and how to resume it; the exit code 128 + signal number
    (130 for Ctrl-C, 143 for SIGTERM)."""
    command = shlex.join(["insiderbench", *sys.argv[1:]])
    click.echo(f"Interrupted by {_NAMES.get(signum, f'signal {signum}')}: {done} of {planned} "
               f"sample(s) done and kept in {out_dir}; the results above count only those.",
               err=True)
    click.echo(f"To resume, run the same command again (done samples are not paid for "
               f"twice): {command}", err=True)
    return 128 + signum
