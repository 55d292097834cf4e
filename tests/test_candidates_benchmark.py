"""The candidates probe of benchmarks/candidates.py: its candidates and features against a plain count."""

from __future__ import annotations

import pytest

from benchmarks.candidates import CANDIDATE_FEATURES, CandidateScorer, candidates
from keyword_lightning.data.inputs import documents_from_texts
from keyword_lightning.tagging.schemes import SBMEO

TEXT = "Graph theory is the study of graph theory problems , and of networks ."


def tagged(tokens: list[str], spans: list[tuple[int, int]]) -> tuple[list[int], list[float], list[float]]:
    """Tags with ``spans`` marked (B..E or S), each tag's probability 0.8, P(keyword) 0.9 inside, 0.1 outside."""
    tags = [SBMEO.index("O")] * len(tokens)
    for a, b in spans:
        for i in range(a, b + 1):
            tags[i] = SBMEO.index("S" if a == b else "B" if i == a else "E" if i == b else "M")
    keyword = [0.9 if tags[i] != SBMEO.index("O") else 0.1 for i in range(len(tokens))]
    return tags, [0.8] * len(tokens), keyword


def test_candidates_and_their_features_against_a_plain_count():
    (doc,) = documents_from_texts([TEXT])
    assert doc.tokens[:2] == ["Graph", "theory"] and len(doc.tokens) == 14
    tags, probs, keyword = tagged(doc.tokens, [(0, 1), (12, 12)])  # "Graph theory" (once of twice), "networks"
    only = {key: (text, f) for key, text, f in candidates(doc, tags, probs, keyword, ngrams=False)}
    assert set(only) == {("graph", "theori"), ("network",)}
    assert only[("graph", "theori")][1]["count"] == 1  # the tagger's spans only
    every = {key: (text, f) for key, text, f in candidates(doc, tags, probs, keyword, ngrams=True)}
    # n-grams never cross a stop word (is, the, of, and) or punctuation
    assert ("graph", "theori", "problem") in every and ("studi",) in every
    assert not any("is" in key or "the" in key or "," in key for key in every)
    text, f = every[("graph", "theori")]
    assert text == "Graph theory" and f["count"] == 2 and f["marked"] == 1
    assert f["score_sum"] == f["score_max"] == pytest.approx(0.8)
    assert f["keyword_mean"] == pytest.approx((0.9 + 0.1) / 2) and f["keyword_max"] == pytest.approx(0.9)
    assert f["first"] == 0.0 and f["last"] == pytest.approx(6 / 14) and f["spread"] == pytest.approx(6 / 14)
    assert f["in_head"] == 1.0 and f["length"] == 2 and set(f) == set(CANDIDATE_FEATURES)
    assert every[("studi",)][1]["marked"] == 0 and every[("studi",)][1]["score_max"] == 0.0


def test_the_scorer_learns_which_candidates_are_gold():
    (doc,) = documents_from_texts([TEXT])
    cands = candidates(doc, *tagged(doc.tokens, [(0, 1), (12, 12)]), ngrams=True)
    gold = {("graph", "theori"), ("network",)}  # the marked ones
    ranked = CandidateScorer([cands] * 3, [gold] * 3).rank(cands)
    assert {text for text, _ in ranked[:2]} == {"Graph theory", "networks"}
    assert CandidateScorer([cands], [gold]).rank([]) == []
