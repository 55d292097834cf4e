"""No import cycle and no upward import between the modules of keyword_lightning/ and benchmarks/ (read with ast).

The layers are declared in ``LAYERS``, lowest first; nothing is imported to check them.

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

# The layers, lowest first: a module may import from its own layer and the layers below it, never
# from one above (module-level, function-local and `if TYPE_CHECKING:` imports alike). A module's
# layer is the longest entry that names it or a package above it. The root `keyword_lightning`
# (its __init__, the public API) is above the package's own modules and imports them lazily; no
# module inside the package imports the root (`test_nothing_in_the_package_imports_its_root`).
LAYERS: list[tuple[str, ...]] = [
    ("keyword_lightning.runtime", "keyword_lightning.runs"),  # threads, quiet, stdout; run folders, metrics.csv
    ("keyword_lightning.text",),  # tokenizers with character offsets, finding keyphrases
    ("keyword_lightning.documents",),  # PDF, HTML, DOCX, Markdown, text files to one text with pages
    ("keyword_lightning.tagging",),  # BIO/S-B-M-E-O and spans, Viterbi, the CRF, logits -> tags
    ("keyword_lightning.scoring",),  # ranked keyphrases (F1@k, stems), the torchmetrics
    ("keyword_lightning.data",),  # formats, readers, encoding, vocabulary, the DataModule
    ("keyword_lightning.inputs",),  # what the network reads: each input's data side and nn.Module
    ("keyword_lightning.model",),  # the network, its encoder, the LightningModule, the checkpoint format
    # what every command shares: the command table, one-line errors, --quiet, --ckpt_path best|last
    ("keyword_lightning.commands",),
    ("keyword_lightning.inference",),  # prediction records and formats, KeywordExtractor, fit-ranker
    ("keyword_lightning.training",),  # callbacks, the wandb logger, plots, the LightningCLI (fit, ... predict)
    (  # the entry points
        "keyword_lightning.serve",
        "keyword_lightning.corpus",  # extract: a corpus, locally or on Ray
        "keyword_lightning.cli",
        "keyword_lightning.prepare",
        "keyword_lightning.report",
    ),
    ("keyword_lightning",),  # the root __init__: JointRNN, KeywordDataModule, KeywordExtractor
    ("benchmarks",),
]
MAX_LOOSE_MODULES = 6  # modules at keyword_lightning/'s top level, __init__.py not counted
MAX_MODULE_LINES = 300  # keyword_lightning/ and benchmarks/ alike


def layer_of(name: str) -> int:
    """Index in ``LAYERS`` of the longest entry that is ``name`` or a package above it (ValueError: none)."""
    matches = [
        (len(entry), i)
        for i, entries in enumerate(LAYERS)
        for entry in entries
        if name == entry or name.startswith(entry + ".")
    ]
    if not matches:
        raise ValueError(f"{name} is in no layer: add it to LAYERS in tests/test_imports.py")
    return max(matches)[1]


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
    assert "benchmarks.scoring" in edges and "keyword_lightning.training.lightning_cli" in edges
    assert "keyword_lightning.model.module" in edges["keyword_lightning.training.lightning_cli"]  # `from x import y`
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


def test_keyword_lightning_has_no_import_cycle():
    edges = graph()
    found = [c for c in cycles(edges) if all(m.startswith("keyword_lightning") for m in c)]
    assert not found, "import cycle(s):\n" + "\n".join(describe(c, edges) for c in found)


def test_every_module_has_a_layer():
    unplaced = []
    for name in graph():
        try:
            layer_of(name)
        except ValueError:
            unplaced.append(name)
    assert not unplaced, f"modules in no layer of LAYERS: {unplaced}"


def test_layer_of_takes_the_longest_entry():
    assert layer_of("keyword_lightning.serve.api") > layer_of("keyword_lightning.training.callbacks")
    assert layer_of("keyword_lightning") > layer_of("keyword_lightning.cli")
    assert layer_of("keyword_lightning.runs") == 0
    with pytest.raises(ValueError, match="no layer"):
        layer_of("elsewhere.module")


def test_no_import_goes_up_a_layer():
    edges = graph()
    upward = sorted(
        f"{a} (layer {layer_of(a)}) -> {b} (layer {layer_of(b)})"
        for a, targets in edges.items()
        for b in targets
        if layer_of(b) > layer_of(a)
    )
    assert not upward, "imports from a higher layer (see LAYERS):\n" + "\n".join(upward)


def test_nothing_in_the_package_imports_its_root():
    """``import keyword_lightning`` / ``from keyword_lightning import X`` (X not a module) only from outside."""
    known = modules()
    found = []
    for name, path in known.items():
        if not name.startswith("keyword_lightning."):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                found += [f"{name}: import {a.name}" for a in node.names if a.name == "keyword_lightning"]
            elif isinstance(node, ast.ImportFrom):
                package = name if path.name == "__init__.py" else name.rpartition(".")[0]
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parent, base] if base else parent)
                found += [
                    f"{name}: from {base} import {a.name}"
                    for a in node.names
                    if base == "keyword_lightning" and f"{base}.{a.name}" not in known
                ]
    assert not found, "\n".join(found)


def test_at_most_six_loose_modules():
    loose = sorted(p.name for p in (ROOT / "keyword_lightning").glob("*.py") if p.name != "__init__.py")
    assert len(loose) <= MAX_LOOSE_MODULES, loose


def test_no_module_over_300_lines_in_the_package_or_the_benchmarks():
    long = {
        str(path.relative_to(ROOT)): n
        for path in modules().values()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert "benchmarks.scoring" in modules()  # the benchmarks are counted too
    assert not long, f"modules over {MAX_MODULE_LINES} lines (split them by concept): {long}"


def defined_names(path: Path) -> set[str]:
    """Names bound at a module's top level (functions, classes, assignments, imports), read without importing it."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8"), str(path)).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.If, ast.Try)):  # e.g. `if __package__ ...:` blocks
            names.update(defined_names_of(node))
    return names


def defined_names_of(block: ast.stmt) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(block):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            found.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            found.add(node.id)
    return found


def test_every_name_imported_from_the_repository_exists():
    """``from benchmarks.X import y`` / ``from keyword_lightning.X import y`` name something X defines.

    Caught statically, for scripts no test runs (a merge once left benchmarks/extract.py importing
    ``raw_texts`` from a module it had moved out of).
    """
    known = modules()
    importers = [*known.values(), *sorted((ROOT / "tests").glob("*.py"))]
    missing = []
    for path in importers:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if not (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in known):
                continue
            defined = defined_names(known[node.module])
            if "__getattr__" in defined:  # a lazy package: names come from its __getattr__
                continue
            for alias in node.names:
                if alias.name not in defined and f"{node.module}.{alias.name}" not in known:
                    missing.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.module}.{alias.name}")
    assert not missing, missing
