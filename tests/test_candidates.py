"""Candidates beyond the tagger's spans and their features on a hand-made document; the candidate ranker
trained on a toy problem, saved and loaded ``weights_only``, and ranking a record as ``rank_document`` does."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from keyword_lightning.scoring.candidate_ranker import CandidateRanker
from keyword_lightning.scoring.candidates import FEATURES, Candidates, candidate_word, document_candidates
from keyword_lightning.scoring.rankers import rank_document, ranker_from_state
from keyword_lightning.scoring.ranking import stem
from keyword_lightning.text.tokenizers import tokenize

TEXT = (
    "Marie Curie studied radioactivity in Paris.\n"
    "The theory of radioactivity changed physics. Curie won 2 Nobel prizes for radioactivity and the IAEA "
    "honours Marie Curie."
)


def candidates_of(text: str, tagged=(), keyness=None, common=None) -> Candidates:
    triples = tokenize(text)
    tokens, spans = [t for t, _, _ in triples], [(a, b) for _, a, b in triples]
    keyness = keyness if keyness is not None else [0.5] * len(tokens)
    return document_candidates(tokens, spans, text, keyness, list(tagged), common, len(common or {1: 1}))


def row(c: Candidates, phrase: str) -> dict[str, float]:
    key = tuple(stem(w) for w in phrase.split())
    return dict(zip(FEATURES, c.features[c.keys.index(key)].tolist()))


def test_candidates_are_runs_between_stop_words_and_punctuation():
    c = candidates_of(TEXT)
    texts = set(c.texts)
    assert {"Marie Curie", "radioactivity", "Paris", "theory", "physics", "Nobel prizes", "IAEA", "Curie"} <= texts
    assert "2 Nobel prizes" not in texts and "2" not in texts  # a token without a letter is no candidate word
    assert not any(w in ("the", "of", "in", "and", "for") for t in texts for w in t.lower().split())  # no stop word
    assert "Paris. The" not in texts and "physics Curie" not in texts  # no candidate crosses punctuation
    assert c.features.shape == (len(c.keys), len(FEATURES)) and c.features.dtype == np.float32
    assert all(len(k) <= 3 for k in c.keys)
    assert [candidate_word(w) for w in ("IAEA", "x-ray", "2", "the", "-", "3D")] == [
        True,
        True,
        False,
        False,
        False,
        True,
    ]


def test_features_count_every_place_and_read_position_casing_and_form():
    c = candidates_of(TEXT, common={"the": 0, "physics": 1, "of": 2})  # a frequency list, most common first
    n = len(tokenize(TEXT))
    radio, curie, name = row(c, "radioactivity"), row(c, "curie"), row(c, "marie curie")
    assert radio["log_count"] == pytest.approx(np.log1p(3)) and curie["log_count"] == pytest.approx(np.log1p(3))
    assert name["log_count"] == pytest.approx(np.log1p(2)) and name["length"] == 2
    assert radio["count_rank"] == 1.0 and radio["count_order"] == 0.0  # the most frequent single word (with Curie)
    assert radio["first"] == pytest.approx(3 / n) and radio["spread"] > 0.5 and radio["in_title"] == 1.0
    assert row(c, "physics")["in_title"] == 0.0 and row(c, "physics")["sentence_share"] == pytest.approx(1 / 3)
    assert radio["sentence_share"] == 1.0  # in all three sentences (a line break ends the first)
    assert name["capitalized"] == 1.0 and curie["capitalized"] == pytest.approx(2 / 3)  # "Curie won": a sentence start
    assert row(c, "iaea")["acronym"] == 1.0 and radio["acronym"] == 0.0
    assert row(c, "physics")["common_mean"] == pytest.approx(np.log(2) / np.log(3)) and radio["common_mean"] == 1.0
    assert row(c, "marie curie")["common_min"] == 1.0  # words outside the list: the rarest
    assert radio["crosses_stop"] == 0.0 and radio["doc_length"] == pytest.approx(np.log(n))


def test_the_taggers_spans_are_candidates_with_their_scores():
    triples = tokenize(TEXT)
    a = next(i for i, t in enumerate(triples) if t[0] == "theory")
    keyness = [0.1] * len(triples)
    keyness[a : a + 3] = [0.9, 0.6, 0.9]
    c = candidates_of(TEXT, tagged=[(a, a + 2, 0.8)], keyness=keyness)
    spanned = row(c, "theory of radioactivity")  # crosses a stop word: only the tagger proposes it
    assert spanned["crosses_stop"] == 1.0 and spanned["marked"] == pytest.approx(np.log1p(1))
    assert spanned["score_max"] == pytest.approx(0.8) and spanned["keyness_mean"] == pytest.approx(0.8)
    assert spanned["hand"] > 0 and row(c, "physics")["hand"] == 0.0 and row(c, "physics")["marked"] == 0.0
    assert spanned["doc_single"] == 0.0  # the one tagged span has three words
    assert c.places[c.keys.index(("theori", "of", "radioact"))] == [(triples[a][1], triples[a + 2][2])]


def test_an_empty_document_has_no_candidates():
    assert len(candidates_of("")) == 0 and candidates_of("").features.shape == (0, len(FEATURES))
    assert len(candidates_of("the of and .")) == 0


def toy_documents(n: int = 12) -> list[tuple[Candidates, set]]:
    """Documents where the gold candidates are exactly those in the title: a ranker must learn ``in_title``."""
    rng = np.random.default_rng(0)
    docs = []
    for d in range(n):
        x = 0.1 * rng.random((20, len(FEATURES))).astype(np.float32)  # noise beside the one feature that tells
        x[:, FEATURES.index("in_title")] = (np.arange(20) < 4).astype(np.float32)
        keys = [(f"w{d}-{i}",) for i in range(20)]
        docs.append((Candidates(keys, [k[0] for k in keys], [[(i, i + 1)] for i in range(20)], x), set(keys[:4])))
    return docs


def test_the_ranker_learns_a_toy_problem_and_loads_weights_only(tmp_path):
    docs = toy_documents(64)
    groups = ["a"] * 32 + ["b"] * 32
    state_before = torch.get_rng_state()
    ranker = CandidateRanker.fit(docs, groups, common_words=["the"], ensemble=2, epochs=40)
    assert torch.equal(torch.get_rng_state(), state_before)  # its own generator: training runs are not shifted
    for cands, gold in docs:
        top = [cands.keys[i] for i in ranker.order(ranker.scores(cands))[:4]]
        assert set(top) == gold
    again = CandidateRanker.fit(docs, groups, common_words=["the"], ensemble=2, epochs=40)
    assert again.state() == ranker.state()  # the same documents give the same ranker
    torch.save({"ranker": ranker.state()}, tmp_path / "r.pt")
    loaded = ranker_from_state(torch.load(tmp_path / "r.pt", weights_only=True)["ranker"])
    assert loaded.state() == ranker.state() and loaded.common == {"the": 0}
    assert np.array_equal(loaded.scores(docs[0][0]), ranker.scores(docs[0][0]))
    scores = ranker.scores(docs[0][0])
    assert ((0 <= scores) & (scores <= 1)).all() and scores[:4].min() > 0.5 > scores[4:].max()  # probabilities


def test_bad_states_are_refused_in_one_line():
    state = CandidateRanker.fit(toy_documents(4), ensemble=1, epochs=2).state()
    members = state["members"]
    bad = [
        {**state, "features": ["colour"]},
        {**state, "members": []},
        {**state, "members": [[{"weight": [[1.0]], "bias": [0.0]}]]},  # 1 input for many features
        {
            **state,
            "members": [[{**members[0][0], "bias": [float("nan")] * len(members[0][0]["bias"])}, members[0][1]]],
        },  # fmt: skip
        {**state, "scale": [0.0] * len(FEATURES)},
        {**state, "threshold": 2.0},
        {**state, "common_words": [1, 2]},
    ]
    for s in bad:
        with pytest.raises(ValueError, match="candidate ranker"):
            ranker_from_state(s)
    with pytest.raises(ValueError, match="needs documents with both gold and other candidates"):
        CandidateRanker.fit([(Candidates(), set())])


def test_rank_document_lists_candidates_above_the_threshold_best_first():
    ranker = CandidateRanker.fit(toy_documents(4), ensemble=1, epochs=2)
    triples = tokenize(TEXT)
    record = {"tokens": [t for t, _, _ in triples], "keyphrases": []}
    spans = [(a, b) for _, a, b in triples]
    ranked = rank_document(record, TEXT, spans, [0.3] * len(triples), ranker)
    assert ranked and [k["score"] for k in ranked] == sorted((k["score"] for k in ranked), reverse=True)
    for k in ranked:
        assert all(
            TEXT[a:b].lower() == k["text"].lower() or len(TEXT[a:b]) == len(k["text"]) for a, b in k["occurrences"]
        )
    ranker.threshold = 1.0  # nothing scores 1: the best one is listed alone
    assert len(rank_document(record, TEXT, spans, [0.3] * len(triples), ranker)) == 1
    assert rank_document({"tokens": [], "keyphrases": []}, "", [], [], ranker) == []
