"""No import cycle between the modules of keyword_lightning/ and benchmarks/ (read with ast, nothing imported).

Every import counts: top-level, function-local and ``if TYPE_CHECKING:`` ones alike. ``from a.b import c``
is an edge to the module ``a.b.c`` when that is a module, else to ``a.b``; importing ``a.b.c`` also runs the
package ``a.b`` (its ``__init__.py``), so that is an edge too, unless the importer is inside ``a.b`` itself.
A cycle is a strongly connected component of more than one module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGES = ("keyword_lightning", "benchmarks")

# The cycles keyword_lightning/ has today (issue 23: to be removed). Each entry is one strongly
# connected component; a new cycle, or a module joining one of these, fails the test, and an
# entry that is no longer a cycle must be deleted here.
KNOWN_CYCLES: list[frozenset[str]] = [
    # One component, closed by the packages' lazy __getattr__ imports (data/__init__.py -> data.datamodule,
    # model/__init__.py -> model.module) and one TYPE_CHECKING import: data.encoder_cache -> model.encoder
    # (TYPE_CHECKING; runs model/__init__) -> model.module -> data.vocabulary/data.batch (runs data/__init__)
    # -> data.datamodule -> data.encoder_cache. Also model.module -> checkpoint -> data.vocabulary,
    # decoding -> model.crf (TYPE_CHECKING), model.network -> model.layers -> data.batch.
    frozenset(
        {
            "keyword_lightning.checkpoint",
            "keyword_lightning.data",
            "keyword_lightning.data.datamodule",
            "keyword_lightning.data.encoder_cache",
            "keyword_lightning.decoding",
            "keyword_lightning.model",
            "keyword_lightning.model.layers",
            "keyword_lightning.model.module",
            "keyword_lightning.model.network",
        }
    ),
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The modules of ``known`` that ``path`` imports, wherever in the file the import stands."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package, up level - 1 packages
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `import a.b.c` of a non-module name: its module
                target = target.rpartition(".")[0]
            parts = target.split(".")
            for depth in range(1, len(parts) + 1):  # the module and the packages above it that it runs
                above = ".".join(parts[:depth])
                if above in known and above != name and not (name + ".").startswith(above + "."):
                    found.add(above)
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(name, path, known) for name, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return found


def describe(component: frozenset[str], edges: dict[str, set[str]]) -> str:
    inside = sorted(f"{a} -> {b}" for a in component for b in edges[a] if b in component)
    return "{" + ", ".join(sorted(component)) + "}: " + "; ".join(inside)


def test_the_walker_sees_every_kind_of_import():
    edges = graph()
    assert "benchmarks.scoring" in edges and "keyword_lightning.cli" in edges
    assert "keyword_lightning.model.module" in edges["keyword_lightning.cli"]  # top-level `from x import y`
    assert "benchmarks.scoring" in edges["benchmarks.accuracy"]


def test_a_cycle_is_found_through_local_and_type_checking_imports(tmp_path):
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(edges) == [frozenset({"a", "b", "c"})]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_benchmarks_have_no_import_cycle():
    edges = graph()
    found = [c for c in cycles(edges) if any(m.startswith("benchmarks") for m in c)]
    assert not found, "\n".join(describe(c, edges) for c in found)


def test_scoring_imports_nothing_from_the_package():
    edges = graph()
    assert not {m for m in edges["benchmarks.scoring"] if m.startswith("keyword_lightning")}


def test_keyword_lightning_has_no_new_import_cycle():
    edges = graph()
    found = [c for c in cycles(edges) if all(m.startswith("keyword_lightning") for m in c)]
    new = [c for c in found if not any(c <= known for known in KNOWN_CYCLES)]
    assert not new, "new import cycle(s):\n" + "\n".join(describe(c, edges) for c in new)


@pytest.mark.parametrize("known", KNOWN_CYCLES, ids=lambda c: "+".join(sorted(c)))
def test_each_known_cycle_is_still_there(known):
    present = [c for c in cycles(graph()) if c & known]
    assert any(c == known for c in present), (
        f"the known cycle {sorted(known)} is gone or changed (now {[sorted(c) for c in present]}): "
        "update KNOWN_CYCLES in tests/test_imports.py"
    )
