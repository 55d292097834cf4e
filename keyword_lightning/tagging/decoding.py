"""From the two heads' logits to S/B/M/E/O tags: fusion, Viterbi or argmax, per-token probabilities.

Shared by the LightningModule (validation, test, predict) and ``KeywordExtractor``, so a
checkpoint decodes the same way everywhere. The transition constraints and Viterbi itself
are in ``viterbi.py`` (pure logic).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from keyword_lightning.tagging.schemes import KEYWORD_OF_TAG, O
from keyword_lightning.tagging.viterbi import viterbi_decode, viterbi_decode_transitions

if TYPE_CHECKING:
    from keyword_lightning.tagging.crf import TagCRF

DECODERS = ("viterbi", "argmax")
RANKERS = ("auto", "hand")


@dataclass(frozen=True)
class Decoding:
    """``model.decoding``: how trained weights are decoded; settable at test or predict time without retraining.

    Args:
        decoder: ``viterbi`` (only valid S/B/M/E/O sequences) or ``argmax``.
        fusion_weight: Viterbi scores add this times head 1's log-probability (keyword for
            S/B/M/E, not-keyword for O) to head 2's; 0 decodes head 2 alone.
        ranker: how a document's unique phrases are ranked (the records' ``ranked``, ``test/f1@k``):
            ``auto``, the ranker kept in the checkpoint (chosen on validation by a fit: a learned one
            when it beat the hand rule there, ``model/ranker.py``; or fitted by ``fit-ranker``);
            ``hand``, the hand rule always (and in fit, no ranker is fitted).

    """

    decoder: str = "viterbi"
    fusion_weight: float = 0.0
    ranker: str = "auto"

    def __post_init__(self) -> None:
        if self.decoder not in DECODERS:
            raise ValueError(f"decoder must be one of {', '.join(DECODERS)}, got {self.decoder!r}")
        if self.ranker not in RANKERS:
            raise ValueError(f"ranker must be one of {', '.join(RANKERS)}, got {self.ranker!r}")


DEFAULT_DECODING = Decoding()


def tag_scores(logits1: torch.Tensor, logits2: torch.Tensor, fusion_weight: float = 0.0) -> torch.Tensor:
    """Per-token S/B/M/E/O log-scores [B,T,5]: head 2, plus ``fusion_weight`` times head 1.

    Head 1's log P(keyword) goes to S, B, M and E, its log P(not keyword) to O, so the two
    heads vote together; the result is renormalised to log-probabilities.
    """
    scores = logits2.float().log_softmax(dim=-1)
    if fusion_weight:
        head1 = logits1.float().log_softmax(dim=-1)  # [B,T,2]
        scores = (scores + fusion_weight * head1[..., list(KEYWORD_OF_TAG)]).log_softmax(dim=-1)
    return scores


def decode(
    scores: torch.Tensor, lengths: torch.Tensor, decoder: str = "viterbi", crf: TagCRF | None = None
) -> torch.Tensor:
    """S/B/M/E/O ids [B,T] from ``tag_scores``, by Viterbi (with the ``crf``'s transition scores) or argmax."""
    if decoder == "argmax":
        return scores.argmax(dim=-1)
    if crf is not None:
        return viterbi_decode_transitions(scores, lengths, *crf.viterbi_scores())
    return viterbi_decode(scores, lengths)


def tag_probabilities(scores: torch.Tensor, tags: torch.Tensor) -> torch.Tensor:
    """Each token's probability [B,T] of its decoded tag, from ``tag_scores`` [B,T,5] and ``tags`` [B,T]."""
    return scores.exp().gather(-1, tags.unsqueeze(-1)).squeeze(-1)


def tag_batch(
    logits1: torch.Tensor,
    logits2: torch.Tensor,
    lengths: torch.Tensor,
    index: torch.Tensor,
    decoding: Decoding,
    crf: TagCRF | None = None,
) -> dict[str, Any]:
    """Decoded tags, each token's probability of its tag and of a keyword tag, per item (pads cut off).

    Returns ``{"index": [B], "tags": [[...], ...], "probs": [[...], ...], "keyness": [[...], ...]}``:
    plain lists, what ``predictions.stitch`` joins back into documents. ``keyness`` is 1 - P(O), the
    tagger's soft score of every token, which a candidate ranker reads (``scoring/candidates.py``).
    """
    scores = tag_scores(logits1, logits2, decoding.fusion_weight)
    tags = decode(scores, lengths, decoding.decoder, crf)
    probs = tag_probabilities(scores, tags)
    keyness = keyness_of(scores)
    n = lengths.tolist()
    return {
        "index": index.tolist(),
        "tags": [t[:k] for t, k in zip(tags.tolist(), n)],
        "probs": [p[:k] for p, k in zip(probs.tolist(), n)],
        "keyness": [p[:k] for p, k in zip(keyness.tolist(), n)],
    }


def keyness_of(scores: torch.Tensor) -> torch.Tensor:
    """Each token's probability [B,T] of a keyword tag (S, B, M or E: 1 - P(O)), from ``tag_scores`` [B,T,5]."""
    return 1 - scores[..., O].exp()
