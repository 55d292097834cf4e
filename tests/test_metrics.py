import pytest
import torch
from torchmetrics.classification import BinaryAccuracy, MulticlassAccuracy
from torchmetrics.utilities.data import dim_zero_sum

from keyword_lightning.scoring.metrics import KeyphraseSetF1, PhraseF1, RankedKeyphraseF1
from keyword_lightning.scoring.token_metrics import MaskedAccuracy
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


def _ranked_batch():
    """Three documents (see test_ranked_keyphrase_f1_against_a_hand_count), padded to one batch."""
    S, B, E, O = 0, 1, 3, 4
    docs = []
    # 1: predicted (0,0) "x" 0.9, (2,3) 0.8, (5,5) "x" again 0.95; gold (0,0) "x", (6,7), which
    # only stemming matches to (2,3).
    docs.append(
        (
            [S, O, B, E, O, S, O, O],
            [0.9, 1, 0.8, 0.8, 1, 0.95, 1, 1],
            [S, O, O, O, O, O, B, E],
            [1, 9, 2, 3, 9, 1, 9, 9],
            [1, 9, 5, 6, 9, 1, 5, 6],
        )
    )
    # 2: twelve one-token phrases, best first in text order; gold: the 1st, 7th and 12th.
    tags = [S, O] * 12
    gold = [O] * 24
    for i in (0, 6, 11):
        gold[2 * i] = S
    ids = [100 + i // 2 for i in range(24)]
    docs.append((tags, [0.99 - 0.01 * (i // 2) for i in range(24)], gold, ids, ids))
    # 3: one prediction, no gold.
    docs.append(([S], [0.5], [O], [7], [7]))
    length = max(len(d[0]) for d in docs)

    def pad(values, fill):
        return [v + [fill] * (length - len(v)) for v in values]

    preds, probs, target, exact, stems = zip(*docs)
    return (
        torch.tensor(pad(preds, O)),
        torch.tensor(pad(probs, 1.0)),
        torch.tensor(pad(target, IGNORE_INDEX)),
        torch.tensor(pad(exact, -1)),
        torch.tensor(pad(stems, -1)),
    )


def test_ranked_keyphrase_f1_against_a_hand_count():
    metric = RankedKeyphraseF1()
    metric.update(*_ranked_batch())
    out = {k: float(v) for k, v in metric.compute().items()}
    # exact: tp / predicted / gold per cut, summed over the documents (gold 2 + 3 + 0 = 5)
    #   @5: 1+1 / 2+5+1    @10: 1+2 / 2+10+1    @M: 1+3 / 2+12+1
    expected = {
        "f1@5": 4 / 13,
        "f1@10": 6 / 18,
        "f1@M": 8 / 20,
        "macro_f1@M": (0.5 + 6 / 15) / 2,
        "f1@5_stem": 6 / 13,
        "f1@10_stem": 8 / 18,
        "f1@M_stem": 10 / 20,
        "macro_f1@M_stem": (1.0 + 6 / 15) / 2,
    }
    assert out == pytest.approx(expected, abs=1e-12)


def test_ranked_keyphrase_f1_states_merge_across_batches():
    whole = RankedKeyphraseF1()
    whole.update(*_ranked_batch())
    parts = [RankedKeyphraseF1(), RankedKeyphraseF1()]
    batch = _ranked_batch()
    parts[0].update(*(t[:1] for t in batch))
    parts[1].update(*(t[1:] for t in batch))
    parts[0].merge_state(parts[1])
    assert {k: float(v) for k, v in parts[0].compute().items()} == {k: float(v) for k, v in whole.compute().items()}
