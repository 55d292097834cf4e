"""No measured timing or speed ratio in keyword_lightning/'s docstrings and comments.

A figure belongs in the results file that measured it (``benchmarks/results/``; those measured by
hand in ``NOTES.md``); a docstring keeps the reason in words and says where the figure is, e.g.
"(measured: benchmarks/results/NOTES.md#model-rnn)". Docstrings (any string standing alone as a
statement) are read with ast, comments with tokenize; code and the strings it uses are not checked.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

from tests.conftest import ROOT

# A duration (198 ms, 1 s, 4.2 minutes), a ratio (12x, 4x faster, 3 times slower) or a rate (300 docs/s).
# Not a figure: 1e-5, 5x5, 2-core, 64 MiB, a version range (wandb 0.2x+), nor a setting such as a timeout.
TIMING = re.compile(
    r"(?<![\w.])\d[\d,]*(?:\.\d+)?\s?(?:ns|µs|us|ms|s|secs?|seconds?|mins?|minutes?|hours?)\b"
    r"|(?<![\w.])\d+(?:\.\d+)?\s?times\s+(?:faster|slower)"
    r"|(?<![\w.])\d+(?:\.\d+)?x\b(?!\+)"
    r"|(?<![\w.])\d[\d,]*(?:\.\d+)?\s?(?:docs|documents|tokens|requests|texts)/s\b"
)
SETTING = re.compile(r"(?:timeout|deadline|interval|sleep|wait)\w*\W+(?:\w+\W+){0,2}$", re.IGNORECASE)
POINTER = re.compile(r"measured:\s+(benchmarks/results/[\w.-]+\.md)(?:#([\w-]+))?")


def prose(path: Path) -> list[tuple[int, str]]:
    """``(line, text)`` of every docstring line and comment in ``path``."""
    source = path.read_text(encoding="utf-8")
    found = []
    for node in ast.walk(ast.parse(source, str(path))):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            found += [(node.lineno + i, line) for i, line in enumerate(node.value.value.splitlines())]
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            found.append((token.start[0], token.string))
    return found


def figures(text: str) -> list[str]:
    """The timings and speed ratios ``text`` states, settings (a timeout's seconds) left out."""
    return [m.group(0) for m in TIMING.finditer(text) if not SETTING.search(text[: m.start()])]


def anchors(markdown: str) -> set[str]:
    """The anchors a Markdown file offers: ``<a id="...">`` and its headings' GitHub slugs."""
    ids = set(re.findall(r'<a id="([\w-]+)"', markdown))
    for heading in re.findall(r"^#+\s+(.*)$", markdown, re.MULTILINE):
        ids.add(re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-"))
    return ids


def package_files() -> list[Path]:
    return sorted((ROOT / "keyword_lightning").rglob("*.py"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a batch of 32: 198 ms against 130 ms", ["198 ms", "130 ms"]),
        ("(measured 2x slower for a uni RNN, 12x for a BiLSTM)", ["2x", "12x"]),
        ("about 1 s per 300,000 characters", ["1 s"]),
        ("about 4 times faster; 320.6 docs/s; 4.2 minutes", ["4 times faster", "320.6 docs/s", "4.2 minutes"]),
        ("lr 1e-5, 5x5 transitions, a 2-core CPU, 64 MiB, wandb 0.2x+, 11% pads", []),
        ("waits --timeout 60 s for a worker; a batch_timeout of 0.05 s", []),
    ],
)
def test_figures_finds_timings_and_ratios_only(text, expected):
    assert figures(text) == expected


def test_no_timing_figures_in_the_package_docstrings_or_comments():
    found = [
        f"{path.relative_to(ROOT)}:{line}: {', '.join(hits)}"
        for path in package_files()
        for line, text in prose(path)
        if (hits := figures(text))
    ]
    assert not found, (
        "timings in docstrings/comments: move each to its results file (benchmarks/results/; by hand: "
        "NOTES.md) and point there, e.g. (measured: benchmarks/results/NOTES.md#model-rnn):\n" + "\n".join(found)
    )


def test_every_measured_pointer_names_a_results_file_and_anchor():
    pointers = [
        (path, source.count("\n", 0, match.start()) + 1, match)
        for path in package_files()
        for source in [path.read_text(encoding="utf-8")]
        for match in POINTER.finditer(source)
    ]
    assert pointers  # the docstrings above point somewhere
    broken = []
    for path, line, match in pointers:
        target = ROOT / match.group(1)
        if not target.is_file():
            broken.append(f"{path.relative_to(ROOT)}:{line}: no file {match.group(1)}")
        elif match.group(2) and match.group(2) not in anchors(target.read_text(encoding="utf-8")):
            broken.append(f"{path.relative_to(ROOT)}:{line}: no anchor #{match.group(2)} in {match.group(1)}")
    assert not broken, "\n".join(broken)
