"""The phrase ranker: its features against plain counts, a toy problem it must learn, its state through
``torch.load(weights_only=True)``, and the checkpoint's ranker in every ranking (the extractor,
``predict``, ``test``), with ``--model.decoding.ranker hand`` for the hand rule; checkpoints of earlier
releases, whose ranker is kept under ``scorer``, still read."""

from __future__ import annotations

import json
import math

import pytest
import torch

from keyword_lightning.model.checkpoint import CHECKPOINT_KEY, CheckpointError, read_checkpoint
from keyword_lightning.scoring.keyphrases import HAND, phrase_key, phrases, rank_occurrences, rank_record
from keyword_lightning.scoring.phrase_ranker import (
    FEATURES,
    KNOWN,
    FitError,
    PhraseRanker,
    Rarity,
    TaggedDocument,
    choose,
    f1_at,
)
from keyword_lightning.scoring.rankers import ranker_from_state
from keyword_lightning.tagging.decoding import Decoding
from tests.conftest import fit_tiny, run_cli, run_env

TEXT = "We study graph theory and optimization. Graph theory of neural networks. Neural networks and graph theory."


def test_in_head_and_rarity_against_a_plain_count():
    tokens = "the graph theory of neural networks is a study of graph theory and optimization here".split()
    assert len(tokens) == 15  # the head: tokens 0 and 1 (0.15 * 15 = 2.25)
    others = [["graph", "networks", "the"], ["graph", "the", "of"], ["theory", "the"]]
    counted = [*others, tokens]
    rarity = Rarity({w: sum(w in set(d) for d in counted) for w in set(tokens)}, len(counted))  # an earlier table
    spans = [(1, 2), (4, 5), (10, 11), (13, 13)]  # graph theory, neural networks, graph theory, optimization
    keys = [phrase_key(tokens[a : b + 1]) for a, b in spans]
    idf = rarity.token_idf(tokens)
    found = phrases(keys, [0.9, 0.8, 0.7, 0.6], [a for a, _ in spans], [b - a + 1 for a, b in spans], 15, idf)
    f = {key: feats for key, feats, _ in found}
    plain = {w: math.log(5 / (1 + sum(w in set(d) for d in counted))) for w in tokens}
    assert f[("graph", "theori")]["in_head"] == 1.0 and f[("neural", "network")]["in_head"] == 0.0
    assert f[("graph", "theori")]["rarity"] == pytest.approx((plain["graph"] + plain["theory"]) / 2)
    assert f[("optim",)]["rarity"] == pytest.approx(math.log(5 / 2))
    assert rarity.token_idf([None, "unseen"]) == pytest.approx([math.log(5), math.log(5)])  # outside: the highest
    assert phrases(keys, [0.5] * 4, [1, 4, 10, 13], [2, 2, 2, 1], 15)[0][1]["rarity"] == 0.0  # no table


def toy_documents(n: int) -> list[TaggedDocument]:
    """Gold phrases: once, late, scored 0.9; the others: twice, early, scored 0.6 (the hand rule puts them first)."""
    docs = []
    for d in range(n):
        keys, scores, starts = [], [], []
        for j in range(3):  # negatives: two occurrences in the first half
            keys += [("neg", d, j)] * 2
            scores += [0.6, 0.6]
            starts += [2 + j, 10 + j]
        for j in range(3):  # positives: one occurrence near the end
            keys.append(("pos", d, j))
            scores.append(0.9 - 0.01 * (d % 5))
            starts.append(30 + j)
        docs.append(TaggedDocument(keys, scores, starts, [1] * len(keys), 40, [("pos", d, j) for j in range(3)]))
    return docs


def test_the_ranker_learns_a_separable_toy_problem_and_is_chosen():
    docs = toy_documents(20)
    ranker = PhraseRanker.fit(docs)
    for d in docs:
        ranked = rank_occurrences(d.keys, d.scores, d.starts, d.lengths, d.n_tokens, ranker)
        assert [key[0] for key, _, _ in ranked] == ["pos"] * 3 + ["neg"] * 3
        assert all(0 < score < 1 for _, score, _ in ranked)
    assert f1_at(ranker, docs, 3) == 1.0 and f1_at(HAND, docs, 3) == 0.0
    assert choose(docs)[1] == {"hand": 2 / 3, "learned": 2 / 3}  # at 10 both rank all 6: a tie keeps the hand rule
    chosen, figures = choose(docs, k=3)
    assert isinstance(chosen, PhraseRanker) and figures == {"hand": 0.0, "learned": 1.0}
    # Without negatives there is nothing to learn: the hand rule stays.
    only_gold = [d._replace(gold=list(d.keys)) for d in docs]
    with pytest.raises(FitError, match="positive and negative"):
        PhraseRanker.fit(only_gold)
    chosen, figures = choose(only_gold)
    assert chosen is HAND and math.isnan(figures["learned"])


def test_the_state_round_trips_through_weights_only_loading(tmp_path):
    docs = toy_documents(10)
    ranker = PhraseRanker.fit(docs, lowercase=False)
    assert ranker.features == FEATURES and "rarity" not in FEATURES and ranker.rarity is None
    assert "df" not in ranker.state() and ranker.token_idf(["w"]) is None  # no table travels with it
    torch.save({"ranker": ranker.state()}, tmp_path / "s.pt")
    loaded = ranker_from_state(torch.load(tmp_path / "s.pt", weights_only=True)["ranker"])
    assert loaded.state() == ranker.state() and loaded.lowercase is False
    for d in docs:
        for _, f, _ in phrases(d.keys, d.scores, d.starts, d.lengths, d.n_tokens):
            assert loaded.score(f) == ranker.score(f)
    assert ranker_from_state(None) is HAND and ranker_from_state({"kind": "hand"}) is HAND
    bad_states = [
        {"kind": "forest"},
        {**ranker.state(), "weights": [1.0]},
        {**ranker.state(), "features": ["count"]},
        {**ranker.state(), "features": [*FEATURES[:-1], "colour"]},
        {**ranker.state(), "features": [*FEATURES[:-1], FEATURES[0]]},
        {**ranker.state(), "features": [*FEATURES[:-1], ["count"]]},
        {**earlier_ranker().state(), "df": {"w": 99}},
    ]
    for bad in bad_states:
        with pytest.raises(ValueError):
            ranker_from_state(bad)


def earlier_ranker() -> PhraseRanker:
    """A phrase ranker as two releases before fitted them: reading ``KNOWN``, ``rarity`` and its table too."""
    weights = [0.5 if name in ("rarity", "first") else 0.0 for name in KNOWN]
    return PhraseRanker(weights, 0.0, [0.0] * len(KNOWN), [1.0] * len(KNOWN), Rarity({"w": 2, "x": 1}, 4), True, KNOWN)


def test_a_ranker_of_an_earlier_release_reads_its_rarity_table(tmp_path):
    """Rankers fitted before ``rarity`` was dropped read ``KNOWN`` with a table: they load and rank as they did."""
    old = earlier_ranker()
    state = old.state()
    assert state["features"] == list(KNOWN) and state["documents"] == 4 and state["df"] == {"w": 2, "x": 1}
    torch.save({"ranker": state}, tmp_path / "old.pt")
    loaded = ranker_from_state(torch.load(tmp_path / "old.pt", weights_only=True)["ranker"])
    assert loaded.rarity is not None and loaded.rarity.df == old.rarity.df
    tokens = ["W", "x", "y", "w"]
    idf = loaded.token_idf(tokens)
    expected = [math.log(5 / 3), math.log(5 / 2), math.log(5), math.log(5 / 3)]  # log((1 + N) / (1 + df)), lowercased
    assert idf == old.token_idf(tokens) == pytest.approx(expected)
    for _, f, _ in phrases([("w",), ("x",), ("y",), ("w",)], [0.5] * 4, [0, 1, 2, 3], [1] * 4, 4, idf):
        assert loaded.score(f) == old.score(f)


def late_first_state() -> dict:
    """A hand-made ranker that ranks phrases first seen late first: the hand rule's order reversed, nearly."""
    weights = [0.0] * len(FEATURES)
    weights[FEATURES.index("first")] = 5.0
    return PhraseRanker(weights, 0.0, [0.0] * len(FEATURES), [1.0] * len(FEATURES)).state()


@pytest.fixture()
def late_first_checkpoint(tiny_checkpoint, tmp_path):
    ckpt = torch.load(tiny_checkpoint, weights_only=True)
    ckpt[CHECKPOINT_KEY]["ranker"] = late_first_state()
    path = tmp_path / "late.ckpt"
    torch.save(ckpt, path)
    return path


def test_a_fit_keeps_its_choice_in_the_checkpoint(tiny_checkpoint):
    meta = read_checkpoint(tiny_checkpoint)[CHECKPOINT_KEY]
    assert meta["ranker"]["kind"] in ("hand", "logistic") and "scorer" not in meta
    assert set(meta["ranker"]["validation"]) >= {"hand", "documents"}  # the figures it was chosen by
    ckpt = torch.load(tiny_checkpoint, weights_only=True)
    ckpt[CHECKPOINT_KEY]["ranker"] = {**late_first_state(), "bias": "x"}
    torch.save(ckpt, tiny_checkpoint)
    with pytest.raises(CheckpointError, match="ranker"):
        read_checkpoint(tiny_checkpoint)


def test_a_checkpoint_of_an_earlier_release_keeps_its_ranker_under_scorer(tiny_checkpoint, tmp_path):
    from keyword_lightning import KeywordExtractor

    ckpt = torch.load(tiny_checkpoint, weights_only=True)
    del ckpt[CHECKPOINT_KEY]["ranker"]
    ckpt[CHECKPOINT_KEY]["scorer"] = late_first_state()  # where releases before this one kept it
    torch.save(ckpt, tmp_path / "old.ckpt")
    assert KeywordExtractor.from_checkpoint(tmp_path / "old.ckpt", threads=1).ranker.state() == late_first_state()


def test_the_checkpoint_ranker_ranks_keyphrases_unless_hand_is_asked(late_first_checkpoint, tmp_path):
    from keyword_lightning import KeywordExtractor

    learned = KeywordExtractor.from_checkpoint(late_first_checkpoint, threads=1)
    hand = KeywordExtractor.from_checkpoint(late_first_checkpoint, threads=1, decoding=Decoding(ranker="hand"))
    (record,) = learned.predict([TEXT])
    ranked, by_hand = learned.keyphrases(TEXT), hand.keyphrases(TEXT)
    assert len(ranked) >= 2 and [k["text"] for k in ranked] != [k["text"] for k in by_hand]
    assert by_hand == rank_record(record)  # the hand rule, as before rankers
    firsts = [min(s for s, _ in k["occurrences"]) for k in ranked]
    assert firsts == sorted(firsts, reverse=True)  # this ranker: first seen late, first
    # predict: the records' ranked field; --model.decoding.ranker hand: the hand rule.
    (tmp_path / "in.txt").write_text(TEXT + "\n")
    args = [
        "predict",
        "--ckpt_path",
        late_first_checkpoint,
        "--data.predict_file",
        "in.txt",
        "--trainer.callbacks.output_path",
        "-",
        "--model.decoding.ranker",
        "hand",
    ]
    (written,) = [json.loads(line) for line in run_cli(args, tmp_path, env=run_env()).stdout.splitlines()]
    assert written["ranked"] == rank_record(written) == rank_record(record)


@pytest.mark.parametrize("reads", [FEATURES, KNOWN], ids=["this-release", "with-rarity"])
def test_test_ranks_with_the_checkpoint_ranker(reads, tiny_checkpoint, tiny_corpus, tmp_path):
    import lightning as L

    from keyword_lightning import JointRNN, KeywordDataModule

    weights = [5.0 if name == "first" else 0.0 for name in reads]
    table = Rarity({"graph": 1}, 2) if "rarity" in reads else None
    state = PhraseRanker(weights, 0.0, [0.0] * len(reads), [1.0] * len(reads), table, features=reads).state()
    ckpt = torch.load(tiny_checkpoint, weights_only=True)
    ckpt[CHECKPOINT_KEY]["ranker"] = state
    torch.save(ckpt, tmp_path / "s.ckpt")
    model = JointRNN.load_from_checkpoint(tmp_path / "s.ckpt", map_location="cpu", weights_only=True)
    assert model.ranker.state() == state
    seen = []
    update = model.test_metrics.ranked.update
    model.test_metrics.ranked.update = lambda *args: seen.append(args[5:]) or update(*args)
    trainer = L.Trainer(logger=False, enable_progress_bar=False, enable_model_summary=False)
    trainer.test(model, KeywordDataModule(str(tiny_corpus), batch_size=4), verbose=False)
    assert seen and all(ranker is model.ranker for ranker, _ in seen)
    assert all((idf is not None) == (table is not None) for _, idf in seen)  # a table's IDF only for a ranker with one


def test_choosing_a_ranker_does_not_change_training(tiny_corpus, tmp_path):
    dropout = {"network": {"dropout": 0.3}}  # draws from the RNG in every step: a draw elsewhere would shift it
    _, auto, _ = fit_tiny(tiny_corpus, tmp_path / "a", epochs=2, model_kw=dropout)
    _, hand, _ = fit_tiny(tiny_corpus, tmp_path / "h", epochs=2, model_kw={**dropout, "decoding": {"ranker": "hand"}})
    assert "learned" in auto.ranker_choice.figures and set(hand.ranker_choice.figures) == {"macro_f1@10", "documents"}
    for (name, a), (_, h) in zip(auto.state_dict().items(), hand.state_dict().items()):
        assert torch.equal(a, h), name


def test_a_state_as_the_release_before_wrote_it_scores_as_it_did():
    """A literal state in the shape 0fb2210 wrote (``rarity`` last among its features, a ``df`` table): rarity alone
    decides here, so each score is a hand-computed sigmoid of an IDF."""
    old = {
        "kind": "logistic",
        "features": [
            "count",
            "score_sum",
            "score_max",
            "score_mean",
            "first",
            "last",
            "spread",
            "length",
            "in_head",
            "rarity",
        ],
        "weights": [0.0] * 9 + [1.0],
        "bias": 0.0,
        "mean": [0.0] * 10,
        "scale": [1.0] * 10,
        "lowercase": True,
        "documents": 3,
        "df": {"graph": 1, "the": 3},
        "validation": {"hand": 0.4, "learned": 0.5, "documents": 3},
    }
    ranker = ranker_from_state(old)
    tokens = ["Graph", "the", "unseen"]
    idf = ranker.token_idf(tokens)
    assert idf == pytest.approx([math.log(4 / 2), math.log(4 / 4), math.log(4)])  # log((1 + N) / (1 + df))
    found = {key: f for key, f, _ in phrases([("graph",), ("unseen",)], [0.5, 0.9], [0, 2], [1, 1], 3, idf)}
    assert ranker.score(found[("graph",)]) == 0.666667  # sigmoid(log 2) = 2/3, rounded to 6 digits
    assert ranker.score(found[("unseen",)]) == 0.8  # sigmoid(log 4) = 4/5


def test_the_macro_f1_of_a_fit_on_several_corpora_is_the_mean_of_each_ones():
    """``val/macro_f1@10``: each validation corpus's F1@10 by the hand rule, averaged, so none outweighs another."""
    from keyword_lightning.model.ranker import RankerChoice

    docs = toy_documents(6)
    news = [d._replace(gold=[d.keys[0]]) for d in toy_documents(4)]  # another corpus, its gold the first negative
    choice = RankerChoice()
    choice.documents, choice.groups = [*docs, *news], ["science"] * 6 + ["news"] * 4
    figures = choice.choose(world_size=1, lowercase=True)
    assert figures["macro_f1@10"] == pytest.approx((f1_at(HAND, docs) + f1_at(HAND, news)) / 2)
    assert figures["documents"] == 10 and f1_at(HAND, docs) != f1_at(HAND, news)
    assert choice.documents == [] and choice.groups == []  # forgotten for the next epoch
