"""benchmarks/files.py's logic on a tiny folder: every good file once, every bad one in errors.jsonl, the report."""

from __future__ import annotations

import argparse

from benchmarks.files import build_folder, check_output, per_kind, report, run_extract
from tests.serving import make_tiny_checkpoint
from tests.test_documents import paragraphs


def test_the_files_benchmark_on_a_tiny_folder(tmp_path):
    ckpt = make_tiny_checkpoint(tmp_path)
    folder = tmp_path / "corpus"
    good, bad = build_folder(folder, 20, paragraphs(8, seed=12))
    assert len(good) == 19 and len(bad) == 1 and set(good.values()) == {"pdf", "html", "docx", "markdown", "text"}
    wall, manifest = run_extract(ckpt, folder, tmp_path / "out", workers=1)
    assert check_output(tmp_path / "out", good, bad) == []
    assert manifest["documents"] == len(good) and manifest["errors"] == len(bad)
    kinds = per_kind(folder, good, ckpt)
    assert sum(k["files"] for k in kinds.values()) == len(good) and all(k["reading"] > 0 for k in kinds.values())
    args = argparse.Namespace(argv=["--files", "20"], workers=1)
    text = report(args, good, bad, wall, manifest, kinds, [], "tiny")
    assert "| pdf | 4 |" in text and "every bad one in `errors.jsonl`: yes" in text
    (tmp_path / "out" / "errors.jsonl").write_text("")  # a bad file missing from the errors is found
    assert len(check_output(tmp_path / "out", good, bad)) == len(bad)
