"""Viterbi decoding of S/B/M/E/O tags under the transition constraints, fixed or with a CRF's learned scores.

Pure logic on numpy (torch is imported only to hand back a tensor); the tags are ``schemes.py``'s.
"""

from __future__ import annotations

import numpy as np

from keyword_lightning.tagging.schemes import B, E, M, O, S

# Valid S/B/M/E/O transitions [previous, next]: after S, E or O a new tag must start (S, B, O);
# after B or M the phrase must go on (M) or close (E).
ALLOWED = np.zeros((5, 5), dtype=bool)
for _prev in (S, E, O):
    ALLOWED[_prev, [S, B, O]] = True
for _prev in (B, M):
    ALLOWED[_prev, [M, E]] = True
START_ALLOWED = np.array([True, True, False, False, True])  # S, B or O may open a document
END_ALLOWED = np.array([True, False, False, True, True])  # S, E or O may close it


def viterbi_decode(log_probs, lengths):
    """Best S/B/M/E/O tag sequence under the transition constraints (``ALLOWED``, ``START_ALLOWED``, ...).

    The constraints leave two states: *outside* a phrase (after S, E or O, and at the start)
    and *inside* one (after B or M). Outside, a token is S or O (stay outside) or B (go in);
    inside, it is M (stay) or E (go out); a document ends outside. So each step is two
    maxima over the batch, in numpy on the CPU: a loop of torch ops over 5x5 transitions cost,
    at any batch size, about the server's whole budget for a request (measured:
    benchmarks/results/NOTES.md#tagging-viterbi).

    Args:
        log_probs: float tensor ``[B, T, 5]`` of per-token log-probabilities.
        lengths: int tensor ``[B]``; positions at or past a length are ignored.

    Returns:
        int64 tensor ``[B, T]`` on ``log_probs``' device; pads are ``O``.

    """
    import torch

    lp = log_probs.detach().float().cpu().numpy()  # [B,T,5]
    ends = lengths.detach().cpu().numpy().astype(np.int64)
    batch, steps, _ = lp.shape
    out = np.full((batch, steps), O, dtype=np.int64)
    if steps and batch:
        stay_out = np.maximum(lp[..., S], lp[..., O]).T.copy()  # [T,B] best S-or-O
        s_over_o = (lp[..., S] >= lp[..., O]).T.tolist()
        begin, middle, end = (lp[..., tag].T.copy() for tag in (B, M, E))
        ended = np.zeros((steps, batch), dtype=bool)  # outside at t came from inside (an E)
        began = np.zeros((steps, batch), dtype=bool)  # inside at t came from outside (a B)
        outside, inside = stay_out[0].copy(), begin[0].copy()  # [B] best scores so far
        for t in range(1, steps):
            keep_out, close = outside + stay_out[t], inside + end[t]
            open_, go_on = outside + begin[t], inside + middle[t]
            ended[t], began[t] = close > keep_out, open_ >= go_on
            outside, inside = np.maximum(keep_out, close), np.maximum(open_, go_on)
        ended_l, began_l = ended.tolist(), began.tolist()
        for b in range(batch):  # back from the end, which is outside
            tags, now_inside = [O] * int(ends[b]), False
            for t in range(len(tags) - 1, -1, -1):
                if now_inside:
                    now_inside = not (t == 0 or began_l[t][b])
                    tags[t] = M if now_inside else B
                elif t > 0 and ended_l[t][b]:
                    tags[t], now_inside = E, True
                else:
                    tags[t] = S if s_over_o[t][b] else O
            out[b, : len(tags)] = tags
    return torch.from_numpy(out).to(log_probs.device)


def viterbi_decode_transitions(log_probs, lengths, transitions: np.ndarray, start: np.ndarray, end: np.ndarray):
    """``viterbi_decode`` with learned scores for each transition (a CRF's), under the same constraints.

    A sequence scores the sum of its tags' ``log_probs``, ``transitions[prev, next]`` between
    neighbours, ``start[first]`` and ``end[last]``; forbidden moves are never taken. Each tag
    keeps its own best score here (a transition's score depends on which tag came before), so
    each step is one [B,5,5] maximum.

    Args:
        log_probs: float tensor ``[B, T, 5]``.
        lengths: int tensor ``[B]``.
        transitions: float array ``[5, 5]``, the score of each (previous, next) pair of tags.
        start: float array ``[5]``, the score of each tag as a sequence's first.
        end: float array ``[5]``, the score of each tag as a sequence's last.

    Returns:
        int64 tensor ``[B, T]`` on ``log_probs``' device; pads are ``O``.

    """
    import torch

    lp = log_probs.detach().float().cpu().numpy().astype(np.float64)  # [B,T,5]
    ends = lengths.detach().cpu().numpy().astype(np.int64)
    batch, steps, _ = lp.shape
    out = np.full((batch, steps), O, dtype=np.int64)
    if steps and batch:
        trans = np.where(ALLOWED, transitions, -np.inf)  # [5,5]
        score = lp[:, 0] + np.where(START_ALLOWED, start, -np.inf)  # [B,5] best score ending in each tag
        back = np.zeros((steps, batch, 5), dtype=np.int64)  # best previous tag of each tag at t
        for t in range(1, steps):
            cand = score[:, :, None] + trans[None]  # [B,prev,next]
            back[t] = cand.argmax(axis=1)
            going = (t < ends)[:, None]  # finished sequences keep their score
            score = np.where(going, cand.max(axis=1) + lp[:, t], score)
        last = (score + np.where(END_ALLOWED, end, -np.inf)).argmax(axis=1)  # [B]
        for b in range(batch):
            tag = int(last[b])
            for t in range(int(ends[b]) - 1, -1, -1):
                out[b, t] = tag
                tag = int(back[t, b, tag])
    return torch.from_numpy(out).to(log_probs.device)
