"""The CRF of head 2 (tagging/crf.py): its likelihood against enumeration, its gradient, training with it."""

import itertools

import numpy as np
import pytest
import torch

from keyword_lightning import tagging as tg
from keyword_lightning.tagging.crf import TagCRF, head2_loss


def _valid(tags) -> bool:
    ok = tg.START_ALLOWED[tags[0]] and tg.END_ALLOWED[tags[-1]]
    return bool(ok and all(tg.ALLOWED[a, b] for a, b in zip(tags, tags[1:])))


def _random_crf(seed: int) -> TagCRF:
    crf = TagCRF()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in crf.parameters():
            p.copy_(torch.randn(p.shape, generator=gen))
    return crf


def _score(crf: TagCRF, em: torch.Tensor, tags) -> float:
    t, s, e = (p.detach().double() for p in (crf.transitions, crf.start, crf.end))
    total = float(s[tags[0]] + e[tags[-1]]) + sum(float(em[i, k]) for i, k in enumerate(tags))
    return total + sum(float(t[a, b]) for a, b in zip(tags, tags[1:]))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nll_is_minus_log_of_the_gold_sequences_share_among_all_valid_ones(seed):
    crf = _random_crf(seed)
    gen = torch.Generator().manual_seed(seed + 10)
    lengths = torch.tensor([4, 1, 3])
    em = torch.randn(3, 4, 5, generator=gen)
    gold = [[1, 2, 3, 4], [0], [4, 1, 3]]  # B M E O / S / O B E
    tags = torch.full((3, 4), tg.IGNORE_INDEX)
    for b, seq in enumerate(gold):
        tags[b, : len(seq)] = torch.tensor(seq)
    nll = crf.nll(em, tags, lengths).detach()
    for b, seq in enumerate(gold):
        n = len(seq)
        scores = [_score(crf, em[b], list(c)) for c in itertools.product(range(5), repeat=n) if _valid(list(c))]
        expected = float(np.logaddexp.reduce(scores)) - _score(crf, em[b], seq)
        assert float(nll[b]) == pytest.approx(expected, abs=1e-4)


def test_nll_of_an_empty_sequence_is_zero_and_gradients_are_finite():
    crf = _random_crf(4)
    em = torch.randn(2, 3, 5, requires_grad=True)
    tags = torch.tensor([[0, 4, 1], [tg.IGNORE_INDEX] * 3])
    tags[0, 2] = tg.IGNORE_INDEX  # length 2: S O
    nll = crf.nll(em, tags, torch.tensor([2, 0]))
    assert float(nll[1]) == 0.0
    nll.sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in crf.parameters()) and torch.isfinite(em.grad).all()
    assert crf.transitions.grad[tg.O, tg.M] == 0  # a forbidden transition learns nothing
    assert crf.nll(torch.zeros(2, 0, 5), torch.zeros(2, 0, dtype=torch.long), torch.zeros(2)).tolist() == [0, 0]


def test_head2_loss_is_cross_entropy_without_a_crf_and_per_token_nll_with_one():
    em = torch.randn(2, 3, 5)
    tags = torch.tensor([[1, 3, 4], [0, tg.IGNORE_INDEX, tg.IGNORE_INDEX]])
    lengths = torch.tensor([3, 1])
    ce = torch.nn.functional.cross_entropy(em.flatten(0, 1), tags.flatten(), ignore_index=tg.IGNORE_INDEX)
    assert torch.allclose(head2_loss(em, tags, lengths, None), ce)
    crf = _random_crf(5)
    assert torch.allclose(head2_loss(em, tags, lengths, crf), crf.nll(em, tags, lengths).sum() / 4)


def test_a_crf_model_trains_saves_loads_and_predicts(tiny_corpus, tmp_path):
    from conftest import fit_tiny

    from keyword_lightning.inference.extractor import KeywordExtractor

    trainer, model, _ = fit_tiny(tiny_corpus, tmp_path / "fit", epochs=20, model_kw={"network": {"crf": True}})
    assert model.net.crf is not None and model.net.crf.transitions.abs().sum() > 0  # it learned transitions
    assert trainer.callback_metrics["val/phrase_f1"] > 0.5
    path = tmp_path / "crf.ckpt"
    trainer.save_checkpoint(path)
    torch.load(path, weights_only=True)  # nothing pickled
    extractor = KeywordExtractor.from_checkpoint(path)
    assert extractor.net.crf is not None
    assert torch.equal(extractor.net.crf.transitions, model.net.crf.transitions.cpu())
    records = extractor.predict(["", "deep learning for keyphrase extraction"])
    assert records[0]["keyphrases"] == [] and len(records[1]["tags"]) == 5
