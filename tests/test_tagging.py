import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from keyword_lightning import tagging as tg


@st.composite
def spans_and_length(draw):
    """Non-overlapping spans in a document of some length."""
    length = draw(st.integers(0, 40))
    cuts = sorted(draw(st.lists(st.integers(0, length), max_size=20)))
    spans, pos = [], 0
    for c in cuts:
        if c > pos and draw(st.booleans()):
            end = draw(st.integers(pos, c - 1))
            spans.append((pos, end))
            pos = end + 1
        if c >= pos:
            pos = c
    return spans, length


@given(spans_and_length())
def test_spans_roundtrip_through_sbmeo_and_bio(case):
    spans, length = case
    assert tg.sbmeo_to_spans(tg.spans_to_sbmeo(spans, length)) == spans
    assert tg.bio_codes_to_spans(tg.spans_to_bio_codes(spans, length)) == spans


@given(spans_and_length())
def test_vectorised_labels_match_list_functions(case):
    spans, length = case
    if length == 0:
        return
    codes = np.array(tg.spans_to_bio_codes(spans, length), dtype=np.uint8)
    starts = np.zeros(length, dtype=bool)
    starts[0] = True
    keyword, position = tg.bio_codes_to_labels(codes, starts)
    assert position.tolist() == tg.spans_to_sbmeo(spans, length)
    assert keyword.tolist() == [int(c != tg.BIO_O) for c in codes]


def test_vectorised_labels_respect_document_starts():
    # Two documents laid end to end: the I at the start of the second opens a new phrase.
    codes = np.array([1, 2, 2, 0], dtype=np.uint8)
    starts = np.array([True, False, True, False])
    _, position = tg.bio_codes_to_labels(codes, starts)
    assert [tg.SBMEO[p] for p in position] == ["B", "E", "S", "O"]


def test_bio_codes_follow_conlleval():
    assert tg.bio_codes(["O", "I-KEY", "I-KEY", "O"]) == [0, 1, 2, 0]  # I after O opens a phrase
    assert tg.bio_codes(["B-Task", "I-Process", "I-Process"]) == [1, 1, 2]  # type change opens one
    assert tg.bio_codes(["B-Task", "I-Task", "B-Task"]) == [1, 2, 1]
    with pytest.raises(tg.TagError, match="unknown tag 'X-KEY'"):
        tg.bio_codes(["X-KEY"])
    with pytest.raises(tg.TagError):
        tg.bio_codes(["B"])


def test_strict_decoding_drops_broken_runs():
    S, B, M, E, O = range(5)
    assert tg.sbmeo_to_spans([B, M, E, S, O]) == [(0, 2), (3, 3)]
    assert tg.sbmeo_to_spans([M, E, O]) == []  # no B
    assert tg.sbmeo_to_spans([B, M, O, E]) == []  # broken by O
    assert tg.sbmeo_to_spans([B, B, E]) == [(1, 2)]  # the second B restarts
    assert tg.sbmeo_to_spans([B, M]) == []  # document ends inside a phrase
    assert tg.sbmeo_to_spans([]) == []


def _valid(tags):
    prev = tg.O
    for t in tags:
        if not tg.ALLOWED[prev, t]:
            return False
        prev = t
    return not tags or tg.START_ALLOWED[tags[0]] and tg.END_ALLOWED[tags[-1]]


def _dense_viterbi_score(logp: np.ndarray) -> float:
    """Best valid sequence's score by the textbook dense recursion over all 5x5 transitions."""
    trans = np.where(tg.ALLOWED, 0.0, -np.inf)
    score = logp[0] + np.where(tg.START_ALLOWED, 0.0, -np.inf)
    for t in range(1, len(logp)):
        score = (score[:, None] + trans).max(axis=0) + logp[t]
    return float((score + np.where(tg.END_ALLOWED, 0.0, -np.inf)).max())


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.sampled_from([1, 2, 5, 12, 80]), st.integers(0, 2**31 - 1))
def test_viterbi_gives_valid_sequences_and_beats_them_all(batch, steps, seed):
    gen = torch.Generator().manual_seed(seed)
    logp = torch.randn(batch, steps, 5, generator=gen).log_softmax(-1)
    lengths = torch.randint(1, steps + 1, (batch,), generator=gen)
    tags = tg.viterbi_decode(logp, lengths)
    for b in range(batch):
        n = int(lengths[b])
        seq = tags[b, :n].tolist()
        assert _valid(seq)
        assert (tags[b, n:] == tg.O).all()
        score = sum(float(logp[b, i, t]) for i, t in enumerate(seq))
        # The textbook dense recursion over all 5x5 transitions finds the same best score ...
        assert score == pytest.approx(_dense_viterbi_score(logp[b, :n].double().numpy()), abs=1e-4)
        if n <= 5:  # ... and so does brute force: no valid sequence scores higher
            import itertools

            best = max(
                sum(float(logp[b, i, t]) for i, t in enumerate(cand))
                for cand in itertools.product(range(5), repeat=n)
                if _valid(list(cand))
            )
            assert score == pytest.approx(best, abs=1e-5)


def test_viterbi_keeps_a_valid_argmax():
    S, B, M, E, O = range(5)
    gold = [B, M, E, O, S]
    logp = torch.full((1, 5, 5), -5.0)
    for i, t in enumerate(gold):
        logp[0, i, t] = 0.0
    assert tg.viterbi_decode(logp, torch.tensor([5]))[0].tolist() == gold


def test_viterbi_of_an_empty_batch_and_of_no_steps():
    assert tg.viterbi_decode(torch.zeros(0, 4, 5), torch.zeros(0, dtype=torch.long)).shape == (0, 4)
    assert tg.viterbi_decode(torch.zeros(2, 0, 5), torch.zeros(2, dtype=torch.long)).shape == (2, 0)


def _sequence_score(logp, tags, trans, start, end) -> float:
    """A sequence's score under emission, transition, first- and last-tag scores, written out plainly."""
    total = start[tags[0]] + end[tags[-1]] + sum(float(logp[i, t]) for i, t in enumerate(tags))
    return total + sum(trans[a, b] for a, b in zip(tags, tags[1:]))


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.integers(1, 5), st.integers(0, 2**31 - 1))
def test_viterbi_with_transition_scores_finds_the_best_valid_sequence(batch, steps, seed):
    import itertools

    gen = torch.Generator().manual_seed(seed)
    logp = torch.randn(batch, steps, 5, generator=gen).log_softmax(-1)
    lengths = torch.randint(1, steps + 1, (batch,), generator=gen)
    trans, start, end = (torch.randn(*shape, generator=gen).numpy() for shape in ((5, 5), (5,), (5,)))
    tags = tg.viterbi_decode_transitions(logp, lengths, trans, start, end)
    for b in range(batch):
        n = int(lengths[b])
        seq = tags[b, :n].tolist()
        assert _valid(seq) and (tags[b, n:] == tg.O).all()
        best = max(
            _sequence_score(logp[b], list(c), trans, start, end)
            for c in itertools.product(range(5), repeat=n)
            if _valid(list(c))
        )
        assert _sequence_score(logp[b], seq, trans, start, end) == pytest.approx(best, abs=1e-5)


def test_viterbi_with_zero_transition_scores_is_plain_viterbi():
    gen = torch.Generator().manual_seed(3)
    logp = torch.randn(6, 40, 5, generator=gen).log_softmax(-1)
    lengths = torch.tensor([40, 1, 17, 33, 2, 40])
    zeros = np.zeros((5, 5)), np.zeros(5), np.zeros(5)
    assert torch.equal(tg.viterbi_decode_transitions(logp, lengths, *zeros), tg.viterbi_decode(logp, lengths))
    assert tg.viterbi_decode_transitions(torch.zeros(2, 0, 5), torch.zeros(2, dtype=torch.long), *zeros).shape == (2, 0)
