import pytest
import torch

from keyword_lightning.model.network import DRNN, reverse_within_length


def test_reverse_within_length_is_an_involution():
    x = torch.arange(12.0).view(2, 6, 1)
    lengths = torch.tensor([4, 6])
    r = reverse_within_length(x, lengths)
    assert r[0, :, 0].tolist() == [3, 2, 1, 0, 4, 5]
    assert r[1, :, 0].tolist() == [11, 10, 9, 8, 7, 6]
    assert torch.equal(reverse_within_length(r, lengths), x)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_packed_and_padded_agree_and_padding_changes_nothing(cell, bidirectional):
    torch.manual_seed(0)
    net = DRNN(50, 8, 6, 5, cell, bidirectional, dropout=0.0, context_window=3, char_dim=4, char_channels=3).eval()
    lengths = torch.tensor([7, 3, 5])
    words = torch.randint(2, 50, (3, 7))
    chars = torch.randint(1, 512, (3, 7, 4))
    mask = torch.arange(7) < lengths.unsqueeze(1)
    words, chars = words * mask, chars * mask.unsqueeze(-1)
    with torch.no_grad():
        padded = net(words, chars, lengths, "padded")
        packed = net(words, chars, lengths, "packed")
        for a, b in zip(padded, packed):
            assert torch.allclose(a[mask], b[mask], atol=1e-5)
        # Document 1 alone, without any padding, gives the same outputs as inside the batch.
        alone = net(words[1:2, :3], chars[1:2, :3], lengths[1:2], "padded")
        for a, b in zip(padded, alone):
            assert torch.allclose(a[1, :3], b[0], atol=1e-5)


def test_gradients_never_reach_pads_through_the_loss():
    torch.manual_seed(0)
    net = DRNN(20, 4, 3, 3, "lstm", True, dropout=0.0)
    words = torch.tensor([[2, 3, 4, 0, 0]])
    emb = net.token_features(words, None).detach().requires_grad_(True)
    h1 = net.rnn1(emb, torch.tensor([3]), packed=False)
    h1[:, :3].sum().backward()
    assert emb.grad[:, 3:].abs().sum() == 0  # nothing real ever read a pad


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="cell must be one of"):
        DRNN(10, cell="transformer")
    with pytest.raises(ValueError, match="context_window must be odd"):
        DRNN(10, context_window=2)
