"""Loading experiment files: errors name the key, the file and the line."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from insiderbench.agent import AgenticSettings
from insiderbench.experiment._experiment import Experiment, ModelSpec
from insiderbench.experiment._grid import Grid
from insiderbench.experiment._original import OriginalFormatError, convert_original, is_original

KeyPath = tuple[str | int, ...]
# Values an experiment file may hold once aliases are expanded (the paper's full grid in the
# original format is a few hundred).
MAX_NODES = 20_000


class ExperimentFileError(ValueError):
    """An experiment file that cannot be used. The message is one line: file:line: key: what."""


def load_experiment(
    path: str | Path, providers: list[str] | None = None
) -> tuple[Experiment, list[str]]:
    """Read and validate an experiment file (ours, or the original repository's format).

    Returns the experiment and warnings (keys of an original-format file we cannot honour).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as ex:
        raise ExperimentFileError(f"{path}: cannot read: {ex.strerror or ex}") from None
    except UnicodeDecodeError as ex:
        line = path.read_bytes()[: ex.start].count(b"\n") + 1
        raise ExperimentFileError(
            f"{path}:{line}: not UTF-8 text (byte {ex.start}); an experiment file is YAML "
            "saved as UTF-8") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        lines = _line_map(node, path)  # before loading: refuses alias bombs and duplicates
        data = yaml.safe_load(text)
    except yaml.YAMLError as ex:
        mark = getattr(ex, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(ex, "problem", None) or str(ex).splitlines()[0]
        raise ExperimentFileError(f"{where}: invalid YAML: {problem}") from None
    except RecursionError:
        raise ExperimentFileError(f"{path}: nested too deeply to be an experiment file") from None
    if not isinstance(data, dict):
        raise ExperimentFileError(f"{path}:1: an experiment file is a mapping of keys")
    warnings: list[str] = []
    origin: dict[KeyPath, KeyPath] = {}
    if is_original(data):
        try:
            data, warnings, origin = convert_original(data, providers or [])
        except OriginalFormatError as ex:
            line = _lookup(ex.loc, lines)
            where = f"{path}:{line}" if line else str(path)
            raise ExperimentFileError(f"{where}: {_dotted(ex.loc) or '(top level)'}: {ex}") from None
        except ValueError as ex:
            raise ExperimentFileError(f"{path}: {ex}") from None
        data.setdefault("name", path.stem)
    data.setdefault("name", path.stem)
    try:
        experiment = Experiment.model_validate(data)
    except ValidationError as ex:
        raise ExperimentFileError(_describe(ex, path, lines, origin)) from None
    return experiment, warnings


def _describe(
    ex: ValidationError, path: Path, lines: dict[KeyPath, int], origin: dict[KeyPath, KeyPath]
) -> str:
    """Every problem pydantic found, in file order, on one line."""
    problems: dict[str, int] = {}
    for err in ex.errors():
        line, text = _problem(err, path, lines, origin)
        problems.setdefault(text, line or 0)
    return "; ".join(sorted(problems, key=lambda text: problems[text]))


def _problem(
    err: Any, path: Path, lines: dict[KeyPath, int], origin: dict[KeyPath, KeyPath]
) -> tuple[int | None, str]:
    loc: KeyPath = tuple(p for p in err["loc"] if isinstance(p, int) or _is_key(p))
    original = _translate(loc, origin)
    line = _lookup(original, lines)
    key = _dotted(original if origin else loc)
    message = err["msg"]
    if err["type"] == "extra_forbidden":
        model = _model_at(loc[:-1])
        valid = list(model.model_fields) if model else []
        close = difflib.get_close_matches(str(loc[-1]), valid, n=1) if loc else []
        hint = f"did you mean {close[0]!r}? " if close else ""
        message = f"unknown key ({hint}valid: {', '.join(valid)})" if valid else "unknown key"
    elif err["type"] == "missing":
        message = "required key is missing"
    where = f"{path}:{line}" if line else str(path)
    return line, f"{where}: {key or '(top level)'}: {message}"


def _is_key(part: object) -> bool:
    # pydantic adds union-branch names ("str", "ModelSpec", "literal[...]") to locations
    return isinstance(part, str) and part.isidentifier() and not part[0].isupper() and part not in (
        "str", "int", "bool", "float", "list", "dict", "function-after", "function-before"
    )


def _model_at(loc: KeyPath) -> type[BaseModel] | None:
    if not loc:
        return Experiment
    if loc[0] == "grids" and len(loc) == 2:
        return Grid
    if loc[0] == "models" and len(loc) == 2:
        return ModelSpec
    if loc == ("agentic",):
        return AgenticSettings
    return None


def _translate(loc: KeyPath, origin: dict[KeyPath, KeyPath]) -> KeyPath:
    for n in range(len(loc), 0, -1):
        if loc[:n] in origin:
            return origin[loc[:n]] + loc[n:]
    return loc


def _lookup(loc: KeyPath, lines: dict[KeyPath, int]) -> int | None:
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return None


def _dotted(loc: KeyPath) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _line_map(node: Any, file: Path) -> dict[KeyPath, int]:
    """Map each key path of the YAML document to its 1-based line.

    Refuses, as one-line errors, what YAML would accept silently or expensively: a key given
    twice in one mapping (the second would win) and aliases that expand past `MAX_NODES`
    nodes (a few hundred bytes of nested aliases can expand to gigabytes).
    """
    lines: dict[KeyPath, int] = {}
    budget = [MAX_NODES]

    def walk(node: Any, path: KeyPath) -> None:
        budget[0] -= 1
        if budget[0] < 0:
            raise ExperimentFileError(
                f"{file}:{node.start_mark.line + 1}: aliases expand to more than {MAX_NODES:,} "
                "values; an experiment file needs far fewer"
            )
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            seen: dict[object, int] = {}
            for key_node, value_node in node.value:
                line = key_node.start_mark.line + 1
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else id(key_node)
                if key in seen:
                    raise ExperimentFileError(
                        f"{file}:{line}: {_dotted((*path, key_node.value)) or '(top level)'}: "
                        f"duplicate key (first given on line {seen[key]}); give each key once"
                    )
                seen[key] = line
                child = (*path, key_node.value)
                walk(value_node, child)
                lines[child] = line
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, i))

    if node is not None:
        walk(node, ())
    return lines
