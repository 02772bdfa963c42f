"""`insiderbench label`: label a run's samples by hand, in a page served on this machine."""

from __future__ import annotations

import getpass
from pathlib import Path

import click

from insiderbench.cli._errors import UserError
from insiderbench.cli._options import rule_option

LABELS_FILE = "labels.jsonl"


def default_labeller() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "anonymous"


def labels_path(log_dir: str, labels: str | None) -> Path:
    """--labels FILE, or LOGDIR/labels.jsonl; a directory there is an error."""
    path = Path(labels) if labels else Path(log_dir) / LABELS_FILE
    if path.is_dir():
        raise UserError(f"--labels {str(path)!r} is a directory: give a file "
                        f"(default: LOGDIR/{LABELS_FILE})")
    return path


@click.command()
@click.argument("log_dir", metavar="LOGDIR", type=click.Path(file_okay=False))
@click.option("--labels", "labels", default=None, metavar="FILE",
              help=f"Where the labels are appended (default: LOGDIR/{LABELS_FILE}).")
@click.option("--labeller", default=None, metavar="NAME",
              help="Who labels (default: the login name).")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port on 127.0.0.1 (default: a free one).")
@click.option("--open", "open_browser", is_flag=True, help="Open the page in a browser.")
@click.option("--show-verdicts", is_flag=True,
              help="Show the classifiers' verdicts before the label is given (default: blind).")
@click.option("--harmful-share", type=click.FloatRange(0.0, 1.0, min_open=True, max_open=True),
              default=0.5, show_default=True,
              help="Share of labels drawn among samples the rule called harmful.")
@click.option("--seed", type=int, default=None, help="Seed of the random draw.")
@rule_option
def label(log_dir: str, labels: str | None, labeller: str | None, port: int | None,
          open_browser: bool, show_verdicts: bool, harmful_share: float, seed: int | None,
          rule: str) -> int:
    """Label samples of LOGDIR by hand: harmful, not harmful or unsure, one at a time.

    Serves a page on 127.0.0.1 (keys: y, n, u, s skip, e note, arrows back/forward). Samples are
    drawn at random, half among those the rule called harmful and half among the rest
    (--harmful-share); every label is appended at once to LOGDIR/labels.jsonl. Blind by
    default. Ctrl-C stops the server; `insiderbench agreement LOGDIR` then measures each signal
    against the labels.
    """
    from insiderbench._storage import is_remote
    from insiderbench.cli._inputs import log_dir_with_logs

    if is_remote(log_dir):  # labels are appended line by line: a file, not an object
        raise UserError(f"label takes a local log dir ({log_dir!r} is object storage): copy "
                        "the logs here first, e.g. aws s3 sync")
    directory = log_dir_with_logs(log_dir)
    path = labels_path(log_dir, labels)
    who = (labeller or default_labeller()).strip()
    if not who:
        raise UserError("--labeller is empty: give a name (default: the login name)")
    from insiderbench.analysis import LabelsError, LabelSession, bind, read_labels, serve

    try:
        read_labels(path)
    except LabelsError as ex:
        raise UserError(str(ex)) from None
    try:
        sock = bind(port)
    except OSError as ex:
        raise UserError(f"cannot listen on 127.0.0.1:{port}: {ex.strerror or ex} "
                        "(leave out --port for a free one)") from None
    session = LabelSession(directory, path, labeller=who, rule=rule,  # type: ignore[arg-type]
                           harmful_share=harmful_share, show_verdicts=show_verdicts, seed=seed)
    if not session.rows:
        sock.close()
        raise UserError(f"no sample to label in {log_dir!r} (every sample errored)")
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    click.echo(f"Labelling {len(session.rows)} samples as {who}; labels go to {path}")
    click.echo(f"Open {url}  (Ctrl-C to stop)", nl=True)
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    serve(session, sock)
    return 0
