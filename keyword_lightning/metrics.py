"""Keyphrase metrics as torchmetrics ``Metric`` classes (sum states, so exact under DDP)."""

from __future__ import annotations

import torch
from torchmetrics import Metric

from keyword_lightning.tagging import IGNORE_INDEX, sbmeo_to_spans


def _prf(tp: torch.Tensor, pred: torch.Tensor, gold: torch.Tensor) -> dict[str, torch.Tensor]:
    """Precision, recall and F1 from counts, in float64 (0 where undefined)."""
    tp, pred, gold = tp.double(), pred.double(), gold.double()
    p = tp / pred if pred > 0 else torch.zeros_like(tp)
    r = tp / gold if gold > 0 else torch.zeros_like(tp)
    f = 2 * tp / (pred + gold) if (pred + gold) > 0 else torch.zeros_like(tp)
    return {"precision": p, "recall": r, "f1": f}


class PhraseF1(Metric):
    """Strict keyphrase span precision, recall and F1, micro-averaged over documents.

    Inputs to ``update``:
        preds: int ``[B, T]`` S/B/M/E/O tag ids (decoded predictions).
        target: int ``[B, T]`` gold S/B/M/E/O ids, ``IGNORE_INDEX`` on padding.

    Spans are read from both with ``tagging.sbmeo_to_spans`` (strict: ``S`` or ``B M* E``).
    A predicted span counts as correct only with exactly the gold start and end. With
    ``TP`` correct spans, ``P`` predicted and ``G`` gold spans summed over all documents:

        precision = TP / P,  recall = TP / G,  f1 = 2 * precision * recall / (precision + recall)

    ``compute`` returns a dict with those three (0 where undefined).
    """

    full_state_update = False
    is_differentiable = False
    higher_is_better = True

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.add_state("true_positives", torch.tensor(0, dtype=torch.long), dist_reduce_fx="sum")
        self.add_state("predicted", torch.tensor(0, dtype=torch.long), dist_reduce_fx="sum")
        self.add_state("gold", torch.tensor(0, dtype=torch.long), dist_reduce_fx="sum")

    def update(self, preds: torch.Tensor, target: torch.Tensor) -> None:
        """Add the spans of a batch of documents."""
        lengths = (target != IGNORE_INDEX).sum(dim=1).tolist()
        tp = pred = gold = 0
        for p, t, n in zip(preds.tolist(), target.tolist(), lengths):
            ps, gs = set(sbmeo_to_spans(p[:n])), set(sbmeo_to_spans(t[:n]))
            tp += len(ps & gs)
            pred += len(ps)
            gold += len(gs)
        # Not in place: states reset under inference mode (validate) must stay usable in fit.
        self.true_positives = self.true_positives + tp
        self.predicted = self.predicted + pred
        self.gold = self.gold + gold

    def compute(self) -> dict[str, torch.Tensor]:
        """``{"precision", "recall", "f1"}``."""
        return _prf(self.true_positives, self.predicted, self.gold)
