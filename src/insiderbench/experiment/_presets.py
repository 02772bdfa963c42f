"""Presets: one experiment file per published experiment of the paper, shipped as YAML."""

from __future__ import annotations

from importlib.resources import as_file, files

from insiderbench.experiment._experiment import Experiment
from insiderbench.experiment._load import load_experiment


def preset_names() -> list[str]:
    folder = files(__package__).joinpath("presets")
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_preset(name: str) -> Experiment:
    names = preset_names()
    if name not in names:
        raise ValueError(f"unknown preset {name!r} (valid: {', '.join(names)})")
    with as_file(files(__package__).joinpath("presets", f"{name}.yaml")) as path:
        experiment, _ = load_experiment(path)
    return experiment
