"""benchmarks/ceiling.py: its scorer, its ensemble mean, and its log-probabilities against KeywordExtractor."""

from __future__ import annotations

import torch

from benchmarks.ceiling import decoded_f1, log_probs, mean_scores
from keyword_lightning import tagging as tg


def _sure(tags: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """Log-probabilities that put almost all mass on ``tags``."""
    head2 = torch.full((len(tags), 5), -9.0)
    head2[torch.arange(len(tags)), torch.tensor(tags)] = 0.0
    return torch.zeros(len(tags), 2), head2.log_softmax(-1)


def test_strict_f1_counts_exact_spans_and_the_o_bias_removes_phrases():
    S, B, M, E, O = range(5)
    scores = [_sure([B, E, O, S]), _sure([O, O])]
    gold = [{(0, 1), (3, 3)}, {(0, 1)}]
    assert decoded_f1(scores, gold, None) == 2 * 2 / (2 + 3)
    assert decoded_f1(scores, gold, None, o_bias=20.0) == 0.0  # O wins everywhere: nothing found


def test_the_ensemble_mean_of_one_fit_with_itself_is_that_fit():
    S, B, M, E, O = range(5)
    member = [_sure([B, M, E]), _sure([S])]
    for (a1, a2), (b1, b2) in zip(mean_scores([member, member]), member):
        assert torch.allclose(a1, b1) and torch.allclose(a2, b2)


def test_log_probs_decode_to_the_extractors_own_tags(tiny_checkpoint):
    from keyword_lightning import KeywordExtractor

    extractor = KeywordExtractor.from_checkpoint(tiny_checkpoint)
    docs = [["deep", "learning", "for", "keyphrase", "extraction"], [], ["neural", "networks"]]
    scores = log_probs(extractor, docs)
    assert [s[1].shape for s in scores] == [(5, 5), (0, 5), (2, 5)]
    from keyword_lightning.data.inputs import PredictDocument

    records = extractor.tag([PredictDocument(str(i), d) for i, d in enumerate(docs)])
    for (_, head2), record in zip(scores, records):
        tags = tg.viterbi_decode(head2.unsqueeze(0), torch.tensor([head2.shape[0]]))[0].tolist()
        assert [tg.SBMEO[t] for t in tags] == record["tags"]
