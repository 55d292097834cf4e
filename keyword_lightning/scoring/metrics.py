"""Keyphrase metrics as torchmetrics ``Metric`` classes (sum states, so exact under DDP)."""

from __future__ import annotations

from typing import Any

import torch
from torchmetrics import Metric

from keyword_lightning.scoring.keyphrases import rank_occurrences, span_occurrences
from keyword_lightning.scoring.ranking import ALL, hits_at
from keyword_lightning.tagging.schemes import IGNORE_INDEX, sbmeo_to_spans


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


class RankedKeyphraseF1(Metric):
    """F1@5, F1@10 and F1@M of each document's unique keyphrases, exact and Porter-stemmed.

    Inputs to ``update``:
        preds: int ``[B, T]`` S/B/M/E/O tag ids (decoded predictions).
        probs: float ``[B, T]`` the model's probability of each predicted tag.
        target: int ``[B, T]`` gold S/B/M/E/O ids, ``IGNORE_INDEX`` on padding.
        exact: int ``[B, T]`` an id per token, equal exactly when the lowercased tokens are equal
            (``Batch.types``).
        stems: int ``[B, T]`` an id per token, equal exactly when their Porter stems are equal
            (``Batch.stems``).

        ranker: what scores a phrase's document-level features (``keyphrases.HAND`` or a learned
            ``phrase_ranker.PhraseRanker``; None: the hand rule), as the model's records are ranked.
            A candidate ranker reads raw text, which batches do not carry: the caller passes the
            hand rule then (``JointRNN.test_step``).
        idf: float ``[B, T]`` each token's IDF in the ranker's table (``phrase_ranker.Rarity``), or None.

    Per document, the predicted spans (``tagging.sbmeo_to_spans``), scored by
    ``ranking.phrase_score``, are ranked as the records' ``ranked`` field is
    (``keyphrases.rank_occurrences``: grouped by their tokens' stem ids, best document-level score
    first, ties in text order); a group's ``exact`` key is that of its first occurrence. The gold
    phrases are the unique keys of the gold spans. For a cut ``k`` (5, 10, or M = all)
    with ``tp_d`` gold phrases among the top ``k`` and ``p_d = min(k, predicted)``, summed over
    documents (micro): ``f1@k = 2 sum tp_d / (sum p_d + sum g_d)``. ``macro_f1@M`` is the mean of
    the per-document F1@M over documents with gold phrases. Keys: ``f1@5``, ``f1@10``, ``f1@M``,
    ``macro_f1@M``, and the same with ``_stem``.
    """

    full_state_update = False
    is_differentiable = False
    higher_is_better = True
    MATCHES = ("exact", "stem")
    CUTS = (5, 10, ALL)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        for m in self.MATCHES:
            self.add_state(f"gold_{m}", torch.tensor(0, dtype=torch.long), dist_reduce_fx="sum")
            self.add_state(f"macro_{m}", torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")
            for k in self.CUTS:
                self.add_state(f"tp_{m}_{k}", torch.tensor(0, dtype=torch.long), dist_reduce_fx="sum")
                self.add_state(f"pred_{m}_{k}", torch.tensor(0, dtype=torch.long), dist_reduce_fx="sum")
        self.add_state("documents", torch.tensor(0, dtype=torch.long), dist_reduce_fx="sum")

    def update(
        self,
        preds: torch.Tensor,
        probs: torch.Tensor,
        target: torch.Tensor,
        exact: torch.Tensor,
        stems: torch.Tensor,
        ranker: Any = None,
        idf: torch.Tensor | None = None,
    ) -> None:
        """Add the ranked phrases of a batch of documents."""
        lengths = (target != IGNORE_INDEX).sum(dim=1).tolist()
        counts: dict[str, float] = {}
        docs = 0
        idfs = idf.tolist() if idf is not None else [None] * len(lengths)
        rows = zip(preds.tolist(), probs.tolist(), target.tolist(), exact.tolist(), stems.tolist(), lengths, idfs)
        for p, q, t, e, s, n, f in rows:
            spans, gold_spans = sbmeo_to_spans(p[:n]), sbmeo_to_spans(t[:n])
            token_idf = f[:n] if f is not None else None
            groups = rank_occurrences(*span_occurrences(spans, q, s), n, ranker, token_idf)
            firsts = [spans[members[0]] for _, _, members in groups]  # each keyphrase's first occurrence
            docs += bool(gold_spans)
            for m, ids in zip(self.MATCHES, (e, s)):
                gold = {tuple(ids[a : b + 1]) for a, b in gold_spans}
                ranked = list(dict.fromkeys(tuple(ids[a : b + 1]) for a, b in firsts))
                counts[f"gold_{m}"] = counts.get(f"gold_{m}", 0) + len(gold)
                for k in self.CUTS:
                    tp, pred = hits_at(ranked, gold, k)
                    counts[f"tp_{m}_{k}"] = counts.get(f"tp_{m}_{k}", 0) + tp
                    counts[f"pred_{m}_{k}"] = counts.get(f"pred_{m}_{k}", 0) + pred
                    if k == ALL and gold:
                        counts[f"macro_{m}"] = counts.get(f"macro_{m}", 0.0) + 2 * tp / (pred + len(gold))
        for name, value in counts.items():  # not in place (see PhraseF1.update)
            setattr(self, name, getattr(self, name) + value)
        self.documents = self.documents + docs

    def compute(self) -> dict[str, torch.Tensor]:
        """``{"f1@5", "f1@10", "f1@M", "macro_f1@M"}`` and each with ``_stem`` (0 where undefined)."""
        out = {}
        docs = self.documents.double()
        for m in self.MATCHES:
            suffix = "" if m == "exact" else "_stem"
            gold = getattr(self, f"gold_{m}")
            for k in self.CUTS:
                out[f"f1@{k}{suffix}"] = _prf(getattr(self, f"tp_{m}_{k}"), getattr(self, f"pred_{m}_{k}"), gold)["f1"]
            macro = getattr(self, f"macro_{m}")
            out[f"macro_f1@M{suffix}"] = macro / docs if docs > 0 else torch.zeros_like(macro)
        return out
