"""benchmarks/ is a package: each script runs as ``python -m benchmarks.NAME``, with no import-path edits.

Scripts (modules with a ``__main__`` block) share what they need through the helper modules
(``common.py``, ``project.py``, ``synthetic.py``, ...), never through another script's functions,
and no module imports a private (``_name``) name of another. Read with ast; one script is run.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.conftest import ROOT, run_cli

BENCHMARKS = ROOT / "benchmarks"
HANDOVER = {"main"}  # a script may hand its command line to another's main (accuracy --recipes csl)


def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def is_script(path: Path) -> bool:
    """A module with an ``if __name__ == "__main__":`` block."""
    return any(isinstance(node, ast.If) and "__main__" in ast.unparse(node.test) for node in tree(path).body)


SCRIPTS = {p.stem for p in BENCHMARKS.glob("*.py") if is_script(p)}


def test_benchmarks_is_a_package_with_scripts():
    assert (BENCHMARKS / "__init__.py").is_file()
    assert {"compare", "accuracy", "scale", "stale"} <= SCRIPTS
    assert "common" not in SCRIPTS and "project" not in SCRIPTS


def test_no_import_path_edits_and_no_late_imports():
    found = []
    for path in sorted(BENCHMARKS.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        found += [f"{path.name}: sys.path" for _ in re.finditer(r"\bsys\.path\b", text)]
        found += [f"{path.name}: E402" for _ in re.finditer(r"noqa: E402", text)]
    assert not found, found


def test_no_script_imports_another_scripts_functions_or_private_names():
    found = []
    for path in sorted(BENCHMARKS.glob("*.py")):
        for node in ast.walk(tree(path)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("benchmarks"):
                source = (node.module or "").removeprefix("benchmarks").lstrip(".")
                for alias in node.names:
                    target = source or alias.name  # `from benchmarks import csl`: the module csl
                    if alias.name.startswith("_"):
                        found.append(f"{path.name}: {node.module}.{alias.name} is private")
                    elif source in SCRIPTS:
                        found.append(f"{path.name}: imports {alias.name} from the script {source}")
                    elif not source and target in SCRIPTS:
                        used = {
                            n.attr
                            for n in ast.walk(tree(path))
                            if isinstance(n, ast.Attribute) and ast.unparse(n.value) == (alias.asname or alias.name)
                        }
                        found += [f"{path.name}: uses {target}.{u}" for u in sorted(used - HANDOVER)]
    assert not found, found


def test_a_script_runs_as_a_module(tmp_path):
    proc = run_cli(["--help"], ROOT, module="benchmarks.compare")
    assert "usage:" in proc.stdout and "--checkpoint" in proc.stdout


def benchmarks_block(layout: str) -> str:
    """The lines of docs/layout.md's tree that describe ``benchmarks/`` (up to the next top-level entry)."""
    lines = layout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("benchmarks/"))
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith(" "))
    return "\n".join(lines[start:end])


def test_every_benchmark_file_is_in_the_layout():
    block = benchmarks_block((ROOT / "docs" / "layout.md").read_text(encoding="utf-8"))
    named = set(re.findall(r"\b[\w]+\.(?:py|sh)\b", block))
    files = {p.name for p in BENCHMARKS.iterdir() if p.suffix in (".py", ".sh") and p.name != "__init__.py"}
    assert files - named == set(), f"docs/layout.md does not name: {sorted(files - named)}"
    assert named - files == set(), f"docs/layout.md names what is not there: {sorted(named - files)}"
