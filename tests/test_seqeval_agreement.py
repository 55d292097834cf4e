"""Our strict span F1 equals seqeval's strict IOBES F1 on the same predictions."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from seqeval.metrics import f1_score
from seqeval.scheme import IOBES

from keyword_lightning.scoring.metrics import PhraseF1
from keyword_lightning.tagging import IGNORE_INDEX

IOBES_TAGS = ["S-KEY", "B-KEY", "I-KEY", "E-KEY", "O"]  # our S/B/M/E/O ids, in order


def ours(preds: list[list[int]], gold: list[list[int]]) -> float:
    metric = PhraseF1()
    width = max(1, max(len(g) for g in gold))
    pad = [g + [IGNORE_INDEX] * (width - len(g)) for g in gold]
    pp = [p + [4] * (width - len(p)) for p in preds]
    metric.update(torch.tensor(pp), torch.tensor(pad))
    return float(metric.compute()["f1"])


def theirs(preds: list[list[int]], gold: list[list[int]]) -> float:
    y_true = [[IOBES_TAGS[t] for t in g] for g in gold]
    y_pred = [[IOBES_TAGS[t] for t in p] for p in preds]
    return f1_score(y_true, y_pred, mode="strict", scheme=IOBES, zero_division=0)


S, B, M, E, O = range(5)


@pytest.mark.parametrize(
    ("preds", "gold"),
    [
        ([[B, M, E, O, S]], [[B, M, E, O, S]]),  # perfect
        ([[B, M, O, E, S]], [[B, M, E, O, S]]),  # a B-M run broken by O
        ([[M, E, O, O, S]], [[B, E, O, O, S]]),  # E without B
        ([[B, B, E, O, O]], [[O, B, E, O, O]]),  # restarted B
        ([[O, O, O, B, E]], [[O, O, O, B, E]]),  # phrase at the document end
        ([[O, O, O, O, B]], [[O, O, O, O, S]]),  # document ends inside a phrase
        ([[B, S, E, O]], [[S, S, O, O]]),  # S inside an open phrase
        ([[], [S, O]], [[], [S, O]]),  # an empty document
        ([[O, O]], [[O, O]]),  # nothing anywhere
    ],
)
def test_edge_cases(preds, gold):
    assert ours(preds, gold) == pytest.approx(theirs(preds, gold), abs=1e-9)


tags = st.lists(st.integers(0, 4), min_size=0, max_size=15)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(tags, st.integers(0, 2**31 - 1)), min_size=1, max_size=6))
def test_random_ill_formed_sequences(docs):
    preds, gold = [], []
    for pred, seed in docs:
        rng = np.random.default_rng(seed)
        preds.append(pred)
        gold.append(rng.integers(0, 5, size=len(pred)).tolist())
    assert ours(preds, gold) == pytest.approx(theirs(preds, gold), abs=1e-9)


def test_real_test_split_with_corrupted_predictions(inspec_prepared):
    from keyword_lightning.data.formats import load_dataset
    from keyword_lightning.tagging import bio_codes_to_spans, spans_to_sbmeo

    ds = load_dataset(inspec_prepared / "data_set.pkl")
    rng = np.random.default_rng(0)
    gold, preds = [], []
    for i in range(len(ds.splits["test"])):
        codes = ds.document("test", i).codes
        g = spans_to_sbmeo(bio_codes_to_spans(codes), len(codes))
        p = np.array(g)
        flip = rng.random(len(p)) < 0.1  # 10% of tags replaced by random ones: many broken runs
        p[flip] = rng.integers(0, 5, size=flip.sum())
        gold.append(g)
        preds.append(p.tolist())
    assert ours(preds, gold) == pytest.approx(theirs(preds, gold), abs=1e-9)
    assert 0.3 < ours(preds, gold) < 0.95
