"""Experiments: grids, experiment files (ours and the original format), presets, plans, runs."""

from insiderbench.experiment._experiment import Experiment, ModelSpec
from insiderbench.experiment._grid import Grid, expand, full_grid
from insiderbench.experiment._load import ExperimentFileError, load_experiment
from insiderbench.experiment._plan import Plan, count_tokens, plan_experiment
from insiderbench.experiment._presets import load_preset, preset_names
from insiderbench.experiment._run import (
    RunOutcome,
    experiment_tasks,
    generate_config,
    grader_for,
    latest_logs,
    lint_conditions,
    run_experiment,
)

__all__ = [
    "Experiment",
    "ExperimentFileError",
    "Grid",
    "ModelSpec",
    "Plan",
    "RunOutcome",
    "count_tokens",
    "expand",
    "experiment_tasks",
    "full_grid",
    "generate_config",
    "grader_for",
    "latest_logs",
    "lint_conditions",
    "load_experiment",
    "load_preset",
    "plan_experiment",
    "preset_names",
    "run_experiment",
]
