"""The architecture holds: layers without cycles, a CLI that starts without the heavy stack,
files a person can hold (ARCHITECTURE.md)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
MAX_LINES = 400
HEAVY = ("inspect_ai", "inspect_evals", "pandas", "matplotlib", "llama_cpp", "scipy")


def lint_imports(src: Path, config: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(exe), str(config), "--no-cache"], cwd=src.parent, capture_output=True, text=True, check=False,
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"}, timeout=300,
    )


def test_import_contracts_are_kept():
    result = lint_imports(SRC, ROOT / "pyproject.toml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        # classification reading the analysis layer, from inside a function
        ("classify/_checks.py", "def _planted():\n    import insiderbench.analysis\n",
         "Layers"),
        # the embedded provider reaching into the scenarios
        ("providers/_tool_emulation.py", "import insiderbench.scenarios\n", "stand apart"),
        # two modules of one package importing each other, one only for type checking
        ("scenarios/_emails.py",
         ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
          "    from insiderbench.scenarios._facts import ScenarioFacts\n"), "cycles"),
    ],
)
def test_a_planted_import_breaks_its_contract(tmp_path, module, line, contract):
    copy = tmp_path / "src"
    shutil.copytree(SRC / "insiderbench", copy / "insiderbench",
                    ignore=shutil.ignore_patterns("__pycache__"))
    with (copy / "insiderbench" / module).open("a", encoding="utf-8") as f:
        f.write("\n\n" + line)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    result = lint_imports(copy, tmp_path / "pyproject.toml")
    assert result.returncode != 0
    broken = [ln for ln in result.stdout.splitlines() if ln.endswith("BROKEN")]
    assert any(contract in ln for ln in broken), result.stdout


def test_no_import_cycle_between_any_two_modules():
    """Strongly connected components of the whole import graph, function-level imports and
    TYPE_CHECKING imports included: every one a single module."""
    sys.path.insert(0, str(SRC))
    try:
        graph = grimp.build_graph("insiderbench", cache_dir=None)
    finally:
        sys.path.remove(str(SRC))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.find_modules_directly_imported_by(v):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    assert len(graph.modules) > 50
    assert cycles == []


def test_source_files_stay_small():
    too_long = {
        str(p.relative_to(ROOT)): n
        for folder in ("src", "tests", "benchmarks", "scripts")
        for p in (ROOT / folder).rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert too_long == {}


def _modules_after(argv: list[str]) -> list[str]:
    code = (
        "import json, sys\n"
        "from insiderbench.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=False)
    return json.loads(result.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["presets"], ["run", "--help"], ["plan", "--help"], ["score", "--help"],
     ["prompts", "--help"], ["compare", "--help"]],
)
def test_help_and_presets_import_nothing_heavy(argv):
    loaded = _modules_after(argv)
    assert "insiderbench.cli._run" in loaded  # every command was registered
    assert [m for m in loaded if m.split(".")[0] in HEAVY] == []


@pytest.mark.parametrize("package", ["actions", "agent", "analysis", "classify", "environment",
                                     "experiment", "providers", "scenarios"])
def test_every_declared_export_resolves_and_nothing_else(package):
    import importlib

    module = importlib.import_module(f"insiderbench.{package}")
    assert len(module.__all__) >= 3
    for name in module.__all__:
        assert getattr(module, name) is not None
        assert name in dir(module)
    with pytest.raises(AttributeError, match="no attribute 'not_an_export'"):
        _ = module.not_an_export
