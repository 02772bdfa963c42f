"""Package exports imported on first use, so that importing a package costs nothing.

A package `__init__` lists its public names once, as imports under `if TYPE_CHECKING:` (so
type checkers, readers and the import-linter contract all see them), and hands its source
to `lazy_exports(globals())`. A name is imported from its private module the first time it is read:
`from insiderbench.agent import DEFAULT_MAX_STEPS` loads the settings, not Inspect, which
keeps `insiderbench --help` instant.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _declared(init_file: str) -> dict[str, str]:
    """name -> module of every `from M import name` under `if TYPE_CHECKING:` in the file."""
    tree = ast.parse(Path(init_file).read_text(encoding="utf-8"))
    found: dict[str, str] = {}
    for node in tree.body:
        if not (isinstance(node, ast.If) and isinstance(node.test, ast.Name)
                and node.test.id == "TYPE_CHECKING"):
            continue
        for statement in node.body:
            if isinstance(statement, ast.ImportFrom) and statement.module:
                for alias in statement.names:
                    found[alias.asname or alias.name] = statement.module
    return found


def lazy_exports(
    namespace: dict[str, Any],
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """`__getattr__`, `__dir__` and `__all__` for the package whose `globals()` are given."""
    package = namespace["__name__"]
    exports = _declared(namespace["__file__"])

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value  # later reads skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *exports})

    return __getattr__, __dir__, sorted(exports)
