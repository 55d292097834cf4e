"""Pure keyphrase tagging logic: BIO <-> spans <-> S/B/M/E/O, and decoding.

A span is ``(start, end)`` over token positions, both inclusive. Nothing here does I/O
or knows about models, so every function can be tested on plain lists.

Head-2 of the network predicts one of five position tags (the seed's
"Single/Begin/Middle/End/Not"):

    S = a one-token keyphrase     B = first token of a longer one
    M = inside a longer one       E = last token of a longer one
    O = not part of a keyphrase
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

SBMEO = ("S", "B", "M", "E", "O")  # head 2's classes, by id
S, B, M, E, O = range(5)
KEYWORD_LABELS = ("not-keyword", "keyword")  # head 1's classes, by id
NOT_KEYWORD, KEYWORD = range(2)
# Head 1's class of each head-2 tag: S, B, M and E are inside a keyphrase, O is not.
KEYWORD_OF_TAG = tuple(NOT_KEYWORD if tag == O else KEYWORD for tag in range(len(SBMEO)))
IGNORE_INDEX = -100  # padding label, skipped by the losses and metrics
# Normalised BIO codes held in the dataset pickle.
BIO_O, BIO_B, BIO_I = 0, 1, 2

Span = tuple[int, int]


class TagError(ValueError):
    """A tag string that is neither ``O`` nor ``B-<type>`` / ``I-<type>``."""


def bio_codes(tags: Sequence[str]) -> list[int]:
    """Normalise BIO tags of any type to codes 0=O, 1=B, 2=I (conlleval semantics).

    Every type counts as a keyphrase. An ``I-`` that follows ``O`` or a phrase of another
    type opens a new phrase, exactly as conlleval reads it, so it becomes ``B``.
    """
    codes: list[int] = []
    prev_type: str | None = None  # type of the phrase open at the previous token
    for tag in tags:
        if tag == "O":
            codes.append(BIO_O)
            prev_type = None
            continue
        prefix, sep, kind = tag.partition("-")
        if not sep or prefix not in ("B", "I"):
            raise TagError(f"unknown tag {tag!r} (expected O, B-<type> or I-<type>)")
        if prefix == "I" and prev_type == kind:
            codes.append(BIO_I)
        else:
            codes.append(BIO_B)
        prev_type = kind
    return codes


def bio_codes_to_spans(codes: Sequence[int]) -> list[Span]:
    """Spans of normalised BIO codes (an I after O is read as B)."""
    spans: list[Span] = []
    start = None
    for i, code in enumerate(codes):
        if code == BIO_I and start is not None:
            continue
        if start is not None:
            spans.append((start, i - 1))
            start = None
        if code in (BIO_B, BIO_I):
            start = i
    if start is not None:
        spans.append((start, len(codes) - 1))
    return spans


def spans_to_bio_codes(spans: Sequence[Span], length: int) -> list[int]:
    """Normalised BIO codes of non-overlapping spans."""
    codes = [BIO_O] * length
    for start, end in spans:
        codes[start] = BIO_B
        for i in range(start + 1, end + 1):
            codes[i] = BIO_I
    return codes


def spans_to_sbmeo(spans: Sequence[Span], length: int) -> list[int]:
    """S/B/M/E/O tag ids of non-overlapping spans."""
    tags = [O] * length
    for start, end in spans:
        if start == end:
            tags[start] = S
        else:
            tags[start] = B
            tags[end] = E
            for i in range(start + 1, end):
                tags[i] = M
    return tags


def sbmeo_to_spans(tags: Sequence[int]) -> list[Span]:
    """Strict decoding: ``S`` and ``B M* E`` are spans; any broken run is dropped."""
    spans: list[Span] = []
    start = None
    for i, tag in enumerate(tags):
        if tag == S:
            spans.append((i, i))
            start = None
        elif tag == B:
            start = i
        elif tag == M:
            pass  # an open phrase goes on; with none open, M is simply ignored
        elif tag == E:
            if start is not None:
                spans.append((start, i))
            start = None
        else:  # O, or anything else, closes without a span
            start = None
    return spans


def bio_codes_to_labels(codes: np.ndarray, doc_starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised head labels for a flat corpus of normalised BIO codes.

    Args:
        codes: uint8 ``[N]`` codes of all documents laid end to end.
        doc_starts: bool ``[N]``, True at the first token of each document.

    Returns:
        ``(keyword, position)``: int64 ``[N]`` head-1 labels (0/1) and head-2 S/B/M/E/O ids.

    """
    inside = codes != BIO_O
    begins = (codes == BIO_B) | ((codes == BIO_I) & doc_starts)
    # Does the phrase continue into the next token of the same document?
    nxt = np.zeros_like(inside)
    nxt[:-1] = (codes[1:] == BIO_I) & ~doc_starts[1:]
    position = np.full(codes.shape, O, dtype=np.int64)
    position[begins & ~nxt] = S
    position[begins & nxt] = B
    position[inside & ~begins & nxt] = M
    position[inside & ~begins & ~nxt] = E
    return inside.astype(np.int64), position


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
    maxima over the batch, in numpy on the CPU: a loop of torch ops over 5x5 transitions cost
    ~9 ms per call at any batch size on a 2-core CPU, the server's whole budget for a request.

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
