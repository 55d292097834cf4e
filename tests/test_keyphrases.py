"""A document's keyphrases: grouping and features against plain counts, the ranking, the API
on long documents and in batches, and the ``ranked`` field through the CLI."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest
from nltk.stem import PorterStemmer

from keyword_lightning.scoring.keyphrases import (
    features,
    group,
    phrase_key,
    rank_occurrences,
    rank_record,
    rank_score,
    select,
)
from tests.conftest import run_cli, run_env

WORDS = ["graph", "theory", "neural", "networks", "optimization", "of", "and", "we", "study", "the", "keyphrase"]


def record_of(tokens: list[str], spans: list[tuple[int, int, float]]) -> dict:
    """A prediction record for space-joined ``tokens`` with keyphrases at token ``spans``."""
    starts, pos = [], 0
    for token in tokens:
        starts.append(pos)
        pos += len(token) + 1
    phrases = [
        {"text": " ".join(tokens[s : e + 1]), "start_token": s, "end_token": e, "start_char": starts[s],
         "end_char": starts[e] + len(tokens[e]), "score": score}
        for s, e, score in spans
    ]  # fmt: skip
    return {"id": "0", "tokens": tokens, "keyphrases": phrases}


def test_features_against_a_plain_count_on_a_hand_made_document():
    tokens = "Graph theory helps . We study graph theories and neural networks . Graph theory again".split()
    spans = [(0, 1, 0.9), (6, 7, 0.5), (9, 10, 0.8), (12, 13, 0.7)]
    record = record_of(tokens, spans)
    keys = [phrase_key(tokens[s : e + 1]) for s, e, _ in spans]
    groups = group(keys, [s for s, _, _ in spans])
    # Plainly: a phrase is its lowercased words' stems, so "graph theories" is "graph theory".
    counts = Counter(tuple(PorterStemmer().stem(w.lower()) for w in tokens[s : e + 1]) for s, e, _ in spans)
    assert {k: len(m) for k, m in groups.items()} == dict(counts)
    assert counts == {("graph", "theori"): 3, ("neural", "network"): 1}
    members = groups[("graph", "theori")]
    f = features([spans[i][2] for i in members], [spans[i][0] for i in members], len(tokens), 2)
    assert f["count"] == 3 and f["score_sum"] == pytest.approx(2.1) and f["score_max"] == 0.9
    assert f["score_mean"] == pytest.approx(0.7) and f["first"] == 0 and f["last"] == pytest.approx(12 / 15)
    assert f["spread"] == pytest.approx(12 / 15) and f["length"] == 2
    ranked = rank_record(record)
    assert [k["text"] for k in ranked] == ["Graph theory", "neural networks"]  # the first occurrence's form
    assert ranked[0]["score"] == rank_score(f) == pytest.approx(2.1 * 1.5)
    assert ranked[1]["score"] == pytest.approx(0.8 * (1.5 - 9 / 15))
    text = " ".join(tokens)
    assert [text[s:e] for s, e in ranked[0]["occurrences"]] == ["Graph theory", "graph theories", "Graph theory"]


def test_often_and_early_first_ties_in_text_order_and_empty():
    tokens = [f"w{i}" for i in range(100)]
    late = [*tokens[:80], "w60", *tokens[81:]]  # w60 again at 80
    once_early, twice_late = [(1, 1, 0.8)], [(60, 60, 0.8), (80, 80, 0.8)]
    assert [k["text"] for k in rank_record(record_of(late, once_early + twice_late))] == ["w60", "w1"]
    earlier = rank_record(record_of(tokens, [(9, 9, 0.5), (5, 5, 0.5)]))  # the same score, seen earlier
    assert [k["text"] for k in earlier] == ["w5", "w9"]
    same = rank_occurrences(["b", "a"], [0.5, 0.5], [3, 3], [1, 1], 10)  # equal scores and places
    assert [key for key, _, _ in same] == ["b", "a"]  # ties keep text order (here: input order)
    assert rank_record({"id": "e", "tokens": [], "keyphrases": []}) == []
    rng = random.Random(0)
    scores = [k["score"] for k in rank_record(record_of(tokens, [(i, i, rng.random()) for i in range(0, 100, 7)]))]
    assert scores == sorted(scores, reverse=True)
    assert select([{"score": 3}, {"score": 2}, {"score": 1}], top_k=2, min_score=2.5) == [{"score": 3}]
    assert select([{"score": 3}, {"score": 2}], top_k=1) == [{"score": 3}]


def long_text(chars: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    sentences = []
    while sum(map(len, sentences)) < chars:
        sentences.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 20))) + ".")
    return " ".join(sentences)[:chars]


def test_keyphrases_are_unique_ordered_and_slice_back(tiny_checkpoint):
    from keyword_lightning import KeywordExtractor

    extractor = KeywordExtractor.from_checkpoint(tiny_checkpoint, threads=1)
    text = "We study graph theory and optimization. Graph theory of neural networks. Neural networks and graph theory."
    ranked = extractor.keyphrases(text)
    assert ranked, "the tiny model marks something here"

    def key(phrase: str) -> tuple[str, ...]:
        return phrase_key(phrase.split())

    assert len({key(k["text"]) for k in ranked}) == len(ranked)  # unique
    assert [k["score"] for k in ranked] == sorted((k["score"] for k in ranked), reverse=True)  # ordered
    for k in ranked:
        assert all(key(text[s:e]) == key(k["text"]) for s, e in k["occurrences"])  # offsets slice back
    assert extractor.keyphrases(text, top_k=1) == ranked[:1]
    assert extractor.keyphrases([text, ""]) == [ranked, []]


def test_a_long_document_whole_and_the_same_alone_as_in_a_batch(tiny_checkpoint):
    from keyword_lightning import KeywordExtractor

    extractor = KeywordExtractor.from_checkpoint(tiny_checkpoint, threads=1)
    text = long_text(100_000)
    alone = extractor.keyphrases(text)
    last = max(e for k in alone for _, e in k["occurrences"])
    assert last > 90_000  # read to the end: nothing truncated
    batch = extractor.keyphrases(["We study graph theory.", text, long_text(5_000, seed=1)])
    assert [k["text"] for k in batch[1]] == [k["text"] for k in alone]
    assert [k["score"] for k in batch[1]] == pytest.approx([k["score"] for k in alone], abs=1e-5)


def test_the_cli_writes_the_ranking_of_a_long_document(tiny_checkpoint, tmp_path):
    (tmp_path / "long.txt").write_text(long_text(100_000) + "\n")
    args = ["predict", "--ckpt_path", tiny_checkpoint, "--data.predict_file", "long.txt",
            "--trainer.callbacks.output_path", "-"]  # fmt: skip
    (record,) = [json.loads(line) for line in run_cli(args, tmp_path, env=run_env()).stdout.splitlines()]
    text = (tmp_path / "long.txt").read_text().strip()
    assert record["ranked"] == rank_record(record) and record["ranked"]
    assert all(text[s:e].lower().split()[0][:4] == k["text"].lower().split()[0][:4]
               for k in record["ranked"] for s, e in k["occurrences"])  # fmt: skip
