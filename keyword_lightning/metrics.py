"""Keyphrase metrics as torchmetrics ``Metric`` classes (sum states, so exact under DDP)."""

from __future__ import annotations

import torch
from torchmetrics import Metric, MetricCollection
from torchmetrics.classification import BinaryF1Score

from keyword_lightning.tagging import IGNORE_INDEX, sbmeo_to_spans


def _prf(tp: torch.Tensor, pred: torch.Tensor, gold: torch.Tensor) -> dict[str, torch.Tensor]:
    """Precision, recall and F1 from counts, in float64 (0 where undefined)."""
    tp, pred, gold = tp.double(), pred.double(), gold.double()
    p = tp / pred if pred > 0 else torch.zeros_like(tp)
    r = tp / gold if gold > 0 else torch.zeros_like(tp)
    f = 2 * tp / (pred + gold) if (pred + gold) > 0 else torch.zeros_like(tp)
    return {"precision": p, "recall": r, "f1": f}


class MaskedAccuracy(Metric):
    """Token accuracy over the real tokens of padded batches, without a host sync per update.

    Inputs to ``update``:
        preds: int ``[B, T]`` predicted class ids.
        target: int ``[B, T]`` gold class ids.
        mask: bool ``[B, T]``, True at real tokens.

    ``compute`` returns ``sum(mask & (preds == target)) / sum(mask)`` (0 without real tokens).
    torchmetrics' own accuracy drops ignored tokens by boolean indexing, which makes every
    update wait for the GPU; here both counts stay on the device until ``compute``.
    """

    full_state_update = False
    is_differentiable = False
    higher_is_better = True

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.add_state("correct", torch.tensor(0, dtype=torch.long), dist_reduce_fx="sum")
        self.add_state("total", torch.tensor(0, dtype=torch.long), dist_reduce_fx="sum")

    def update(self, preds: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> None:
        """Count the correct and the real tokens of a batch."""
        self.correct = self.correct + ((preds == target) & mask).sum()
        self.total = self.total + mask.sum()

    def compute(self) -> torch.Tensor:
        """Accuracy as a float64 scalar."""
        return self.correct.double() / self.total if self.total > 0 else torch.zeros((), dtype=torch.float64)


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


class KeyphraseSetF1(Metric):
    """Document-level keyphrase-set F1: unique lowercased phrases per document, micro and macro.

    Inputs to ``update``:
        preds: int ``[B, T]`` S/B/M/E/O tag ids (decoded predictions).
        target: int ``[B, T]`` gold S/B/M/E/O ids, ``IGNORE_INDEX`` on padding.
        types: int ``[B, T]`` an id per token that is equal exactly when the lowercased token
            strings are equal (``Batch.types``).

    Each document's predicted and gold spans become sets of phrases (the tuple of their tokens'
    ``types``), so a phrase found twice counts once and its position does not matter. With
    ``tp_d``, ``p_d``, ``g_d`` the matched, predicted and gold phrase counts of document ``d``:

        micro: precision = sum tp_d / sum p_d, recall = sum tp_d / sum g_d, f1 = 2 sum tp_d / (sum p_d + sum g_d)
        macro_f1 = mean over documents with g_d > 0 of 2 tp_d / (p_d + g_d)

    ``compute`` returns ``{"precision", "recall", "f1", "macro_f1"}`` (0 where undefined).
    """

    full_state_update = False
    is_differentiable = False
    higher_is_better = True

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        for name in ("true_positives", "predicted", "gold", "documents"):
            self.add_state(name, torch.tensor(0, dtype=torch.long), dist_reduce_fx="sum")
        self.add_state("f1_sum", torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, preds: torch.Tensor, target: torch.Tensor, types: torch.Tensor) -> None:
        """Add the phrase sets of a batch of documents."""
        lengths = (target != IGNORE_INDEX).sum(dim=1).tolist()
        tp = pred = gold = docs = 0
        f1_sum = 0.0
        for p, t, w, n in zip(preds.tolist(), target.tolist(), types.tolist(), lengths):
            ps = {tuple(w[s : e + 1]) for s, e in sbmeo_to_spans(p[:n])}
            gs = {tuple(w[s : e + 1]) for s, e in sbmeo_to_spans(t[:n])}
            hit = len(ps & gs)
            tp, pred, gold = tp + hit, pred + len(ps), gold + len(gs)
            if gs:
                docs += 1
                f1_sum += 2 * hit / (len(ps) + len(gs))
        self.true_positives = self.true_positives + tp
        self.predicted = self.predicted + pred
        self.gold = self.gold + gold
        self.documents = self.documents + docs
        self.f1_sum = self.f1_sum + f1_sum

    def compute(self) -> dict[str, torch.Tensor]:
        """``{"precision", "recall", "f1", "macro_f1"}``."""
        out = _prf(self.true_positives, self.predicted, self.gold)
        docs = self.documents.double()
        out["macro_f1"] = self.f1_sum / docs if docs > 0 else torch.zeros_like(self.f1_sum)
        return out


def token_metrics(prefix: str) -> MetricCollection:
    """Per-token metrics of both heads: ``keyword_acc``, ``keyword_f1`` (head 1), ``position_acc`` (head 2).

    Written so that an update never waits for the GPU: no boolean indexing, no input checks.
    ``keyword_f1`` is fed predictions and labels multiplied by the real-token mask, so pads count
    as true negatives, which F1 does not count.
    """
    return MetricCollection(
        {
            "keyword_acc": MaskedAccuracy(),
            "keyword_f1": BinaryF1Score(validate_args=False),
            "position_acc": MaskedAccuracy(),
        },
        prefix=prefix,
        compute_groups=False,
    )
