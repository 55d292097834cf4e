"""The TF-IDF baseline of benchmarks/compare.py: candidates bounded by stop words and punctuation."""

from __future__ import annotations

import math

import pytest

from benchmarks.tfidf_ranker import TfIdfRanker


def test_candidates_never_cross_stop_words_or_punctuation():
    ranker = TfIdfRanker([])
    runs = ranker.runs("The fuzzy controller of PV systems , using real-time data ( 2024 ) and graph cuts.")
    assert runs == [["fuzzy", "controller"], ["PV", "systems"], ["using", "real-time", "data"], ["graph", "cuts"]]


def test_scores_sum_word_tfidf_and_rank_best_first():
    ranker = TfIdfRanker(["graph theory", "graph drawing", "neural graph"])  # df: graph 3, others 1 or 0
    idf = {w: math.log(4 / (1 + df)) + 1 for w, df in {"graph": 3, "cuts": 0, "theory": 1}.items()}
    assert ranker.idf("graph") == pytest.approx(idf["graph"])
    found = dict(ranker.extract("Graph cuts . graph theory", top_n=10))
    # tf: graph 2, cuts 1, theory 1; the first surface form is kept
    assert found["Graph cuts"] == pytest.approx(2 * idf["graph"] + idf["cuts"])
    assert found["cuts"] == pytest.approx(idf["cuts"])
    assert "graph theory" in found and "graph" not in found  # one entry per lowercased candidate
    ranked = ranker.extract("Graph cuts . graph theory", top_n=2)
    assert [p for p, _ in ranked] == ["Graph cuts", "graph theory"]
    assert ranker.extract("", top_n=5) == [] and ranker.extract("of the and", top_n=5) == []
