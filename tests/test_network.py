import pytest
import torch

from keyword_lightning.model.network import DRNN, NetworkConfig
from keyword_lightning.model.rnn import reverse_within_length, time_segments
from keyword_lightning.tagging import O
from keyword_lightning.tagging.decoding import tag_scores
from tests.batches import make_batch, run


def net(
    vocab_size,
    embedding_dim,
    hidden_size1,
    hidden_size2,
    cell="lstm",
    bidirectional=True,
    *,
    context_window=1,
    char_dim=0,
    char_channels=50,
    doc_features=False,
    repeat_features=False,
    trainable_words=None,
    **network,
) -> DRNN:
    """A small DRNN; ``network``: more ``NetworkConfig`` fields."""
    inputs = [{"words": {"dim": embedding_dim, "context_window": context_window}}]
    if char_dim:
        inputs.append({"chars": {"dim": char_dim, "channels": char_channels}})
    if doc_features or repeat_features:
        inputs.append({"document": {"doc_features": doc_features, "repeat_features": repeat_features}})
    config = NetworkConfig(hidden_size1, hidden_size2, cell, bidirectional, **network)
    return DRNN(config, inputs, vocab_size, trainable_words)


def token_dim(model: DRNN) -> int:
    return sum(source.width for source in model.inputs.values())


def test_reverse_within_length_is_an_involution():
    x = torch.arange(12.0).view(2, 6, 1)
    lengths = torch.tensor([4, 6])
    r = reverse_within_length(x, lengths)
    assert r[0, :, 0].tolist() == [3, 2, 1, 0, 4, 5]
    assert r[1, :, 0].tolist() == [11, 10, 9, 8, 7, 6]
    assert torch.equal(reverse_within_length(r, lengths), x)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_packed_padded_and_segmented_agree_and_padding_changes_nothing(cell, bidirectional):
    torch.manual_seed(0)
    model = net(50, 8, 6, 5, cell, bidirectional, dropout=0.0, context_window=3, char_dim=4, char_channels=3).eval()
    lengths = torch.tensor([7, 3, 5, 1, 7, 2, 6, 3, 4])  # unsorted, with ties: several segments
    words = torch.randint(2, 50, (9, 7))
    chars = torch.randint(1, 512, (9, 7, 4))
    mask = torch.arange(7) < lengths.unsqueeze(1)
    words, chars = words * mask, chars * mask.unsqueeze(-1)
    with torch.no_grad():
        padded = run(model, words, chars, lengths, "padded")
        for mode in ("packed", "segmented"):
            for a, b in zip(padded, run(model, words, chars, lengths, mode)):
                assert torch.allclose(a[mask], b[mask], atol=1e-5), mode
        # Document 1 alone, without any padding, gives the same outputs as inside the batch.
        alone = run(model, words[1:2, :3], chars[1:2, :3], lengths[1:2], "padded")
        for a, b in zip(padded, alone):
            assert torch.allclose(a[1, :3], b[0], atol=1e-5)


def test_segmented_gradients_equal_padded_gradients():
    torch.manual_seed(0)
    model = net(30, 6, 5, 4, "lstm", True, dropout=0.0)
    lengths = torch.tensor([2, 9, 5, 9, 1, 4])
    words = torch.randint(2, 30, (6, 9)) * (torch.arange(9) < lengths.unsqueeze(1))
    grads = []
    for mode in ("padded", "segmented"):
        model.zero_grad()
        logits1, logits2 = run(model, words, None, lengths, mode)
        mask = (words > 0).unsqueeze(-1)
        ((logits1 * mask).square().sum() + (logits2 * mask).sum()).backward()
        grads.append([p.grad.clone() for p in model.parameters()])
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)


def test_segmented_batch_with_empty_documents():
    model = net(20, 4, 3, 3, "gru", True, dropout=0.0).eval()
    words = torch.tensor([[0, 0, 0], [5, 6, 0], [0, 0, 0]])
    with torch.no_grad():
        for lengths in (torch.tensor([0, 2, 0]), torch.tensor([0, 0, 0])):
            w = words * (lengths > 0).unsqueeze(1)
            for a, b in zip(run(model, w, None, lengths, "segmented"), run(model, w, None, lengths, "padded")):
                assert torch.allclose(a[1, : lengths[1]], b[1, : lengths[1]], atol=1e-6)


@pytest.mark.parametrize("lengths", [[9, 9, 7, 5, 5, 3, 1], [4], [6, 6, 6], [30, 29, 3, 2, 1, 1, 1, 1]])
def test_time_segments_cover_every_real_step_once(lengths):
    segments = time_segments(torch.tensor(lengths))
    assert segments[0][0] == 0 and segments[-1][1] == lengths[0]
    for (_, stop, rows), (start, _, later) in zip(segments, segments[1:]):
        assert stop == start and later <= rows
    for start, stop, rows in segments:  # every sequence still going at `start` is in the segment
        assert start < stop and rows == sum(n > start for n in lengths)


def test_gradients_never_reach_pads_through_the_loss():
    torch.manual_seed(0)
    model = net(20, 4, 3, 3, "lstm", True, dropout=0.0)
    words = torch.tensor([[2, 3, 4, 0, 0]])
    emb = model.features(make_batch(words)).detach().requires_grad_(True)
    for mode in ("padded", "segmented"):
        emb.grad = None
        h1 = model.rnn1(emb, torch.tensor([3]), mode)
        h1[:, :3].sum().backward()
        assert emb.grad[:, 3:].abs().sum() == 0, mode  # nothing real ever read a pad


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="cell must be one of"):
        NetworkConfig(cell="transformer")
    with pytest.raises(ValueError, match="model.inputs: words: context_window must be odd"):
        DRNN(NetworkConfig(), [{"words": {"context_window": 2}}], 10)


def test_locked_dropout_uses_one_mask_for_all_time_steps():
    from keyword_lightning.inputs.base import SequenceDropout

    torch.manual_seed(0)
    x = torch.ones(3, 10, 8)
    locked = SequenceDropout(0.5, locked=True).train()(x)
    assert torch.equal(locked, locked[:, :1].expand_as(locked))  # same mask at every step
    assert set(locked.unique().tolist()) == {0.0, 2.0}
    plain = SequenceDropout(0.5, locked=False).train()(x)
    assert not torch.equal(plain, plain[:, :1].expand_as(plain))
    assert torch.equal(SequenceDropout(0.5, locked=True).eval()(x), x)


def test_document_features_enter_the_network():
    torch.manual_seed(0)
    model = net(20, 4, 3, 3, "lstm", True, dropout=0.0, doc_features=True).eval()
    words, lengths = torch.randint(2, 20, (2, 5)), torch.tensor([5, 5])
    feats = torch.zeros(2, 5, 2)
    with torch.no_grad():
        a = run(model, words, None, lengths, "padded", feats)[1]
        b = run(model, words, None, lengths, "padded", feats + 1.0)[1]
    assert not torch.allclose(a, b)
    with pytest.raises(ValueError, match="document features"):
        run(model, words, None, lengths, "padded", None)


def test_repeat_features_are_the_columns_after_the_document_features():
    torch.manual_seed(0)
    words, lengths = torch.randint(2, 20, (2, 5)), torch.tensor([5, 5])
    feats = torch.rand(2, 5, 5)
    doc_only = net(20, 4, 3, 3, "lstm", True, dropout=0.0, doc_features=True).eval()
    both = net(20, 4, 3, 3, "lstm", True, dropout=0.0, doc_features=True, repeat_features=True).eval()
    assert token_dim(both) == token_dim(doc_only) + 3
    changed = feats.clone()
    changed[..., 2:] += 1.0  # only the repeat columns
    with torch.no_grad():
        assert torch.equal(
            run(doc_only, words, None, lengths, "padded", feats)[1],
            run(doc_only, words, None, lengths, "padded", changed)[1],
        )
        assert not torch.allclose(
            run(both, words, None, lengths, "padded", feats)[1], run(both, words, None, lengths, "padded", changed)[1]
        )
    with pytest.raises(ValueError, match="needs 5 document features"):
        run(both, words, None, lengths, "padded", feats[..., :2])


def test_fusion_adds_head_one_votes_to_the_tag_scores():
    torch.manual_seed(0)
    logits1, logits2 = torch.randn(2, 4, 2), torch.randn(2, 4, 5)
    plain = tag_scores(logits1, logits2, fusion_weight=0.0)
    assert torch.allclose(plain, logits2.log_softmax(-1))
    fused = tag_scores(logits1, logits2, fusion_weight=1.0)
    assert torch.allclose(fused.exp().sum(-1), torch.ones(2, 4))  # still a distribution
    keyword = logits1.log_softmax(-1)
    expected = (logits2.log_softmax(-1) + keyword[..., [1, 1, 1, 1, 0]]).log_softmax(-1)
    assert torch.allclose(fused, expected)
    # A token head 1 is sure is no keyword gets O.
    sure_no = torch.tensor([[[20.0, -20.0]]])
    tags = tag_scores(sure_no, torch.zeros(1, 1, 5), fusion_weight=1.0).argmax(-1)
    assert tags.item() == O


def test_words_never_seen_in_training_stay_outside_the_optimizer():
    torch.manual_seed(0)
    whole = net(30, 6, 5, 5, dropout=0.0)
    torch.manual_seed(0)
    split = net(30, 6, 5, 5, dropout=0.0, trainable_words=12)
    # Same initial rows and weights: the split only moves rows 12.. into a buffer.
    assert torch.equal(split.words.embedding_rows(), whole.words.embedding_rows())
    assert split.words.embedding.weight.shape == (12, 6) and split.words.fixed_embedding.shape == (18, 6)
    assert sum(p.numel() for p in split.parameters()) == sum(p.numel() for p in whole.parameters()) - 18 * 6
    words = torch.tensor([[3, 25, 11, 12, 0], [29, 1, 2, 0, 0]])
    lengths = torch.tensor([4, 3])
    for a, b in zip(run(split, words, None, lengths), run(whole, words, None, lengths)):
        torch.testing.assert_close(a, b)
    fixed_before = split.words.fixed_embedding.clone()
    opt = torch.optim.Adam(split.parameters(), lr=0.1)
    run(split, words, None, lengths)[1].sum().backward()
    opt.step()
    assert torch.equal(split.words.fixed_embedding, fixed_before)
    grad = split.words.embedding.weight.grad
    assert grad[[1, 2, 3, 11]].abs().sum() > 0 and grad[0].abs().sum() == 0  # pad row: no gradient
    rows = torch.randn(30, 6)
    split.words.set_embedding_rows(rows)
    assert torch.equal(split.words.embedding_rows(), rows)
