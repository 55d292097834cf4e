"""A linear-chain CRF over head 2's S/B/M/E/O scores, and head 2's loss with or without it.

Without a CRF, head 2 is trained token by token (cross-entropy) and Viterbi only keeps the
decoded sequence valid. With one (``model.crf``), head 2's logits are the emission scores of a
CRF with a learned score for each transition between tags (and for the first and last tag):
the loss is the whole sequence's negative log-likelihood, and decoding maximises the same
sequence score (``tagging.viterbi_decode_transitions``). Forbidden transitions
(``tagging.ALLOWED``) stay forbidden in both.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from keyword_lightning.tagging.schemes import IGNORE_INDEX, SBMEO, O
from keyword_lightning.tagging.viterbi import ALLOWED, END_ALLOWED, START_ALLOWED

# A forbidden transition's score in training: finite, so that log-sum-exp and its gradient stay
# finite, and low enough that exp() of it is exactly 0 in float32.
FORBIDDEN = -1e4


class TagCRF(nn.Module):
    """Transition scores [5,5] (previous tag, next tag), first-tag [5] and last-tag [5] scores."""

    def __init__(self) -> None:
        super().__init__()
        tags = len(SBMEO)
        self.transitions = nn.Parameter(torch.zeros(tags, tags))
        self.start = nn.Parameter(torch.zeros(tags))
        self.end = nn.Parameter(torch.zeros(tags))
        for name, allowed in (("allowed", ALLOWED), ("start_allowed", START_ALLOWED), ("end_allowed", END_ALLOWED)):
            self.register_buffer(name, torch.from_numpy(allowed.copy()), persistent=False)

    def constrained(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The three score tables with ``FORBIDDEN`` where the S/B/M/E/O constraints forbid."""
        forbidden = torch.tensor(FORBIDDEN, dtype=self.transitions.dtype, device=self.transitions.device)
        return (
            torch.where(self.allowed, self.transitions, forbidden),
            torch.where(self.start_allowed, self.start, forbidden),
            torch.where(self.end_allowed, self.end, forbidden),
        )

    def viterbi_scores(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The learned scores as numpy arrays, for ``tagging.viterbi_decode_transitions``."""
        return tuple(p.detach().float().cpu().numpy() for p in (self.transitions, self.start, self.end))

    def nll(self, emissions: torch.Tensor, tags: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Negative log-likelihood [B] of the gold ``tags`` [B,T] given ``emissions`` [B,T,5].

        Positions at or past ``lengths`` [B] (their tags are ``IGNORE_INDEX``) are left out; an
        empty sequence costs 0.
        """
        em = emissions.float()
        batch, steps, _ = em.shape
        if steps == 0:
            return em.new_zeros(batch)
        trans, start, end = self.constrained()
        lengths = lengths.to(em.device)
        mask = torch.arange(steps, device=em.device).unsqueeze(0) < lengths.unsqueeze(1)  # [B,T]
        gold = torch.where(mask, tags, torch.full_like(tags, O))  # pads read as O (then masked out)
        # The log partition function: the forward algorithm, one step per token.
        alpha = start + em[:, 0]  # [B,5] log-sum of the scores of all prefixes ending in each tag
        for t in range(1, steps):
            step = torch.logsumexp(alpha.unsqueeze(2) + trans, dim=1) + em[:, t]  # [B,5]
            alpha = torch.where(mask[:, t : t + 1], step, alpha)
        log_z = torch.logsumexp(alpha + end, dim=1)  # [B]
        # The gold sequence's score.
        emitted = em.gather(2, gold.unsqueeze(2)).squeeze(2)  # [B,T]
        moved = trans[gold[:, :-1], gold[:, 1:]]  # [B,T-1]
        last = gold.gather(1, (lengths - 1).clamp(min=0).unsqueeze(1)).squeeze(1)  # [B]
        score = (emitted * mask).sum(1) + (moved * mask[:, 1:]).sum(1) + start[gold[:, 0]] + end[last]
        return torch.where(lengths > 0, log_z - score, torch.zeros_like(log_z))


def head2_loss(logits2: torch.Tensor, labels2: torch.Tensor, lengths: torch.Tensor, crf: TagCRF | None) -> torch.Tensor:
    """Head 2's loss per token: cross-entropy, or with a CRF its sequences' NLL over their tokens."""
    if crf is None:
        return F.cross_entropy(logits2.flatten(0, 1), labels2.flatten(), ignore_index=IGNORE_INDEX)
    tokens = (labels2 != IGNORE_INDEX).sum().clamp(min=1)
    return crf.nll(logits2, labels2, lengths).sum() / tokens
