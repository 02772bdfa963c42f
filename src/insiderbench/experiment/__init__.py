"""Experiments: grids, experiment files (ours and the original format), presets, plans, runs."""

from typing import TYPE_CHECKING

from insiderbench._exports import lazy_exports

if TYPE_CHECKING:
    from insiderbench.experiment._experiment import (
        Experiment,
        ModelSpec,
    )
    from insiderbench.experiment._grid import (
        Grid,
        expand,
        full_grid,
    )
    from insiderbench.experiment._load import (
        ExperimentFileError,
        load_experiment,
    )
    from insiderbench.experiment._lock import (
        LogDirLocked,
        lock_log_dir,
    )
    from insiderbench.experiment._plan import (
        Plan,
        count_tokens,
        plan_experiment,
    )
    from insiderbench.experiment._presets import (
        load_preset,
        preset_names,
    )
    from insiderbench.experiment._run import (
        RunOutcome,
        experiment_tasks,
        generate_config,
        grader_for,
        latest_logs,
        lint_conditions,
        run_experiment,
    )
    from insiderbench.experiment._sequential import (
        planned_samples,
        run_epochs,
        sampling_text,
        sequential_task_args,
    )

__getattr__, __dir__, __all__ = lazy_exports(globals())
