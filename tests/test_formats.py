import json
import os
import pickle

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


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"a\tB-KEY\nb\tZ-KEY\n", "a.txt:2: unknown tag 'Z-KEY'"),
        (b"a\tB-KEY\n\tO\n", "a.txt:2: empty token"),
        (b"a\tb\tO\n", "a.txt:1: expected 'token<TAB>tag', found 3 fields"),
        (b"a\tO\n\xff\xfe\tO\n", "a.txt:2: not valid UTF-8"),
        (b"\n\n", "a.txt: no documents"),
    ],
)
def test_read_conll_errors_name_file_and_line(tmp_path, content, message):
    f = tmp_path / "a.txt"
    f.write_bytes(content)
    with pytest.raises(fm.DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        fm.read_conll(f)


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


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"id": 1, "keyphrases": []}', "field 'text' is missing"),
        ('{"id": 1, "text": 5, "keyphrases": []}', "field 'text' is missing or not a string"),
        ('{"id": 1, "text": "x"}', "field 'keyphrases' is missing"),
        ("[1, 2]", "expected a JSON object"),
        ("{oops", "not valid JSON"),
        ('{"id": 1, "text": " ", "keyphrases": []}', "has no tokens"),
    ],
)
def test_read_jsonl_errors(tmp_path, line, message):
    f = tmp_path / "d.jsonl"
    f.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(fm.DataError, match=r"d\.jsonl:1: .*" + message):
        fm.read_jsonl(f)


def test_dataset_roundtrip(tmp_path):
    f = write_conll(tmp_path / "t.txt", TINY_DOCS)
    docs = fm.read_conll(f)
    fm.save_pickle(fm.build_dataset({"train": docs, "test": docs[:1]}), tmp_path / "ds.pkl")
    ds = fm.load_dataset(tmp_path / "ds.pkl")
    assert len(ds.splits["train"]) == len(TINY_DOCS)
    for i, doc in enumerate(docs):
        assert ds.document("train", i) == doc
    assert ds.splits["train"].tokens.dtype == np.int32  # compact, not Python objects


def _corrupt(tmp_path, mutate):
    docs = fm.read_conll(write_conll(tmp_path / "t.txt", TINY_DOCS))
    obj = fm.build_dataset({"train": docs})
    mutate(obj)
    path = tmp_path / "bad.pkl"
    with open(path, "wb") as fh:
        pickle.dump(obj, fh)
    return path


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda o: o.update(version=99), "format version 99 is not supported"),
        (lambda o: o.update(format="other"), "format is 'other'"),
        (
            lambda o: o["splits"]["train"].update(tags=o["splits"]["train"]["tags"][:-1]),
            r"split 'train', document 3: lengths differ",
        ),
        (
            lambda o: o["splits"]["train"].update(tags=b"\x07" + o["splits"]["train"]["tags"][1:]),
            r"document 0: unknown tag code 7",
        ),
        (
            lambda o: o["splits"]["train"].update(offsets=np.array([0, 0, 12, 18, 26], dtype="<i8").tobytes()),
            r"document 0: empty document",
        ),
        (lambda o: o["splits"]["train"].update(ids=[1, 2, 3, 4]), "'ids' must be a list of str"),
        (lambda o: o["splits"].update(dev=o["splits"]["train"]), "unknown split 'dev'"),
    ],
)
def test_load_dataset_names_split_and_document(tmp_path, mutate, message):
    with pytest.raises(fm.DataError, match=message):
        fm.load_dataset(_corrupt(tmp_path, mutate))


def test_wrong_pickle_type(tmp_path):
    path = tmp_path / "list.pkl"
    path.write_bytes(pickle.dumps([1, 2, 3]))
    with pytest.raises(fm.DataError, match="expected a dict, found list"):
        fm.load_dataset(path)


class _Exploit:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (os.system, (f"touch {self.target}",))


def test_safe_unpickler_refuses_code_and_the_code_does_not_run(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"format": fm.DATASET_FORMAT, "x": _Exploit(marker)}))
    with pytest.raises(fm.DataError, match="refused to load global 'posix.system'"):
        fm.load_dataset(path)
    assert not marker.exists()


def test_truncated_and_empty_pickles(tmp_path):
    good = _corrupt(tmp_path, lambda o: None)
    cut = tmp_path / "cut.pkl"
    cut.write_bytes(good.read_bytes()[:100])
    with pytest.raises(fm.DataError, match="cut.pkl: truncated or corrupt pickle"):
        fm.load_dataset(cut)
    empty = tmp_path / "empty.pkl"
    empty.write_bytes(b"")
    with pytest.raises(fm.DataError, match="empty.pkl: truncated or corrupt pickle"):
        fm.load_dataset(empty)


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


def test_ragged_vectors_name_the_line(tmp_path):
    vec = tmp_path / "v.txt"
    vec.write_text("a 1 2\nb 1 2 3\n")
    with pytest.raises(fm.DataError, match=r"v\.txt:2: 3 values, but earlier lines have 2"):
        read_word_vectors(vec)
