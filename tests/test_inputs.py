"""The inputs (``keyword_lightning/inputs/``): widths and outputs on hand-computed examples, the network
built from them against the layout before them, and ``net(batch)`` as the only way to call a network."""

from __future__ import annotations

import re

import pytest
import torch

from keyword_lightning.data.features import MAX_WORD_CHARS
from keyword_lightning.inputs.chars import CharsInput
from keyword_lightning.inputs.document import DocumentInput
from keyword_lightning.inputs.words import WordsInput
from keyword_lightning.model.network import DRNN, OLD_KEYS, NetworkConfig
from tests.batches import make_batch
from tests.conftest import ROOT


def test_words_give_each_token_its_row_then_its_neighbours_rows():
    words_input = WordsInput(vocab_size=4, dim=2, window=3).eval()
    words_input.set_embedding_rows(torch.tensor([[0.0, 0.0], [1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
    out = words_input(make_batch(torch.tensor([[2, 3, 0]])))
    assert words_input.width == 6 and out.shape == (1, 3, 6)
    # [left neighbour, token, right neighbour]; zero vectors past the edges and for the pad.
    assert out[0].tolist() == [[0, 0, 3, 4, 5, 6], [3, 4, 5, 6, 0, 0], [5, 6, 0, 0, 0, 0]]


def test_words_with_fixed_rows_read_them_from_the_buffer():
    words_input = WordsInput(vocab_size=5, dim=1, trainable=3).eval()
    words_input.set_embedding_rows(torch.arange(5.0).unsqueeze(1))
    assert words_input.embedding.num_embeddings == 3 and words_input.fixed_embedding.shape == (2, 1)
    assert words_input(make_batch(torch.tensor([[4, 1, 3]])))[0, :, 0].tolist() == [4.0, 1.0, 3.0]


def test_chars_give_the_max_over_the_word_of_a_convolution():
    torch.manual_seed(0)
    chars_input = CharsInput(char_dim=1, channels=1).eval()
    with torch.no_grad():
        chars_input.cnn.embedding.weight.copy_(torch.arange(512.0).unsqueeze(1))  # char id c embeds to c
        chars_input.cnn.conv.weight.copy_(torch.tensor([[[0.0, 1.0, 0.0]]]))  # the char itself
        chars_input.cnn.conv.bias.zero_()
    chars = torch.zeros(1, 2, MAX_WORD_CHARS, dtype=torch.long)
    chars[0, 0, :3] = torch.tensor([5, 9, 2])  # max 9; token 1 has no chars: 0
    out = chars_input(make_batch(torch.tensor([[2, 3]]), chars))
    assert chars_input.width == 1 and out[0, :, 0].tolist() == [9.0, 0.0]


@pytest.mark.parametrize(
    ("document", "repeats", "columns"), [(True, False, [0, 1]), (False, True, [2, 3, 4]), (True, True, [0, 1, 2, 3, 4])]
)
def test_document_gives_its_columns_of_the_features(document, repeats, columns):
    features = torch.arange(10.0).view(1, 2, 5)
    doc = DocumentInput(document, repeats)
    assert doc.width == len(columns) and doc.encoding() == ({"repeats": True} if repeats else {})
    assert torch.equal(doc(make_batch(torch.tensor([[2, 3]]), features=features)), features[..., columns])


def _network(seed: int) -> DRNN:
    torch.manual_seed(seed)
    inputs = [
        {"words": {"dim": 4, "context_window": 3}},
        {"chars": {"dim": 3, "channels": 2}},
        {"document": {"doc_features": True, "repeat_features": True}},
    ]
    return DRNN(NetworkConfig(hidden_size1=3, hidden_size2=3, dropout=0.0), inputs, 30, trainable_words=20).eval()


def _old_names(state: dict) -> dict:
    """A state dict as networks of earlier releases named it (before ``inputs/`` and heads by role)."""
    renamed = {}
    for key, value in state.items():
        for old, new in OLD_KEYS.items():
            if key.startswith(new):
                key = old + key[len(new) :]
                break
        renamed[key] = value
    return renamed


def test_the_network_reads_the_concatenation_of_its_inputs_and_loads_the_old_layout():
    net = _network(0)
    words = torch.randint(2, 30, (2, 6))
    chars = torch.randint(1, 512, (2, 6, MAX_WORD_CHARS))
    batch = make_batch(words, chars, torch.tensor([6, 4]), features=torch.rand(2, 6, 5))
    parts = [net.inputs[name](batch) for name in ("words", "chars", "document")]
    assert net.order == ["words", "chars", "document"] and net.features(batch).shape[-1] == 12 + 2 + 5
    assert torch.equal(net.features(batch), torch.cat(parts, -1))
    old = _old_names(net.state_dict())
    assert "embedding.weight" in old and "fixed_embedding" in old and "char_cnn.conv.weight" in old
    assert "head1.weight" in old and "head2.bias" in old
    other = _network(1)  # other weights, then the old layout's state dict: the same network
    other.load_state_dict(old)
    with torch.no_grad():
        for a, b in zip(net(batch), other(batch)):
            assert torch.equal(a, b)


def test_an_old_checkpoint_loads_in_the_extractor_and_predicts_the_same(tmp_path):
    from keyword_lightning.data.inputs import documents_from_texts
    from keyword_lightning.inference.extractor import KeywordExtractor
    from keyword_lightning.model import checkpoint

    net = _network(0)
    vocabulary = ["<pad>", "<unk>", *(f"w{i}" for i in range(28))]
    state = {f"net.{k}": v for k, v in net.state_dict().items()}
    meta = checkpoint.metadata(vocabulary, True, "ptb")
    hparams = {
        "vocab_size": 30,
        "embedding_dim": 4,
        "hidden_size1": 3,
        "hidden_size2": 3,
        "context_window": 3,
        "char_dim": 3,
        "char_channels": 2,
        "doc_features": True,
        "repeat_features": True,
    }
    for name, layout in (("new", state), ("old", {f"net.{k}": v for k, v in _old_names(net.state_dict()).items()})):
        torch.save(
            {"state_dict": layout, "hyper_parameters": hparams, checkpoint.CHECKPOINT_KEY: meta},
            tmp_path / f"{name}.ckpt",
        )
    texts = ["w3 w4 w5 w3 w9 w20 w27 , w1 w3 w4", "w21 w22"]
    new, old = (KeywordExtractor.from_checkpoint(tmp_path / f"{n}.ckpt", threads=0) for n in ("new", "old"))
    assert old.predict(texts) == new.predict(texts)
    corpus = new.encode(documents_from_texts(texts))[0]
    for (_, a), (_, b) in zip(new.run(corpus), old.run(corpus)):
        assert all(torch.equal(x, y) for x, y in zip(a, b))


def test_net_of_a_batch_is_the_only_call_of_a_network():
    """The module, the extractor and the server call the network one way: ``net(batch)``."""
    calls = []
    for path in sorted((ROOT / "keyword_lightning").rglob("*.py")) + sorted((ROOT / "benchmarks").rglob("*.py")):
        for match in re.finditer(r"\bnet\(([^()]*)\)", path.read_text(encoding="utf-8")):
            calls.append((str(path.relative_to(ROOT)), match.group(1)))
    assert calls and all("," not in args for _, args in calls), calls
    found = {path for path, _ in calls}
    assert {"keyword_lightning/model/module.py", "keyword_lightning/inference/extractor.py"} <= found
