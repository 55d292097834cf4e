"""The model's ranker as a fit chooses it: fitted on the validation documents, chosen there, kept in the checkpoint.

``JointRNN`` hands each validation batch's decoded tags to ``RankerChoice.collect`` (not in the
sanity check): each document's predicted phrases, their tag-probability scores and keys (stem
ids), its length, its gold keys (the spans of ``labels2``, keyed by the same stem ids: as
``RankedKeyphraseF1`` reads them) and its corpus. At the end of the epoch ``choose`` fits a
``scoring.phrase_ranker.PhraseRanker`` and keeps it only if it beats the hand rule by 2-fold
cross-fitting on those documents (``phrase_ranker.choose``; with ``model.decoding.ranker: hand``
none is fitted), and reports ``macro_f1@10``, the mean over the corpora of each one's F1@10. A candidate
ranker (``scoring/candidate_ranker.py``) reads raw text, which validation batches do not carry: it is
fitted afterwards, by ``keyword-lightning fit-ranker``.

Why the validation split and not the training split: the tagger is overconfident on the
documents it was trained on (its tag probabilities are near 1 and it finds nearly every gold
phrase there), so their features are not what it produces on new text; on validation documents
they are. Collecting costs a few ms per batch (the tags are on the host once, as the test metric
reads them) and draws nothing from any random generator, so the tagger trains exactly as without it.
Under DDP every rank's documents are gathered to every rank (``all_gather_object``) and each fits
the same ranker from the same documents (Newton's method: deterministic).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
import torch.distributed as dist

from keyword_lightning.data.vocabulary import SPECIALS
from keyword_lightning.scoring.keyphrases import HAND, span_occurrences
from keyword_lightning.scoring.phrase_ranker import TaggedDocument, choose, f1_at
from keyword_lightning.scoring.rankers import ranker_from_state
from keyword_lightning.tagging.schemes import sbmeo_to_spans


class RankerChoice:
    """The validation documents of an epoch, and the ranker chosen on them (``HAND`` until then)."""

    def __init__(self) -> None:
        self.documents: list[TaggedDocument] = []
        self.groups: list[str] = []  # each document's corpus ("" for a dataset of one)
        self.ranker: Any = HAND
        self.figures: dict[str, float] = {}  # F1@10 of the hand rule and the learned ranker, cross-fitted

    def collect(
        self,
        tags: torch.Tensor,
        probs: torch.Tensor,
        labels: torch.Tensor,
        stems: torch.Tensor,
        lengths: torch.Tensor,
        groups: Sequence[str] | None = None,
    ) -> None:
        """Keep a batch's documents: predicted spans of ``tags`` [B,T] scored by ``probs``, gold spans of ``labels``.

        ``groups``: each document's corpus (None: one corpus), for ``macro_f1@10``.
        """
        self.groups += list(groups) if groups is not None else [""] * len(lengths)
        for p, q, t, s, n in zip(tags.tolist(), probs.tolist(), labels.tolist(), stems.tolist(), lengths.tolist()):
            gold = list(dict.fromkeys(tuple(s[a : b + 1]) for a, b in sbmeo_to_spans(t[:n])))
            self.documents.append(TaggedDocument(*span_occurrences(sbmeo_to_spans(p[:n]), q, s), n, gold))

    def choose(self, world_size: int, lowercase: bool, fit: bool = True) -> dict[str, float]:
        """Fit and choose on the documents collected (every rank's); forget them; the figures (empty: none).

        ``fit`` False (``decoding.ranker: hand``): no ranker is fitted, the figures are the macro alone.

        Besides ``phrase_ranker.choose``'s figures, ``macro_f1@10``: the mean over the documents'
        corpora of each one's F1@10 by the hand rule, so that a fit on several corpora can be
        chosen without trading one for another (no ranker is fitted for it: no optimism).
        """
        documents, groups, self.documents, self.groups = self.documents, self.groups, [], []
        if world_size > 1 and dist.is_available() and dist.is_initialized():
            shares: list[list[tuple[TaggedDocument, str]] | None] = [None] * world_size
            dist.all_gather_object(shares, list(zip(documents, groups)))
            pairs = [pair for share in shares for pair in share or []]
            documents, groups = [d for d, _ in pairs], [g for _, g in pairs]
        if not documents:
            return {}
        self.ranker, self.figures = choose(documents, lowercase) if fit else (HAND, {})
        by_group = {g: [d for d, h in zip(documents, groups) if h == g] for g in dict.fromkeys(groups)}
        macro = sum(f1_at(HAND, docs) for docs in by_group.values()) / len(by_group)
        self.figures = {**self.figures, "macro_f1@10": macro, "documents": len(documents)}
        return self.figures

    def state(self) -> dict[str, Any]:
        """The chosen ranker's state, with the validation figures it was chosen by (plain values)."""
        figures = {k: v for k, v in self.figures.items() if not (isinstance(v, float) and math.isnan(v))}
        return {**self.ranker.state(), **({"validation": figures} if figures else {})}

    def load(self, state: dict[str, Any] | None) -> None:
        """Restore a checkpoint's ranker (None: a checkpoint from before rankers, so the hand rule)."""
        self.ranker = ranker_from_state(state)
        self.figures = dict((state or {}).get("validation") or {})


def rarity_idf(ranker: Any, words: torch.Tensor, vocabulary: Sequence[str] | None) -> torch.Tensor | None:
    """Each token's IDF [B,T] in the table of a ranker of earlier releases, from vocabulary rows ``words`` [B,T].

    None for every ranker this release fits (none reads ``rarity``): ``test/f1@k`` ranks as the records do.
    """
    rarity = getattr(ranker, "rarity", None)
    if rarity is None or vocabulary is None:
        return None
    rows = rarity.token_idf([None if i < len(SPECIALS) else w for i, w in enumerate(vocabulary)])
    return torch.tensor(rows, dtype=torch.float32, device=words.device)[words.clamp(min=0)]
