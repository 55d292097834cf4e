"""benchmarks/compare.py on any corpus: the three corpus formats (benchmarks/corpora.py) and a run end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import compare
from benchmarks.common import command
from benchmarks.corpora import detect, read_corpus
from benchmarks.peers import run_tfidf
from benchmarks.scoring import score_present
from tests.conftest import TINY_DOCS, write_conll

TEXTS = [" ".join(t for t, _ in doc) for doc in TINY_DOCS]
KEYS = [["Neural networks", "keyphrase extraction"], ["graph theory", "optimization"],
        ["Optimization", "neural networks"], ["graph theory", "optimization"]]  # fmt: skip


def write_all_formats(tmp_path):
    """TINY_DOCS as CoNLL, JSONL and a folder of .txt/.key files; their paths."""
    conll = write_conll(tmp_path / "tiny.txt", TINY_DOCS)
    jsonl = tmp_path / "tiny.jsonl"
    jsonl.write_text("".join(json.dumps({"id": str(i), "text": t, "keyphrases": k}) + "\n"
                             for i, (t, k) in enumerate(zip(TEXTS, KEYS))), encoding="utf-8")  # fmt: skip
    folder = tmp_path / "docs"
    folder.mkdir()
    for i, (text, keys) in enumerate(zip(TEXTS, KEYS)):
        (folder / f"{i}.txt").write_text(text + "\n", encoding="utf-8")
        # one keyphrase a line, or several on a line split at ";"
        (folder / f"{i}.key").write_text("\n".join(keys) if i % 2 else "; ".join(keys) + "\n\n", encoding="utf-8")
    return conll, jsonl, folder


def test_the_three_formats_read_to_the_same_documents_and_keys(tmp_path):
    paths = write_all_formats(tmp_path)
    corpora = [read_corpus(p) for p in paths]
    assert [c.format for c in corpora] == ["conll", "jsonl", "folder"]
    for corpus in corpora:
        assert corpus.ids == ["0", "1", "2", "3"]
        assert [t.strip() for t in corpus.texts] == TEXTS
        assert corpus.keyphrases == KEYS
    conll = corpora[0]
    assert conll.tokens[0][:2] == ["Neural", "networks"] and conll.spans[0] == {(0, 1), (3, 4)}
    assert conll.offsets[0][:2] == [(0, 6), (7, 15)]
    assert corpora[1].spans is None and corpora[2].tokens is None
    head = conll.head(2)
    assert len(head) == 2 and head.spans == conll.spans[:2] and head.keyphrases == KEYS[:2]


def test_formats_are_told_by_the_path_or_forced(tmp_path):
    conll, jsonl, folder = write_all_formats(tmp_path)
    assert [detect(p) for p in (conll, jsonl, folder)] == ["conll", "jsonl", "folder"]
    renamed = jsonl.rename(tmp_path / "records.txt")  # a .txt is taken for CoNLL unless forced
    with pytest.raises(ValueError, match="token<TAB>tag"):
        read_corpus(renamed)
    assert read_corpus(renamed, "jsonl").keyphrases == KEYS


def test_conll_keys_undo_ptb_escapes_like_the_text(tmp_path):
    path = write_conll(tmp_path / "x.conll", [[("-LRB-", "B-Task"), ("a", "I-Task"), ("-RRB-", "I-Task"), ("b", "O")]])
    corpus = read_corpus(path)
    assert corpus.texts == ["( a ) b"] and corpus.keyphrases == [["( a )"]]


def test_bad_corpora_are_one_line_errors(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("text", encoding="utf-8")
    with pytest.raises(ValueError, match=r"\.txt without \.key: \['a.txt'\]"):
        read_corpus(folder)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "t", "keyphrases": "not a list"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="record 1: expected a 'text' string and a 'keyphrases' list"):
        read_corpus(bad)
    with pytest.raises(ValueError, match="no such file"):
        read_corpus(tmp_path / "missing.txt")


def test_checkpoints_are_named_by_stem_or_name_and_shown_without_local_paths(tmp_path):
    assert compare.checkpoint("runs/best-epoch3.ckpt") == ("best-epoch3", Path("runs/best-epoch3.ckpt"))
    assert compare.checkpoint("general=models/general.ckpt") == ("general", Path("models/general.ckpt"))
    shown = command("compare.py", ["--checkpoint", f"general={tmp_path}/general.ckpt", f"{tmp_path}/b.ckpt", "a=b"])
    assert shown == "python -m benchmarks.compare --checkpoint general=general.ckpt b.ckpt a=b"


@pytest.mark.parametrize("kind", ["conll", "jsonl"])
def test_compare_end_to_end_on_a_tiny_corpus(tmp_path, tiny_checkpoint, capsys, kind):
    pytest.importorskip("yake")
    conll, jsonl, _ = write_all_formats(tmp_path)
    out = tmp_path / "compare.md"
    corpus = conll if kind == "conll" else jsonl
    compare.main(["--corpus", str(corpus), "--checkpoint", f"tiny={tiny_checkpoint}", "--skip-keybert",
                  "--limit", "3", "--out", str(out)])  # fmt: skip
    text = out.read_text(encoding="utf-8")
    assert text.strip() == capsys.readouterr().out.strip()
    suffix = "txt" if kind == "conll" else "jsonl"
    assert text.splitlines()[0].endswith(f"/tiny.{suffix}, {kind})")
    assert "build `" in text and "--skip-keybert" in text
    rows = {line.split(" | ")[0][2:]: line.split(" | ")[1:] for line in text.splitlines() if line.startswith("| ")}
    header = rows.pop("tool / setting")
    assert header[:7] == ["docs", "F1@5 all", "F1@10 all", "F1@M all", "F1@5 present", "F1@10 present", "F1@M present"]
    assert ("strict span F1" in header) == (kind == "conll")
    names = [name for name in rows if not name.startswith("---")]
    assert names[0] == "keyword-lightning, tiny" and names[1].startswith("YAKE ")
    assert names[2] == "TF-IDF, stop-word-bounded 1-3-grams, IDF from the scored documents (top 20)"
    for name in names:
        cells = rows[name]
        assert cells[0] == "3"
        assert cells[1:4] == cells[4:7]  # every gold keyphrase of the tiny corpus is present
        assert all(0.0 <= float(c) <= 1.0 for c in cells[1:7])
    if kind == "conll":
        assert rows[names[1]][7] == "—" and 0.0 <= float(rows[names[0]][7]) <= 1.0
    assert "Gold: 3 documents, 6 unique keyphrases (per document, Porter-stemmed), 6 of them (100.0%)" in text
    assert "KeyBERT rows left out" in text
    # the TF-IDF row is what the scorer gives the ranker's own output on the same texts
    tfidf = run_tfidf(TEXTS[:3], TEXTS[:3])[0]
    s = score_present(tfidf.predicted, read_corpus(corpus).head(3).records(), stem=True)
    assert rows[names[2]][1:4] == [f"{s['all_' + m]:.3f}" for m in ("f1@5_stem", "f1@10_stem", "f1@M_stem")]
