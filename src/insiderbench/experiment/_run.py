"""Running an experiment through `inspect_ai.eval_set`, so a rerun resumes where it stopped."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inspect_ai import Task, task_with
from inspect_ai.log import EvalLog, list_eval_logs, read_eval_log
from inspect_ai.model import GenerateConfig

from insiderbench._storage import is_remote
from insiderbench.agent import monitor_role
from insiderbench.classify import DEFAULT_AUDIT_FRACTION, grader_roles
from insiderbench.experiment._budget import Spend, spend_tracked, tracker_for
from insiderbench.experiment._experiment import (
    DEFAULT_ATTEMPT_TIMEOUT,
    DEFAULT_TIMEOUT,
    Experiment,
    ModelSpec,
)
from insiderbench.experiment._interrupt import (
    completion_message_held,
    interrupted_by,
    print_held,
    sigterm_as_interrupt,
)
from insiderbench.experiment._lock import lock_log_dir
from insiderbench.experiment._replies import clear_reply_cache, reply_cache
from insiderbench.experiment._sequential import run_epochs, sequential_task_args
from insiderbench.scenarios import get_pack
from insiderbench.task import agentic_misalignment


@dataclass(frozen=True)
class RunOutcome:
    log_dir: Path | str  # a str for object storage (s3://...)
    logs: list[EvalLog]
    success: bool
    interrupted: int | None = None  # the signal that stopped the run (SIGINT, SIGTERM)
    spend: Spend | None = None  # what the log dir's runs have spent, when tracked (`_budget`)


def generate_config(experiment: Experiment, spec: ModelSpec) -> GenerateConfig:
    """One model's generation settings: its own entry first, then the experiment's."""
    temperature: float | None = experiment.temperature
    if spec.temperature is not None:
        temperature = spec.temperature
    elif not spec.sends_temperature:
        temperature = None
    batch = spec.batch if spec.batch is not None else (experiment.batch or None)
    cache_prompt = spec.cache_prompt if spec.cache_prompt is not None else experiment.cache_prompt
    return GenerateConfig(
        temperature=temperature,
        max_tokens=spec.max_tokens or experiment.max_tokens,
        reasoning_effort=spec.reasoning_effort,  # type: ignore[arg-type]
        reasoning_tokens=spec.reasoning_tokens,
        max_connections=spec.max_connections or experiment.max_connections,
        max_retries=experiment.max_retries,
        timeout=_limit(experiment.timeout, DEFAULT_TIMEOUT, spec),
        attempt_timeout=_limit(experiment.attempt_timeout, DEFAULT_ATTEMPT_TIMEOUT, spec),
        batch=batch,
        cache_prompt=cache_prompt,
    )


def grader_for(model: str) -> Any:
    """The judge's model: temperature 0, its own connection pool.

    Its config is part of the task's identity to eval_set (model roles are hashed): anything
    added here would make a rerun into an existing log dir generate every sample again.
    """
    from inspect_ai.model import get_model

    return get_model(model, config=GenerateConfig(temperature=0.0), memoize=False)


LOCAL_PROVIDERS = ("embedded",)


def _limit(value: int | None, default: int, spec: ModelSpec) -> int | None:
    """A time limit: the one given, else the default for remote providers, none for local ones."""
    if value is not None:
        return value
    return None if spec.model.split("/", 1)[0] in LOCAL_PROVIDERS else default


def lint_conditions(experiment: Experiment) -> None:
    """Render every condition now, so a defective prompt fails before anything is paid for."""
    for condition in experiment.conditions():
        get_pack(condition.pack).render(condition)


def pack_dirs(experiment: Experiment) -> list[str]:
    """The folders of the data packs the experiment uses that we do not ship."""
    from insiderbench.scenarios import pack_folder
    from insiderbench.scenarios._pack import SHIPPED_PACKS_DIR

    folders = (pack_folder(get_pack(n)) for n in dict.fromkeys(
        c.pack for c in experiment.conditions()))
    return [str(f) for f in folders if f is not None and f.parent != SHIPPED_PACKS_DIR]


def intervention_files(experiment: Experiment) -> list[str]:
    """The files of the interventions the experiment's conditions name."""
    from insiderbench.scenarios import get_intervention

    names = dict.fromkeys(c.intervention for c in experiment.conditions() if c.intervention)
    return [get_intervention(n).path for n in names]


def experiment_tasks(experiment: Experiment,
                     shards: list[list[str]] | None = None) -> list[Task]:
    """One task per model under test, holding all the experiment's conditions (or, given
    `shards`, one task per model and shard of condition ids: see `_workers`)."""
    from inspect_ai.model import get_model

    ids = [c.condition_id for c in experiment.conditions()]
    # Only a judged run passes `judge`, so unjudged runs keep their task identity (resume);
    # likewise several graders and a non-default audit share are passed only when used.
    judged: dict[str, Any] = {"judge": experiment.judge} if experiment.graders else {}
    if len(experiment.graders) > 1:
        judged["graders"] = len(experiment.graders)
    if experiment.graders and experiment.audit_fraction != DEFAULT_AUDIT_FRACTION:
        judged["audit_fraction"] = experiment.audit_fraction
    # Likewise only runs with agentic conditions pass the agentic settings.
    agentic = experiment.agentic.task_args() if experiment.has_agentic() else {}
    # Only runs on a data pack from a folder pass it (the ids name the packs).
    folders = pack_dirs(experiment)
    if folders:
        agentic["pack_dirs"] = folders
    files = intervention_files(experiment)
    if files:  # likewise the interventions' files
        agentic["intervention_files"] = files
    tasks = []
    for spec in experiment.models:
        config = generate_config(experiment, spec)
        for chunk in shards or [ids]:
            base = agentic_misalignment(
                conditions=chunk,
                seed=experiment.seed,
                temperature=config.temperature,
                max_tokens=config.max_tokens,
                **judged,
                **agentic,
                **sequential_task_args(experiment),
            )
            model = get_model(spec.model, config=config, memoize=False, **spec.model_args)
            tasks.append(task_with(base, model=model, config=config))
    return tasks


def eval_set_args(experiment: Experiment) -> dict[str, Any]:
    """What every `eval_set` call of a run passes, in one process or in each worker: retries,
    the graders' roles, and the settings that let a rerun resume."""
    args: dict[str, Any] = {
        "retry_attempts": experiment.retry_attempts,
        "retry_on_error": experiment.retry_on_error,
        # Every sample runs even when some fail; the task is then marked failed so that the
        # next pass (or the next invocation) retries just the failed samples.
        "fail_on_error": True,
        "continue_on_fail": True,
        "log_dir_allow_dirty": True,
        "log_realtime": True,
    }
    roles: dict[str, Any] = {}
    if experiment.graders:
        roles.update({
            role: grader_for(model)
            for role, model in zip(grader_roles(len(experiment.graders)), experiment.graders,
                                   strict=True)
        })
    # Each LLM action monitor's model, under its own role (only runs that have one bind it,
    # so other runs keep their task identity).
    roles.update({monitor_role(level): grader_for(model)
                  for level, model in experiment.monitor_models().items()})
    if roles:
        args["model_roles"] = roles
    return args


def run_experiment(
    experiment: Experiment,
    log_dir: str | Path,
    *,
    display: str | None = None,
) -> RunOutcome:
    """Run (or resume) the experiment into `log_dir`.

    Completed samples of an interrupted run are reused from its logs, and samples that were in
    flight at a crash are recovered from Inspect's realtime sample buffer, so rerunning the
    same command never pays twice for a finished sample. A sample whose target reply had
    arrived but which was still being graded is answered from the reply cache kept in the
    log dir (`_replies`). The log dir is locked for the run (`_lock`): a second run into it
    raises `LogDirLocked`.
    """
    from inspect_ai import eval_set

    lint_conditions(experiment)
    tasks = experiment_tasks(experiment)
    kwargs = eval_set_args(experiment)
    if display is not None:
        kwargs["display"] = display
    with (lock_log_dir(log_dir), reply_cache(log_dir), sigterm_as_interrupt() as received,
          completion_message_held() as held,
          spend_tracked(tracker_for(experiment, log_dir)) as tracker):
        success, logs = eval_set(tasks, log_dir=str(log_dir), epochs=run_epochs(experiment),
                                 max_tasks=max(1, len(tasks)), **kwargs)
        interrupted = interrupted_by(received, len(tasks), list(logs))
        if interrupted is not None:
            # Inspect returns no logs after a Ctrl-C: the ones it wrote hold what was done.
            models = {spec.model for spec in experiment.models}
            logs = [log for log in latest_logs(log_dir) if log.eval.model in models]
            success = False
        elif success:
            clear_reply_cache(log_dir)  # every reply is in the logs now
    if interrupted is None:
        print_held(held)
    spend = None if tracker is None else tracker.spend
    where = str(log_dir) if is_remote(log_dir) else Path(log_dir)
    return RunOutcome(where, list(logs), bool(success), interrupted, spend)


def task_key(log: EvalLog) -> str:
    """Identity of a task across retries: Inspect's own eval-set identifier when available."""
    try:
        from inspect_ai._eval.evalset import task_identifier

        return str(task_identifier(log, None))
    # Older or newer Inspect: fall back to what distinguishes our tasks.
    except Exception:  # noqa: BLE001
        return f"{log.eval.task}/{log.eval.model}/{sorted(log.eval.task_args.items())}"


def latest_logs(log_dir: str | Path, problems: list[str] | None = None) -> list[EvalLog]:
    """The newest log of each task in a directory (attempts a retry superseded are ignored).

    A log whose header cannot be read (a file cut short, not an Inspect log) is left out and
    named in `problems`, so callers can say what they did not read.
    """
    newest: dict[str, tuple[tuple[str, float], EvalLog]] = {}
    for info in list_eval_logs(str(log_dir), recursive=True):
        try:
            header = read_eval_log(info, header_only=True)
        except Exception as ex:  # noqa: BLE001  (reported to the caller, never silently)
            if problems is not None:
                first = (str(ex).splitlines() or [""])[0]
                problems.append(f"{Path(info.name).name}: unreadable log header "
                                f"({type(ex).__name__}: {first})")
            continue
        key = task_key(header)
        # `created` has whole seconds: a retry can start in the second its failed attempt
        # did. The later-written file is then the newer attempt, as Inspect's eval_set has it.
        order = (header.eval.created, float(info.mtime or 0.0))
        current = newest.get(key)
        if current is None or order > current[0]:
            newest[key] = (order, header)
    return sorted((log for _, log in newest.values()),
                  key=lambda log: (log.eval.model, log.eval.created))
