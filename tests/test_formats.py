import json

import numpy as np
import pytest

from keyword_lightning.data import formats as fm
from keyword_lightning.data.embeddings import build_embeddings, load_embeddings, read_word_vectors
from tests.conftest import TINY_DOCS, write_conll


def test_read_conll_any_type_and_edge_cases(tmp_path):
    f = tmp_path / "a.txt"
    # BOM, CRLF, typed tags, an I- after O, no final blank line.
    f.write_bytes("\ufeffDeep\tB-Task\r\nnets\tI-Task\r\nrun\tO\r\nfast\tI-Process\r\n\r\nx\tO".encode())
    docs = fm.read_conll(f)
    assert [d.tokens for d in docs] == [["Deep", "nets", "run", "fast"], ["x"]]
    assert docs[0].codes == [1, 2, 0, 1]


def test_read_jsonl_marks_every_occurrence_case_insensitively(tmp_path):
    f = tmp_path / "d.jsonl"
    rec = {
        "id": "d1",
        "text": "Graph theory. We use graph theory and Neural Networks.",
        "keyphrases": ["graph theory", "neural networks"],
    }
    f.write_text(json.dumps(rec) + "\n\n", encoding="utf-8")
    (doc,) = fm.read_jsonl(f)
    from keyword_lightning.tagging import bio_codes_to_spans

    phrases = [" ".join(doc.tokens[s : e + 1]) for s, e in bio_codes_to_spans(doc.codes)]
    assert phrases == ["Graph theory", "graph theory", "Neural Networks"]
    assert doc.id == "d1"


def test_dataset_roundtrip(tmp_path):
    f = write_conll(tmp_path / "t.txt", TINY_DOCS)
    docs = fm.read_conll(f)
    fm.save_pickle(fm.build_dataset({"train": docs, "test": docs[:1]}), tmp_path / "ds.pkl")
    ds = fm.load_dataset(tmp_path / "ds.pkl")
    assert len(ds.splits["train"]) == len(TINY_DOCS)
    for i, doc in enumerate(docs):
        assert ds.document("train", i) == doc
    assert ds.splits["train"].tokens.dtype == np.int32  # compact, not Python objects


def test_conll_streams_one_document_at_a_time(tmp_path):
    f = write_conll(tmp_path / "t.txt", TINY_DOCS)
    with open(f, "a", encoding="utf-8") as fh:
        fh.write("\nbroken line with three fields\n")
    stream = fm.iter_conll(f)
    first = next(stream)  # read before the bad line further down is reached
    assert first.tokens == [t for t, _ in TINY_DOCS[0]]
    with pytest.raises(fm.DataError, match=r"t\.txt:\d+: expected"):
        list(stream)
    # build_dataset takes the stream as it takes a list
    good = write_conll(tmp_path / "g.txt", TINY_DOCS)
    assert fm.build_dataset({"train": fm.iter_conll(good)}) == fm.build_dataset({"train": fm.read_conll(good)})


def test_atomic_write_keeps_old_file_on_error(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with fm.atomic_write(target, "w") as fh:
            fh.write("half")
            raise RuntimeError("crash")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_word_vectors_gzip_word2vec_and_embedding_pickle(tmp_path):
    import gzip

    vec = tmp_path / "v.txt.gz"
    with gzip.open(vec, "wt", encoding="utf-8") as fh:
        fh.write("3 2\nneural 1 2\nnetworks 3 4\nneural 9 9\n")
    words, vectors, dups = read_word_vectors(vec)
    assert words == ["neural", "networks"] and dups == 1
    assert vectors.tolist() == [[1, 2], [3, 4]]
    docs = fm.read_conll(write_conll(tmp_path / "t.txt", TINY_DOCS))
    fm.save_pickle(fm.build_dataset({"train": docs}), tmp_path / "ds.pkl")
    obj, report = build_embeddings(fm.load_dataset(tmp_path / "ds.pkl"), vec)
    fm.save_pickle(obj, tmp_path / "emb.pkl")
    emb = load_embeddings(str(tmp_path / "emb.pkl"))
    assert emb.vectors[emb.words.index("neural")].tolist() == [1, 2]
    assert emb.found[emb.words.index("neural")] and not emb.found[emb.words.index("graph")]
    assert 0 < report["train_token_coverage"] < 1
