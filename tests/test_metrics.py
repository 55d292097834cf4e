import pytest
import torch
from torchmetrics.classification import BinaryAccuracy, MulticlassAccuracy
from torchmetrics.utilities.data import dim_zero_sum

from keyword_lightning.metrics import KeyphraseSetF1, MaskedAccuracy, PhraseF1
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


def test_keyphrase_set_f1_against_a_hand_count():
    metric = KeyphraseSetF1()
    # doc 0 words: a b a b c ; gold "a b" twice (one phrase) and "c"; predicted "a b" once and "b"
    # doc 1 words: d e d     ; gold "d e"; predicted "d" and "d" (one phrase, wrong)
    types = torch.tensor([[0, 1, 0, 1, 2], [3, 4, 3, -1, -1]])
    target = torch.tensor([[B, E, B, E, S], [B, E, O, P, P]])
    preds = torch.tensor([[O, S, B, E, O], [S, O, S, O, O]])
    metric.update(preds, target, types)
    out = metric.compute()
    # micro: tp = 1 ("a b"), predicted = 2 + 1, gold = 2 + 1
    assert (metric.true_positives, metric.predicted, metric.gold) == (1, 3, 3)
    assert out["f1"].item() == pytest.approx(2 * 1 / 6)
    # macro: doc 0 F1 = 2*1/(2+2) = 0.5, doc 1 F1 = 0
    assert out["macro_f1"].item() == pytest.approx(0.25)


def test_keyphrase_set_f1_skips_documents_without_gold_in_the_macro_mean():
    metric = KeyphraseSetF1()
    metric.update(torch.tensor([[S, O], [S, O]]), torch.tensor([[O, O], [S, O]]), torch.tensor([[5, 6], [5, 6]]))
    out = metric.compute()
    assert metric.documents == 1 and out["macro_f1"].item() == 1.0
    assert out["precision"].item() == pytest.approx(0.5)  # the first document's phrase is a false positive


@pytest.mark.parametrize("seed", range(5))
def test_masked_accuracy_matches_torchmetrics_with_ignore_index(seed):
    g = torch.Generator().manual_seed(seed)
    preds = torch.randint(0, 5, (4, 9), generator=g)
    target = torch.randint(0, 5, (4, 9), generator=g)
    target[torch.rand(4, 9, generator=g) < 0.3] = P
    ours = MaskedAccuracy()
    ours.update(preds, target, target != P)
    reference = MulticlassAccuracy(5, average="micro", ignore_index=P)(preds, target)
    assert ours.compute().item() == pytest.approx(reference.item(), abs=1e-6)  # theirs is float32
    binary = MaskedAccuracy()
    bp, bt = preds % 2, torch.where(target == P, P, target % 2)
    binary.update(bp, bt, bt != P)
    assert binary.compute().item() == pytest.approx(BinaryAccuracy(ignore_index=P)(bp, bt).item(), abs=1e-6)
