import pytest
import torch
from torchmetrics.utilities.data import dim_zero_sum

from keyword_lightning.metrics import PhraseF1
from keyword_lightning.tagging import IGNORE_INDEX

S, B, M, E, O = range(5)
P = IGNORE_INDEX


def test_phrase_f1_against_a_hand_count():
    metric = PhraseF1()
    target = torch.tensor([[B, E, O, S, O, P], [B, M, E, O, S, S]])
    preds = torch.tensor([[B, E, O, O, S, S], [B, E, O, O, S, S]])
    # doc 0: gold (0,1),(3,3); predicted (0,1),(4,4) [the S at 5 is padding] -> 1 correct
    # doc 1: gold (0,2),(4,4),(5,5); predicted (0,1),(4,4),(5,5) -> 2 correct
    metric.update(preds, target)
    out = metric.compute()
    assert (metric.true_positives, metric.predicted, metric.gold) == (3, 5, 5)
    assert out["precision"].item() == pytest.approx(0.6) and out["recall"].item() == pytest.approx(0.6)
    assert out["f1"].item() == pytest.approx(0.6)


def test_phrase_f1_is_zero_without_predictions():
    metric = PhraseF1()
    metric.update(torch.tensor([[O, O]]), torch.tensor([[S, O]]))
    assert metric.compute()["f1"] == 0 and metric.compute()["precision"] == 0


def test_states_are_sums_so_batches_and_ranks_merge_exactly():
    a, b, whole = PhraseF1(), PhraseF1(), PhraseF1()
    t1, p1 = torch.tensor([[S, O, B, E]]), torch.tensor([[S, O, B, M]])
    t2, p2 = torch.tensor([[B, E, P]]), torch.tensor([[B, E, O]])
    a.update(p1, t1)
    b.update(p2, t2)
    whole.update(p1, t1)
    whole.update(p2, t2)
    a.merge_state(b)
    assert a.compute() == whole.compute()
    assert all(r is dim_zero_sum for r in a._reductions.values())  # DDP sums states
