"""``keyword-lightning keyphrases``: with the shipped model and nothing trained, on a file, on stdin, on an empty
file (one line, exit 0), on a binary file and a missing one (one-line errors), as a table and as JSON lines."""

from __future__ import annotations

import json

from keyword_lightning.model import shipped
from tests.conftest import run_cli

STORY = (
    "Coral reefs in the Pacific are bleaching as ocean temperatures rise.\n"
    "Marine biologists measured coral cover on the Great Barrier Reef for ten years. Heat waves killed half "
    "of the shallow corals, and reef fish that feed on coral declined too."
)


def test_a_file_and_stdin_give_the_same_ranked_keyphrases(tmp_path):
    (tmp_path / "story.md").write_text(f"# Reefs\n\n{STORY}\n", encoding="utf-8")
    (tmp_path / "story.txt").write_text(STORY, encoding="utf-8")
    done = run_cli(["keyphrases", "story.txt", "--format", "jsonl", "--top_k", "5"], tmp_path)
    (doc,) = [json.loads(line) for line in done.stdout.splitlines()]
    assert doc["id"] == "story.txt" and doc["source"]["kind"] == "text" and 1 <= len(doc["keyphrases"]) <= 5
    assert all(STORY[a:b] for k in doc["keyphrases"] for a, b in k["occurrences"])
    piped = run_cli(["keyphrases", "-", "--format", "jsonl", "--top-k", "5"], tmp_path, input=STORY)
    (from_stdin,) = [json.loads(line) for line in piped.stdout.splitlines()]
    assert from_stdin["id"] == "-" and from_stdin["keyphrases"] == doc["keyphrases"]
    table = run_cli(["keyphrases", "story.md"], tmp_path).stdout.splitlines()  # Markdown: its markup out
    assert table[0].startswith("== story.md (") and len(table) >= 2 and "#" not in "".join(table[1:])
    assert all(line.startswith("  0.") or line.startswith("  1.") for line in table[1:])


def test_an_empty_file_is_one_line_and_exit_0(tmp_path):
    (tmp_path / "empty.txt").write_text("  \n", encoding="utf-8")
    done = run_cli(["keyphrases", "empty.txt"], tmp_path)
    assert done.stdout.splitlines() == ["== empty.txt (0 keyphrases)"]
    assert json.loads(run_cli(["keyphrases", "empty.txt", "--format", "jsonl"], tmp_path).stdout)["keyphrases"] == []


def test_unreadable_files_are_one_line_each_and_the_rest_go_on(tmp_path):
    (tmp_path / "blob.bin").write_bytes(bytes(range(256)) * 20)
    (tmp_path / "story.txt").write_text(STORY, encoding="utf-8")
    done = run_cli(["keyphrases", "blob.bin"], tmp_path, check=False)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().startswith("keyword-lightning keyphrases: error: blob.bin:")
    assert len(done.stderr.strip().splitlines()) == 1
    both = run_cli(["keyphrases", "blob.bin", "story.txt", "--quiet"], tmp_path, check=False)
    assert both.returncode == 2 and both.stdout.startswith("== story.txt (") and len(both.stderr.splitlines()) == 1
    missing = run_cli(["keyphrases", "nope.pdf"], tmp_path, check=False)
    assert missing.returncode == 2 and missing.stderr.strip().endswith("nope.pdf: no such file or folder")
    bad = run_cli(["keyphrases", "story.txt", "--top_k", "-1"], tmp_path, check=False)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


def test_another_checkpoint_and_the_shipped_one_by_name(tiny_checkpoint, tmp_path):
    (tmp_path / "story.txt").write_text(STORY, encoding="utf-8")
    own = run_cli(["keyphrases", "story.txt", "--ckpt_path", tiny_checkpoint, "--format", "jsonl"], tmp_path)
    assert json.loads(own.stdout)["id"] == "story.txt"
    named = run_cli(["keyphrases", "story.txt", "--ckpt_path", "pretrained", "--format", "jsonl"], tmp_path)
    default = run_cli(["keyphrases", "story.txt", "--format", "jsonl"], tmp_path)
    assert named.stdout == default.stdout and shipped.GENERAL.name in default.stderr
