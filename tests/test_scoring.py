"""The benchmarks' reference scorer (benchmarks/scoring.py): hand counts, a brute-force twin, and seqeval."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seqeval.metrics import f1_score, precision_score, recall_score

from benchmarks.gold import read_conll_gold, read_jsonl, read_records, record_spans, spans_from_bio
from benchmarks.scoring import (
    normalize,
    present_stemmed,
    score_predictions,
    score_present,
    score_ranked,
    span_scores,
    stemmed_words,
    strict_f1,
)

# Document A: two gold phrases equal after lowercasing; "neural network(s)" merge only when stemmed.
DOC_A_PRED = [
    ("neural network", 0.9),
    ("Neural  Network", 0.8),  # duplicate of the first after normalising
    ("back propagation", 0.7),
    ("gradient", 0.6),
    ("neural networks", 0.5),  # a hit exactly; a duplicate of "neural network" when stemmed
    ("learning rate", 0.4),
    ("momentum", 0.3),
    ("weights", 0.2),
]
DOC_A_GOLD = ["neural networks", "Neural Networks", "back propagation", "learning rate"]
DOC_B_PRED, DOC_B_GOLD = [("foo", 1.0), ("bar", 0.5)], []  # no gold
DOC_C_PRED, DOC_C_GOLD = [], ["support vector machine"]  # no predictions


def test_normalize():
    assert normalize("  Neural \t Networks ", stem=False) == ("neural", "networks")
    assert normalize("Neural Networks", stem=True) == normalize("neural network", stem=True) == ("neural", "network")
    assert normalize(" \n ", stem=True) == ()


def test_hand_count():
    # Exact, unique ranked A: neural network, back propagation*, gradient, neural networks*, learning rate*,
    # momentum, weights (7; * = hit); gold A 3, B 0, C 1.
    # @5: tp 3, pred 5+2+0, gold 4 -> 6/11. @10 and @M: tp 3, pred 7+2 -> 6/13.
    # Stemmed A: neural network*, back propagation*, gradient, learning rate*, momentum, weights (6).
    # @5: tp 3, pred 5+2 -> 6/11. @10 and @M: tp 3, pred 6+2 -> 6/12.
    # Macro F1@M over A and C (B has no gold): exact (2*3/(7+3) + 0)/2, stemmed (2*3/(6+3) + 0)/2.
    s = score_ranked([DOC_A_PRED, DOC_B_PRED, DOC_C_PRED], [DOC_A_GOLD, DOC_B_GOLD, DOC_C_GOLD])
    assert s["docs"] == 3
    assert s["f1@5"] == pytest.approx(6 / 11)
    assert s["precision@5"] == pytest.approx(3 / 7) and s["recall@5"] == pytest.approx(3 / 4)
    assert s["f1@10"] == s["f1@M"] == pytest.approx(6 / 13)
    assert s["precision@M"] == pytest.approx(3 / 9)
    assert s["f1@5_stem"] == pytest.approx(6 / 11)
    assert s["f1@10_stem"] == s["f1@M_stem"] == pytest.approx(0.5)
    assert s["macro_f1@M"] == pytest.approx(0.3)
    assert s["macro_f1@M_stem"] == pytest.approx(1 / 3)


def test_cut_at_ten_differs_from_all():
    pred = [(f"p{i}", 13.0 - i) for i in range(1, 13)]  # p1 best ... p12 worst
    s = score_ranked([pred], [["P11", "p2"]])
    assert s["f1@5"] == pytest.approx(2 * 1 / (5 + 2))
    assert s["f1@10"] == pytest.approx(2 * 1 / (10 + 2))
    assert s["f1@M"] == pytest.approx(2 * 2 / (12 + 2))
    assert s["recall@M"] == 1.0


def test_rank_by_score_and_ties_keep_input_order():
    # Sorted: a (0.5), c (0.5, after a: input order), b; the cut at 1 keeps a only.
    s = score_ranked([[("b", 0.1), ("a", 0.5), ("c", 0.5)]], [["c"]], ks=(1, 2))
    assert s["f1@1"] == 0.0
    assert s["f1@2"] == pytest.approx(2 * 1 / (2 + 1))
    # the best-scored duplicate is the one kept, wherever it stands in the input
    s = score_ranked([[("x", 0.1), ("y", 0.2), ("X", 0.9)]], [["x"]], ks=(1,))
    assert s["f1@1"] == 1.0


def test_empty_and_bad_input():
    s = score_ranked([], [])
    assert s["f1@M"] == s["macro_f1@M"] == s["f1@5_stem"] == 0.0
    with pytest.raises(ValueError, match="2 documents"):
        score_ranked([[], []], [[]])
    with pytest.raises(ValueError, match="positive"):
        score_ranked([[]], [[]], ks=(0,))
    with pytest.raises(ValueError, match="document 0: scores must be finite"):
        score_ranked([[("a", float("nan"))]], [["a"]])


def _brute(predicted, gold, k, stem):
    """Counts (tp, pred, gold) summed over documents, written as plainly as possible."""
    tp = npred = ngold = 0
    per_doc = []
    for ranked, phrases in zip(predicted, gold):
        order = sorted(range(len(ranked)), key=lambda i: (-ranked[i][1], i))
        uniq = []
        for i in order:
            key = " ".join(normalize(ranked[i][0], stem))
            if key and key not in uniq:
                uniq.append(key)
        ref = []
        for phrase in phrases:
            key = " ".join(normalize(phrase, stem))
            if key and key not in ref:
                ref.append(key)
        top = uniq if k is None else uniq[:k]
        hits = len([p for p in top if p in ref])
        tp, npred, ngold = tp + hits, npred + len(top), ngold + len(ref)
        if ref:
            all_hits = len([p for p in uniq if p in ref])
            per_doc.append(2 * all_hits / (len(uniq) + len(ref)))
    return tp, npred, ngold, per_doc


WORDS = st.sampled_from(["network", "Networks", "NETWORK", "learning", "learn", "rate", "graph", "the", " "])
PHRASE = st.lists(WORDS, min_size=0, max_size=3).map(lambda ws: "  ".join(ws))
SCORE = st.sampled_from([0.0, 0.25, 0.5, 1.0, -1.0])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.lists(st.tuples(PHRASE, SCORE), max_size=14), st.lists(PHRASE, max_size=5)), max_size=5))
def test_matches_brute_force(docs):
    predicted, gold = [d[0] for d in docs], [d[1] for d in docs]
    s = score_ranked(predicted, gold, ks=(1, 5, 10))
    for stem, suffix in ((False, ""), (True, "_stem")):
        for k, name in ((1, "1"), (5, "5"), (10, "10"), (None, "M")):
            tp, npred, ngold, per_doc = _brute(predicted, gold, k, stem)
            p = tp / npred if npred else 0.0
            r = tp / ngold if ngold else 0.0
            assert s[f"precision@{name}{suffix}"] == pytest.approx(p)
            assert s[f"recall@{name}{suffix}"] == pytest.approx(r)
            assert s[f"f1@{name}{suffix}"] == pytest.approx(2 * p * r / (p + r) if p + r else 0.0)
        assert s[f"macro_f1@M{suffix}"] == pytest.approx(sum(per_doc) / len(per_doc) if per_doc else 0.0)


def test_read_conll_gold(tmp_path):
    path = tmp_path / "x.txt"
    rows = [
        ("Deep", "B-KEY"),
        ("nets", "I-KEY"),
        ("and", "O"),
        ("graph", "I-KEY"),
        ("cuts", "I-KEY"),
        ("on", "B-A"),
        ("GPUs", "I-B"),
        ("", ""),
        ("Deep", "B-KEY"),
        ("nets", "I-KEY"),
        ("!", "O"),
    ]
    path.write_text("\n".join(f"{t}\t{g}" if t else "" for t, g in rows) + "\n\n", encoding="utf-8")
    tokens, gold = read_conll_gold(path)
    assert tokens == [["Deep", "nets", "and", "graph", "cuts", "on", "GPUs"], ["Deep", "nets", "!"]]
    # an I- after O opens a phrase; an I- of another type than the open phrase opens another
    assert gold == [["Deep nets", "graph cuts", "on", "GPUs"], ["Deep nets"]]
    bad = tmp_path / "bad.txt"
    bad.write_text("Deep\tB-KEY\nnets KEY\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.txt:2: expected 'token<TAB>tag'"):
        read_conll_gold(bad)
    bad.write_text("Deep\tB-\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.txt:1:"):
        read_conll_gold(bad)


def test_read_records(tmp_path):
    path = tmp_path / "predictions.jsonl"
    recs = [
        {
            "id": "0",
            "tokens": ["a", "b"],
            "tags": ["B-KEY", "I-KEY"],
            "keyphrases": [{"text": "a b", "start_token": 0, "end_token": 1, "score": 0.75}],
        },
        {"id": "1", "tokens": [], "tags": [], "keyphrases": []},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    assert read_records(path) == [[("a b", 0.75)], []]
    path.write_text(json.dumps(recs[0]) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"predictions.jsonl:2: not JSON"):
        read_records(path)
    path.write_text(json.dumps({"keyphrases": [{"text": "a"}]}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"predictions.jsonl:1: expected keyphrases with text and score"):
        read_records(path)
    path.write_text(json.dumps({"keyphrases": [{"text": "a", "score": "nan"}]}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"predictions.jsonl:1:.*not finite"):
        read_records(path)


# ----------------------------------------------------------------------------- strict spans

TAGS = st.lists(st.lists(st.sampled_from(["O", "B-KEY", "I-KEY"]), min_size=1, max_size=9), min_size=1, max_size=6)


def _write_conll(path, docs):
    path.write_text("".join("".join(f"w{i}\t{t}\n" for i, t in enumerate(doc)) + "\n" for doc in docs if doc))
    return path


@settings(max_examples=200, deadline=None)
@given(TAGS, TAGS)
def test_strict_spans_match_seqeval(tmp_path_factory, gold_tags, pred_tags):
    # the same number of documents, each the gold's length; seqeval reads BIO as conlleval does
    pred_tags = [(p * 9)[: len(g)] for p, g in zip(pred_tags * len(gold_tags), gold_tags)]
    folder = tmp_path_factory.mktemp("conll")
    gold = spans_from_bio(_write_conll(folder / "gold.txt", gold_tags))
    pred = spans_from_bio(_write_conll(folder / "pred.txt", pred_tags))
    assert len(gold) == len(pred) == len(gold_tags)
    scores = span_scores(pred, gold)
    assert scores["f1"] == pytest.approx(f1_score(gold_tags, pred_tags, zero_division=0)) == strict_f1(pred, gold)
    assert scores["precision"] == pytest.approx(precision_score(gold_tags, pred_tags, zero_division=0))
    assert scores["recall"] == pytest.approx(recall_score(gold_tags, pred_tags, zero_division=0))


def test_strict_span_hand_count():
    pred, gold = [{(0, 1), (3, 3)}, set()], [{(0, 1), (4, 5)}, {(2, 2)}]
    assert span_scores(pred, gold) == {"precision": 0.5, "recall": 1 / 3, "f1": 2 * 1 / (2 + 3)}
    assert strict_f1([set()], [set()]) == 0.0
    with pytest.raises(ValueError, match="1 documents but gold has 2"):
        strict_f1([set()], [set(), set()])


def test_predictions_file_scores(tmp_path):
    recs = [
        {
            "tokens": ["Deep", "nets", "for", "Graph", "Cuts"],
            "keyphrases": [{"start_token": 0, "end_token": 1}, {"start_token": 3, "end_token": 3}],
        },
        {"tokens": ["deep", "NETS"], "keyphrases": []},
    ]
    path = tmp_path / "predictions.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    assert record_spans(recs) == [{(0, 1), (3, 3)}, set()]
    s = score_predictions(path, [{(0, 1), (3, 4)}, {(0, 1)}])
    # spans: tp 1 of 2 predicted, 3 gold; sets: {deep nets, graph} vs {deep nets, graph cuts}, {} vs {deep nets}
    assert (s["precision"], s["recall"], s["f1"]) == (0.5, 1 / 3, 2 / 5)
    assert s["set_f1"] == 2 / 5 and s["set_macro_f1"] == (2 / 4 + 0) / 2


def test_read_jsonl_skips_blank_lines(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"id": "a", "text": "t", "keyphrases": ["k"]}\n\n', encoding="utf-8")
    assert read_jsonl(path) == [{"id": "a", "text": "t", "keyphrases": ["k"]}]


# ----------------------------------------------------------------------------- present keyphrases (stemmed)


def test_present_stemmed_hand_example():
    text = "Training neural networks: X-ray images of graph-cuts, and 深度学习 (deep learning)."
    keys = [
        "neural network",
        "Neural Networks",
        "x ray",
        "graph cut",
        "networks training",
        "深度学习",
        "学习",
        "deep  learning",
        "image of graph",
        "support vector machine",
        "++",
        " ",
    ]
    # stems of the text: train neural network x ray imag of graph cut and 深 度 学 习 deep learn
    assert stemmed_words("X-ray images") == ("x", "ray", "imag")
    assert present_stemmed(keys, text) == [
        "neural network",
        "Neural Networks",
        "x ray",
        "graph cut",
        "深度学习",
        "学习",
        "deep  learning",
        "image of graph",
    ]
    # a word sequence, not a substring: "net" is not in "networks", "work" is not a word of it
    assert present_stemmed(["net", "work", "ural net"], text) == []


def test_score_present_stemmed_hand_count():
    docs = [
        {"text": "Neural networks learn graph cuts.", "keyphrases": ["neural network", "graph cut", "deep learning"]},
        {"text": "Support vector machines.", "keyphrases": ["support vector machine", "kernel"]},
    ]
    predicted = [[("neural networks", 0.9), ("learn", 0.8), ("graph cuts", 0.7)], [("vector machines", 1.0)]]
    s = score_present(predicted, docs, stem=True)
    # all: 5 gold, 4 predicted, 2 hits (neural network, graph cut) -> 4 / 9
    assert s["all_f1@5_stem"] == s["all_f1@M_stem"] == pytest.approx(4 / 9)
    # present: 3 gold (neural network, graph cut, support vector machine), 4 predicted, 2 hits -> 4 / 7
    assert s["present_f1@5_stem"] == s["present_f1@10_stem"] == pytest.approx(4 / 7)
    assert set(s) == {f"{part}_{m}_stem" for part in ("all", "present") for m in ("f1@5", "f1@10", "f1@M")}
    assert score_present(predicted, docs)["present_f1@5"] == 0.0  # exact: the plurals miss


def _present_twin(keys, text):
    """Presence written plainly: split on anything but [a-z0-9_], a fresh PorterStemmer, every window compared."""
    import re

    from nltk.stem.porter import PorterStemmer

    stemmer = PorterStemmer()

    def words(s):
        return [stemmer.stem(w) for w in re.split(r"[^a-z0-9_]+", s.lower()) if w]

    body = words(text)
    found = []
    for key in keys:
        k = words(key)
        if k and any(body[i : i + len(k)] == k for i in range(len(body) - len(k) + 1)):
            found.append(key)
    return found


TEXT_WORDS = st.sampled_from(["Networks", "network", "learning", "learned", "graph", "cuts", "x-ray", "a", "of"])
SEPARATORS = st.sampled_from([" ", ", ", "-", ". ", "  ", "(", ")"])
TEXTS = st.lists(st.tuples(TEXT_WORDS, SEPARATORS), max_size=12).map(lambda ws: "".join(w + s for w, s in ws))


@settings(max_examples=200, deadline=None)
@given(st.lists(TEXTS, max_size=6), TEXTS)
def test_present_stemmed_matches_a_plain_twin(keys, text):
    assert present_stemmed(keys, text) == _present_twin(keys, text)
