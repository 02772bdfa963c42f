"""What commands make of the user's input: conditions, experiments, directories."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import click

from insiderbench._storage import is_remote
from insiderbench.cli._errors import UserError
from insiderbench.cli._options import ExperimentSource, intervention_named
from insiderbench.scenarios import PAPER_SCENARIOS, Condition, ConditionError, make_condition

DEFAULT_SAMPLES = 2


def pack_named(spec: str | None) -> Any:
    """The pack a --pack value names (default: the paper's), or a one-line error naming the
    valid packs (a broken pack folder: its first problem and how many more)."""
    from insiderbench.scenarios import get_pack

    try:
        return get_pack(spec or "paper")
    except ValueError as ex:
        raise UserError(f"--pack: {ex}") from None


def build_conditions(scenarios: tuple[str, ...], **factors: Any) -> list[Condition]:
    pack = factors.get("pack")
    seed = factors.get("variant_seed")
    if pack is not None:
        has = tuple(getattr(pack_named(pack), "scenarios", PAPER_SCENARIOS))
        pack = pack_named(pack).name
        missing = [s for s in scenarios if s not in has]
        if missing:
            raise UserError(f"--pack {pack} has no scenario {', '.join(missing)} "
                            f"(it has: {', '.join(has)})")
        scenarios = scenarios or has
    elif scenarios:
        # `-s exfiltration`: the shipped pack that holds the scenarios (names are unique).
        from insiderbench.scenarios import pack_for

        try:
            pack = pack_for(scenarios)
        except ValueError as ex:
            raise UserError(str(ex)) from None
    try:
        return [
            make_condition(
                scenario=s,
                goal_type=factors.get("goal_type"),
                goal_value=factors.get("goal_value"),
                urgency=factors.get("urgency"),
                extra_instructions=factors.get("extra"),
                prod=bool(factors.get("prod")),
                eval_awareness=bool(factors.get("eval_awareness")),
                pack=pack,
                variant_seed=seed,
                ablations=factors.get("ablations") or (),
                intervention=intervention_named(factors.get("intervention")),
            )
            for s in (scenarios or PAPER_SCENARIOS)
        ]
    except ConditionError as ex:
        raise UserError(str(ex)) from None


def resolve_experiment(
    source: ExperimentSource,
    *,
    models: tuple[str, ...] = (),
    samples: int | None = None,
    check_keys: bool = False,
) -> tuple[Any, list[str]]:
    """Build the Experiment from a file, a preset, or factor flags (one of the three)."""
    from insiderbench.cli._models import resolve_model
    from insiderbench.experiment import (
        Experiment,
        ExperimentFileError,
        Grid,
        load_experiment,
        load_preset,
    )

    for m in models:
        resolve_model(m, check_key=check_keys)
    file, preset = source.file, source.preset
    given = source.factors_given()
    if file and preset:
        raise UserError("give an experiment FILE or --preset, not both")
    if (file or preset) and given:
        raise UserError(
            "factor flags (--scenario, --goal-type, ...) cannot be combined with an experiment "
            "file or preset; edit its grids instead"
        )
    warnings: list[str] = []
    pack_updates: dict[str, Any] = {}
    if source.pack is not None:
        pack_updates["pack"] = pack_named(source.pack).name
    if source.variant_seeds:
        pack_updates["variant_seeds"] = list(source.variant_seeds)
    if source.ablations:
        pack_updates["ablations"] = [list(source.ablations)]
    if source.intervention is not None:
        intervention_named(source.intervention)
        pack_updates["interventions"] = [source.intervention]
    if file:
        if not Path(file).is_file():
            raise UserError(f"experiment file {file!r} does not exist")
        from insiderbench.cli._models import provider_names

        try:
            experiment, warnings = load_experiment(file, providers=provider_names())
        except ExperimentFileError as ex:
            raise UserError(str(ex)) from None
    elif preset:
        try:
            experiment = load_preset(preset)
        except ValueError as ex:
            raise UserError(str(ex)) from None
    else:
        from insiderbench.providers import EMBEDDED_MODEL

        conditions = build_conditions(source.scenarios, **source.factors, pack=source.pack)
        first = conditions[0]
        if "pack" not in pack_updates and first.pack != "paper":
            pack_updates["pack"] = first.pack  # found by the scenario's name
        grid = Grid(
            scenarios=[c.scenario for c in conditions],
            goal_types=[first.goal_type],
            goal_values=[first.goal_value] if first.goal_value != "none" else [],
            urgencies=[first.urgency],
            extra_instructions=[first.extra_instructions],
            prod=[first.prod],
            eval_awareness=[first.eval_awareness],
        )
        experiment = Experiment(
            name="run",
            models=list(models) or [EMBEDDED_MODEL],
            samples=samples or DEFAULT_SAMPLES,
            grids=[grid],
            **pack_updates,
        )
        return experiment, warnings + model_warnings(experiment)
    updates: dict[str, Any] = dict(pack_updates)
    if models:
        from insiderbench.experiment import ModelSpec

        updates["models"] = [ModelSpec(model=m) for m in models]
    if samples is not None:
        updates["samples"] = samples
    final = experiment.model_copy(update=updates) if updates else experiment
    return final, warnings + model_warnings(final)


def model_warnings(experiment: Any) -> list[str]:
    """A warning per retired or deprecated model (the dated status in our data file)."""
    from insiderbench.data import status_warning

    return [w for m in experiment.models if (w := status_warning(m.model))]


def apply_agentic_options(experiment: Any, *, mode: str | None = None,
                          monitor: str | None = None, **settings: Any) -> Any:
    """The experiment with --mode, --monitor and the agentic settings applied.

    Agentic settings without any agentic condition would silently do nothing: an error.
    """
    from pydantic import ValidationError

    from insiderbench.agent import AgenticSettings

    if mode is not None:
        grids = [g.model_copy(update={"modes": None}) for g in experiment.grids]
        experiment = experiment.model_copy(update={"mode": mode, "grids": grids})
    if monitor is not None:
        grids = [g.model_copy(update={"monitors": None}) for g in experiment.grids]
        experiment = experiment.model_copy(update={"monitors": [monitor], "grids": grids})
        if monitor != "none" and not experiment.has_agentic():
            raise UserError("--monitor: only for agentic mode, and no condition runs in it "
                            "(add --mode agentic)")
    given = {k: v for k, v in settings.items() if v is not None}
    if given:
        try:
            agentic = AgenticSettings(**{**experiment.agentic.model_dump(), **given})
        except ValidationError as ex:
            raise UserError(ex.errors()[0]["msg"]) from None
        experiment = experiment.model_copy(update={"agentic": agentic})
        if not experiment.has_agentic():
            flags = ", ".join(f"--{k.replace('_', '-')}" for k in given)
            raise UserError(f"{flags}: only for agentic mode, and no condition runs in it "
                            "(add --mode agentic)")
    return experiment


def chosen_log_dir(log_dir: str | None, default: str) -> str:
    """--log-dir as given, or the default when not given; an empty one, or a file, is an
    error rather than a silent default. Object storage (s3://bucket/prefix) is taken when
    fsspec knows its protocol and its library is installed."""
    if log_dir is None:
        return default
    if not log_dir.strip():
        raise UserError("--log-dir is empty: give a directory, or leave the option out for "
                        f"the default ({default})")
    if is_remote(log_dir):
        return remote_log_dir(log_dir)
    if Path(log_dir).exists() and not Path(log_dir).is_dir():
        raise UserError(f"log dir {log_dir!r} is a file, not a directory")
    return log_dir


def remote_log_dir(log_dir: str) -> str:
    """An object-storage log dir whose protocol fsspec can open, without a trailing /."""
    import fsspec

    protocol, _, rest = log_dir.partition("://")
    try:
        fsspec.get_filesystem_class(protocol)
    except (ValueError, ImportError) as ex:
        raise UserError(f"log dir {log_dir!r}: {protocol}:// cannot be opened here "
                        f"({' '.join(str(ex).split())[:200]}); give a local directory or "
                        "s3://bucket/prefix") from None
    if not rest.strip("/"):
        raise UserError(f"log dir {log_dir!r} names no bucket: give {protocol}://bucket/prefix")
    return log_dir.rstrip("/")


def unreachable(log_dir: str | Path, ex: BaseException) -> UserError:
    """The one-line error for object storage that did not answer as it should."""
    from insiderbench._storage import storage_failure

    why = storage_failure(ex) or f"{type(ex).__name__}: {(str(ex).splitlines() or [''])[0]}"
    return UserError(f"log dir {str(log_dir)!r}: object storage failed ({why}); check "
                     "AWS_ENDPOINT_URL, the bucket and the credentials")


def writable_dir(path: str) -> Path | str:
    """Create the directory if needed and prove we can write there (on object storage:
    write and delete a small object). A local dir comes back as a Path, storage as text."""
    if is_remote(path):
        from insiderbench._storage import probe_writable

        try:
            probe_writable(path)
        except Exception as ex:  # noqa: BLE001  (whatever the store said, in one line)
            raise unreachable(path, ex) from None
        return path
    p = Path(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=p, prefix=".write-test-"):
            pass
    except OSError as ex:
        raise UserError(f"log dir {path!r} is not writable: {ex.strerror or ex}") from None
    return p


def existing_dir(log_dir: str | Path) -> bool:
    """Whether the log dir is there (a prefix holding objects, on object storage); a store
    that does not answer is a one-line error."""
    from insiderbench._storage import is_dir

    try:
        return is_dir(log_dir)
    except Exception as ex:
        if not is_remote(log_dir):
            raise
        raise unreachable(log_dir, ex) from None


def logs_in(log_dir: str) -> list[Any]:
    from insiderbench.experiment import latest_logs

    log_dir = remote_log_dir(log_dir) if is_remote(log_dir) else log_dir
    if not existing_dir(log_dir):
        raise UserError(f"log dir {log_dir!r} does not exist")
    problems: list[str] = []
    logs = latest_logs(log_dir, problems)
    for problem in problems:
        click.echo(f"Warning: not read: {problem}", err=True)
    if not logs:
        raise UserError(f"no .eval logs in {log_dir!r} (run an experiment there first)")
    return logs


def log_dir_with_logs(path: str) -> Path | str:
    """A directory that holds at least one Inspect log, or a one-line error (a local dir
    comes back as a Path, object storage as text)."""
    from inspect_ai.log import list_eval_logs

    p: Path | str = remote_log_dir(path) if is_remote(path) else Path(path)
    if not existing_dir(p):
        raise UserError(f"log dir {path!r} does not exist")
    if not list_eval_logs(str(p), recursive=True):
        raise UserError(f"log dir {path!r} holds no Inspect logs (.eval or .json)")
    return p


def paper_judge_covers(experiment: Any) -> None:
    """The paper's judge has classifiers for its three behaviours only: a one-line error for
    ours, naming the judge that has rubrics for them."""
    if experiment.judge != "paper":
        return
    ours = sorted({c.scenario for c in experiment.conditions()} - set(PAPER_SCENARIOS))
    if ours:
        raise UserError(f"the paper's judge has no classifier for {', '.join(ours)} (it covers "
                        f"{', '.join(PAPER_SCENARIOS)}): give --judge insiderbench")
