"""The scenario a logged sample was made from, in whatever process reads it later.

A sample's metadata names its pack and its intervention; a pack loaded from a folder and an
intervention file are known to a process only once loaded. Re-scoring a log in a new process
(`insiderbench score`) must find them again, so the folder and the file recorded in the
metadata are loaded first.
"""

from __future__ import annotations

from collections.abc import Mapping

from insiderbench.scenarios._condition import Condition
from insiderbench.scenarios._intervention import get_intervention, load_intervention
from insiderbench.scenarios._lint import RenderError
from insiderbench.scenarios._pack import RenderedScenario, ScenarioPack, get_pack


def sample_pack(metadata: Mapping[str, object]) -> ScenarioPack:
    """The pack of a sample: by its recorded folder when it came from one, else by name."""
    folder = metadata.get("pack_dir")
    name = str(metadata.get("pack") or "paper")
    if isinstance(folder, str) and folder:
        try:
            return get_pack(name)
        except ValueError:
            return get_pack(folder)
    return get_pack(name)


def render_sample(metadata: Mapping[str, object]) -> RenderedScenario:
    """The rendered scenario of a sample, from its metadata alone."""
    path = metadata.get("intervention_file")
    name = metadata.get("intervention")
    if isinstance(path, str) and path and isinstance(name, str):
        try:
            get_intervention(name)
        except RenderError:  # not loaded in this process yet
            load_intervention(path)
    return sample_pack(metadata).render(Condition.from_metadata(dict(metadata)))
