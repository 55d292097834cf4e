import json
import pickle
import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keyword_lightning.data import formats as fm
from keyword_lightning.data import readers as rd
from keyword_lightning.data.embeddings import build_embeddings, load_embeddings, read_word_vectors
from keyword_lightning.tagging import bio_codes_to_spans
from keyword_lightning.text import ABSENT, OVERLAPPED, PRESENT, SPLIT, find_keyphrases, get_tokenizer, tokenize
from tests.conftest import TINY_DOCS, write_conll


def test_read_conll_any_type_and_edge_cases(tmp_path):
    f = tmp_path / "a.txt"
    # BOM, CRLF, typed tags, an I- after O, no final blank line.
    f.write_bytes("\ufeffDeep\tB-Task\r\nnets\tI-Task\r\nrun\tO\r\nfast\tI-Process\r\n\r\nx\tO".encode())
    docs = rd.read_conll(f)
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
    (doc,) = rd.read_jsonl(f)
    from keyword_lightning.tagging import bio_codes_to_spans

    phrases = [" ".join(doc.tokens[s : e + 1]) for s, e in bio_codes_to_spans(doc.codes)]
    assert phrases == ["Graph theory", "graph theory", "Neural Networks"]
    assert doc.id == "d1"


def test_dataset_roundtrip(tmp_path):
    f = write_conll(tmp_path / "t.txt", TINY_DOCS)
    docs = rd.read_conll(f)
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
    stream = rd.iter_conll(f)
    first = next(stream)  # read before the bad line further down is reached
    assert first.tokens == [t for t, _ in TINY_DOCS[0]]
    with pytest.raises(fm.DataError, match=r"t\.txt:\d+: expected"):
        list(stream)
    # build_dataset takes the stream as it takes a list
    good = write_conll(tmp_path / "g.txt", TINY_DOCS)
    assert fm.build_dataset({"train": rd.iter_conll(good)}) == fm.build_dataset({"train": rd.read_conll(good)})


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
    docs = rd.read_conll(write_conll(tmp_path / "t.txt", TINY_DOCS))
    fm.save_pickle(fm.build_dataset({"train": docs}), tmp_path / "ds.pkl")
    obj, report = build_embeddings(fm.load_dataset(tmp_path / "ds.pkl"), vec)
    fm.save_pickle(obj, tmp_path / "emb.pkl")
    emb = load_embeddings(str(tmp_path / "emb.pkl"))
    assert emb.vectors[emb.words.index("neural")].tolist() == [1, 2]
    assert emb.found[emb.words.index("neural")] and not emb.found[emb.words.index("graph")]
    assert 0 < report["train_token_coverage"] < 1


# --------------------------------------------------------------------------- keyphrases on any tokenizer


def _write_jsonl(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def _phrases(doc):
    return ["".join(doc.tokens[s : e + 1]) for s, e in bio_codes_to_spans(doc.codes)]


def test_jsonl_marking_english_is_as_before(tmp_path):
    rec = {
        "id": "d",
        "text": "We apply graph theory to neural networks.",
        "keyphrases": ["graph theory", "neural networks"],
    }
    f = _write_jsonl(tmp_path / "e.jsonl", [rec])
    (doc,) = rd.read_jsonl(f)
    assert doc.codes == [0, 0, 1, 2, 0, 1, 2, 0]
    assert rd.read_jsonl(f, "ptb") == [doc]


def test_jsonl_marking_chinese_longest_first_every_occurrence(tmp_path):
    rec = {
        "id": "z",
        "text": "深度学习模型优于深度学习。BERT模型",
        "keyphrases": ["深度学习", "深度学习模型", "学习模型", "bert模型", "神经网络"],
    }
    f = _write_jsonl(tmp_path / "z.jsonl", [rec])
    for tokenizer in ("chars", "jieba"):
        (doc,), counts = rd.read_jsonl_counted(f, tokenizer)
        # the longest phrase first, then every occurrence of the others that is still free
        assert _phrases(doc) == ["深度学习模型", "深度学习", "BERT模型"], tokenizer
        assert (counts.documents, counts.keyphrases, counts.present) == (1, 5, 3)
        assert (counts.overlapped, counts.split, counts.absent) == (1, 0, 1)  # 学习模型; 神经网络


def test_jsonl_keyphrase_splitting_a_jieba_word_is_counted_not_marked(tmp_path):
    rec = {"id": "j", "text": "水运工程项目作为我国航运的重要组成部分。", "keyphrases": ["水运工程", "航运", "水利"]}
    f = _write_jsonl(tmp_path / "j.jsonl", [rec])
    (doc,), counts = rd.read_jsonl_counted(f, "jieba")
    assert doc.tokens[:2] == ["水运", "工程项目"]  # 水运工程 ends inside 工程项目
    assert _phrases(doc) == ["航运"]
    assert (counts.present, counts.split, counts.absent) == (1, 1, 1)
    assert counts.summary() == (
        "1 documents, 3 keyphrases: 1 present, 1 inside a token (not marked), "
        "0 overlapping another keyphrase (not marked), 1 absent"
    )
    (doc,), counts = rd.read_jsonl_counted(f, "chars")  # one token per character: nothing is inside one
    assert _phrases(doc) == ["水运工程", "航运"] and counts.split == 0


def test_chars_latin_inside_a_word_whitespace_and_zero_width():
    def fates(text, phrases, tokenizer="chars"):
        return find_keyphrases(text, get_tokenizer(tokenizer)(text), phrases, tokenizer)[1]

    assert fates("研究表明PCBR方法", ["CBR", "PCBR方法"]) == [SPLIT, PRESENT]
    # whitespace runs count as one space, and only where there is some; format characters not at all
    assert fates("基于 Transformer  模型", ["transformer 模型", "Transformer模型"]) == [PRESENT, ABSENT]
    assert fates("深度\u200b学习", ["深度学习", "深度\u200d学习"]) == [PRESENT, PRESENT]
    assert fates("graph theory", ["", "  ", "graph\ttheory"], "ptb") == [ABSENT, ABSENT, PRESENT]


def _old_ptb_codes(tokens, phrases):
    """The token-tuple marking used before other tokenizers, ties in the order given (it used set order)."""
    lowered = [t.lower() for t in tokens]
    codes = [0] * len(tokens)
    taken = [False] * len(tokens)
    patterns = dict.fromkeys(tuple(t.lower() for t, _, _ in tokenize(p)) for p in phrases)
    for pattern in sorted((p for p in patterns if p), key=len, reverse=True):
        n = len(pattern)
        for start in range(len(tokens) - n + 1):
            if tuple(lowered[start : start + n]) == pattern and not any(taken[start : start + n]):
                codes[start : start + n] = [1] + [2] * (n - 1)
                taken[start : start + n] = [True] * n
    return codes


def _codes(n, spans):
    codes = [0] * n
    for first, last in spans:
        codes[first : last + 1] = [1] + [2] * (last - first)
    return codes


WORDS = [
    "graph",
    "Graph",
    "theory",
    "of",
    "graphs",
    "neural",
    "networks",
    "system",
    "'s",
    "n't",
    "don't",
    "-",
    "(",
    ")",
    ".",
    "C++",
    "real-time",
    "time",
    "2.0",
    "i.e.",
    "\u200b",
]
SEPARATORS = [" ", " ", " ", "", "  ", "\n"]


@settings(max_examples=400, deadline=None)
@given(
    words=st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), min_size=1, max_size=25),
    picks=st.lists(st.tuples(st.integers(0, 24), st.integers(1, 4), st.sampled_from([" ", "  ", ""])), max_size=6),
)
def test_ptb_marking_equals_the_token_tuple_marking(words, picks):
    text = "".join(w + sep for w, sep in words)
    phrases = [sep.join(w for w, _ in words[i : i + n]) for i, n, sep in picks if i < len(words)]
    triples = tokenize(text)
    spans, fates = find_keyphrases(text, triples, phrases, "ptb")
    assert _codes(len(triples), spans) == _old_ptb_codes([t for t, _, _ in triples], phrases)
    marked = {" ".join(t.lower() for t, _, _ in triples[f : l + 1]) for f, l in spans}
    for phrase, fate in zip(phrases, fates):
        assert (fate == PRESENT) == (" ".join(t.lower() for t, _, _ in tokenize(phrase)) in marked)


def _norm(s):
    return " ".join("".join(ch for ch in s if unicodedata.category(ch) != "Cf").split()).lower()


def _oracle(text, triples, phrases):
    """Brute force over all token ranges: what ``find_keyphrases`` promises for chars and jieba."""
    keys = [_norm(p) for p in phrases]
    taken = [False] * len(triples)
    spans, fate = [], {}
    for key in sorted(dict.fromkeys(keys), key=len, reverse=True):
        fate[key] = SPLIT if key and key in _norm(text) else ABSENT
        for i in range(len(triples)):
            for j in range(i, len(triples)):
                if key and _norm(text[triples[i][1] : triples[j][2]]) == key:
                    if any(taken[i : j + 1]):
                        fate[key] = PRESENT if fate[key] == PRESENT else OVERLAPPED
                    else:
                        taken[i : j + 1] = [True] * (j - i + 1)
                        spans.append((i, j))
                        fate[key] = PRESENT
    return sorted(spans), [fate[k] for k in keys]


@pytest.mark.parametrize("tokenizer", ["chars", "jieba"])
@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(
        st.sampled_from(list("深度学习模型水运工程项目的，。 ") + ["AB", "ab", "c++", "\u200b", "  "]), max_size=30
    ),
    cuts=st.lists(st.tuples(st.integers(0, 40), st.integers(1, 8)), max_size=6),
    extra=st.lists(st.sampled_from(["深度学习", "AB 深度", "ab深", "工程 项目", "网络"]), max_size=2),
)
def test_marking_on_char_offsets_matches_brute_force(tokenizer, pieces, cuts, extra):
    text = "".join(pieces)
    phrases = [text[i : i + n] for i, n in cuts] + extra  # substrings: present, split or overlapped
    triples = get_tokenizer(tokenizer)(text)
    assert find_keyphrases(text, triples, phrases, tokenizer) == _oracle(text, triples, phrases)


# --------------------------------------------------------------------------- the tokenizer in the pickle


def test_dataset_records_its_tokenizer(tmp_path):
    f = _write_jsonl(tmp_path / "z.jsonl", [{"id": "z", "text": "深度学习模型。", "keyphrases": ["深度学习"]}])
    fm.save_pickle(fm.build_dataset({"train": rd.read_jsonl(f, "chars")}, "chars"), tmp_path / "ds.pkl")
    ds = fm.load_dataset(tmp_path / "ds.pkl")
    assert ds.tokenizer == "chars" and ds.document("train", 0).codes == [1, 2, 2, 2, 0, 0, 0]
    assert fm.load_dataset(_tiny_pickle(tmp_path)).tokenizer == "ptb"  # the default
    with pytest.raises(ValueError, match=r"unknown tokenizer 'spacy' \(known: ptb, chars, jieba\)"):
        fm.build_dataset({"train": rd.read_jsonl(f, "chars")}, "spacy")


def _tiny_pickle(tmp_path, **changes):
    obj = fm.build_dataset({"train": rd.read_conll(write_conll(tmp_path / "t.txt", TINY_DOCS))})
    obj.update(changes)
    for key in [k for k, v in changes.items() if v is None]:
        del obj[key]
    path = tmp_path / "ds.pkl"
    path.write_bytes(pickle.dumps(obj))
    return path


def test_version_1_pickle_without_tokenizer_loads_as_ptb(tmp_path):
    ds = fm.load_dataset(_tiny_pickle(tmp_path, version=1, tokenizer=None))
    assert ds.tokenizer == "ptb" and len(ds.splits["train"]) == len(TINY_DOCS)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"tokenizer": "spacy"}, "unknown tokenizer 'spacy' (this release knows ptb, chars, jieba)"),
        ({"tokenizer": ["chars"]}, "unknown tokenizer ['chars'] (this release knows ptb, chars, jieba)"),
        ({"version": 3}, "format version 3 is not supported (this release reads 1 and 2)"),
        ({"version": True}, "format version True is not supported (this release reads 1 and 2)"),
    ],
)
def test_bad_tokenizer_or_version_is_a_one_line_error(tmp_path, changes, message):
    path = _tiny_pickle(tmp_path, **changes)
    with pytest.raises(fm.DataError) as err:
        fm.load_dataset(path)
    assert str(err.value) == f"{path}: {message}"
