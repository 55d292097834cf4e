import math

import numpy as np
import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st

from keyword_lightning.data.batch import collate_fun2
from keyword_lightning.data.datamodule import KeywordDataModule
from keyword_lightning.data.features import chunk_offsets, document_features
from keyword_lightning.data.inputs import documents_from_texts
from keyword_lightning.data.sampler import BucketBatchSampler
from keyword_lightning.data.vocabulary import SPECIALS
from keyword_lightning.tagging import IGNORE_INDEX, SBMEO


def test_collate_fun2_pads_with_ignore_index(tiny_corpus):
    dm = KeywordDataModule(str(tiny_corpus), batch_size=3)
    dm.setup("fit")
    corpus = dm.split_corpus("train")
    batch = collate_fun2([corpus[0], corpus[2]])  # lengths 6 and 4
    assert batch.words.shape == (2, 6) and batch.chars.shape[:2] == (2, 6)
    assert batch.lengths.tolist() == [6, 4]
    assert batch.index.tolist() == [0, 2]
    assert (batch.words[1, 4:] == 0).all()
    assert (batch.labels1[1, 4:] == IGNORE_INDEX).all() and (batch.labels2[1, 4:] == IGNORE_INDEX).all()
    assert [SBMEO[t] for t in batch.labels2[0].tolist()] == ["B", "E", "O", "B", "E", "O"]
    assert batch.labels1[0].tolist() == [1, 1, 0, 1, 1, 0]
    vocab = dm.vocabulary
    assert vocab[:2] == list(SPECIALS) and vocab[batch.words[0, 0]] == "neural"


@settings(deadline=None, max_examples=40)
@example([1, 1, 1], 1, 2, 0, False).via("uneven singletons")
@example([1, 1, 1], 1, 2, 0, True).via("uneven singletons")
@given(
    st.lists(st.integers(1, 600), min_size=1, max_size=300),
    st.integers(1, 70),
    st.integers(1, 4),
    st.integers(0, 5),
    st.booleans(),
)
def test_bucket_sampler_covers_each_item_once(lengths, batch_size, replicas, epoch, shuffle):
    lengths = np.array(lengths)
    per_rank = []
    for rank in range(replicas):
        s = BucketBatchSampler(lengths, batch_size, shuffle=shuffle, seed=3, num_replicas=replicas, rank=rank)
        s.set_epoch(epoch)
        batches = list(s)
        assert len(batches) == len(s)
        assert all(0 < len(b) <= batch_size for b in batches)
        per_rank.append(batches)
    seen = [i for batches in per_rank for b in batches for i in b]
    unsplittable = len(lengths) % replicas and (batch_size == 1 or len(lengths) < replicas)
    if shuffle and unsplittable:  # training: repeats only where batches cannot be split further
        assert set(seen) == set(range(len(lengths))) and len(seen) - len(lengths) < replicas
    else:
        assert sorted(seen) == list(range(len(lengths)))  # every item once, ranks disjoint
    if shuffle or not unsplittable:
        assert len({len(b) for b in per_rank}) == 1  # same number of steps on every rank


def test_bucket_sampler_buckets_and_reshuffles():
    rng = np.random.default_rng(0)
    lengths = rng.integers(10, 500, size=1000)
    s = BucketBatchSampler(lengths, 64, seed=1)
    first = list(s)
    pad = sum(len(b) * lengths[b].max() - lengths[b].sum() for b in first) / lengths.sum()
    assert pad < 0.1  # random batches of these lengths pad ~60%
    assert all((np.diff(lengths[b]) <= 0).all() for b in first)  # longest first in each batch
    assert list(s) == first  # same epoch, same batches
    s.set_epoch(1)
    assert list(s) != first  # the batches built for epoch 0 are not reused
    assert len(s) == len(list(s))
    s.set_epoch(0)
    assert list(s) == first
    assert s.sampler is s  # Lightning calls batch_sampler.sampler.set_epoch


def test_chunk_offsets_splits_long_documents():
    offsets = np.array([0, 3, 13])
    new, source = chunk_offsets(offsets, 4)
    assert new.tolist() == [0, 3, 7, 11, 13] and source.tolist() == [0, 1, 1, 1]


def test_documents_from_texts_keeps_offsets():
    (doc,) = documents_from_texts(["Deep (learning) works."], ["x"])
    assert doc.tokens == ["Deep", "(", "learning", ")", "works", "."]
    assert all(doc.text[s:e] == t for t, (s, e) in zip(doc.tokens, doc.spans))


def test_evaluation_never_drops_documents(tiny_corpus):
    dm = KeywordDataModule(str(tiny_corpus), batch_size=5)
    dm.setup("fit")
    seen = torch.cat([b.index for b in dm.val_dataloader()]).tolist()
    assert sorted(seen) == list(range(len(dm.split_corpus("val"))))


def test_predict_split_needs_a_known_name(tiny_corpus):
    with pytest.raises(ValueError, match="predict_split must be one of"):
        KeywordDataModule(str(tiny_corpus), predict_split="dev")


def test_document_features_match_a_per_document_count():
    types = np.array([7, 3, 7, 7, 1, 1, 2], dtype=np.int64)
    offsets = np.array([0, 4, 4, 7])  # documents of 4, 0 and 3 tokens
    out = document_features(types, offsets)
    expected = []
    for lo, hi in zip(offsets[:-1], offsets[1:]):
        doc = types[lo:hi].tolist()
        for t in doc:
            expected.append([math.log(doc.count(t)), doc.index(t) / len(doc)])
    assert np.allclose(out, np.array(expected, dtype=np.float32))
    assert document_features(types[:0], np.array([0])).shape == (0, 2)
    for chunk in (1, 2, 3, 5):  # chunks of whole documents give the same features
        assert np.array_equal(document_features(types, offsets, chunk_tokens=chunk), out)
    rng = np.random.default_rng(0)
    lengths = rng.integers(0, 40, size=200)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    types = rng.integers(0, 30, size=int(offsets[-1])).astype(np.int32)
    assert np.array_equal(document_features(types, offsets, chunk_tokens=97), document_features(types, offsets))


def test_repeat_features_match_a_per_document_count():
    rng = np.random.default_rng(1)
    lengths = rng.integers(0, 12, size=60)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    types = rng.integers(0, 4, size=int(offsets[-1])).astype(np.int64)  # few strings: bigrams repeat
    out = document_features(types, offsets, repeats=True)
    assert out.shape == (len(types), 5)
    assert np.array_equal(out[:, :2], document_features(types, offsets))  # the first two columns unchanged
    expected = []
    for lo, hi in zip(offsets[:-1], offsets[1:]):
        doc = types[lo:hi].tolist()
        pairs = list(zip(doc, doc[1:]))
        for i, t in enumerate(doc):
            left = math.log(pairs.count(pairs[i - 1])) if i > 0 else 0.0
            right = math.log(pairs.count(pairs[i])) if i < len(doc) - 1 else 0.0
            last = len(doc) - 1 - doc[::-1].index(t)
            expected.append([left, right, last / len(doc)])
    assert np.allclose(out[:, 2:], np.array(expected, dtype=np.float32).reshape(-1, 3))
    for chunk in (1, 7, 50):
        assert np.array_equal(document_features(types, offsets, repeats=True, chunk_tokens=chunk), out)
    assert document_features(types[:0], np.array([0]), repeats=True).shape == (0, 5)


def test_vocabulary_puts_every_training_word_before_the_other_pretrained_words(tmp_path):
    from keyword_lightning.data import formats as fm
    from keyword_lightning.data import readers as rd
    from keyword_lightning.data.embeddings import build_embeddings
    from keyword_lightning.data.vocabulary import build_vocabulary
    from tests.conftest import write_conll

    doc = [("deep", "B-KEY"), ("nets", "I-KEY"), ("learn", "O"), ("deep", "O"), ("zzyzx", "O")]
    write_conll(tmp_path / "train.txt", [doc])
    fm.save_pickle(fm.build_dataset({"train": rd.read_conll(tmp_path / "train.txt")}), tmp_path / "ds.pkl")
    dataset = fm.load_dataset(tmp_path / "ds.pkl")
    (tmp_path / "vec.txt").write_text("the 1 0\nnets 0 1\nlearn 1 1\nzebra 0 0\ndeep 1 2\n")
    obj, _ = build_embeddings(dataset, tmp_path / "vec.txt")
    fm.save_pickle(obj, tmp_path / "emb.pkl")
    words, trainable = build_vocabulary(dataset, True, 1, str(tmp_path / "emb.pkl"))
    assert words == ["<pad>", "<unk>", "deep", "learn", "nets", "zzyzx", "the", "zebra"] and trainable == 6
    # min_freq 2: "zzyzx" (once, no vector) becomes <unk>; "learn", "nets" (once, pretrained) stay
    # trainable rows, ahead of the pretrained words that training never sees.
    words, trainable = build_vocabulary(dataset, True, 2, str(tmp_path / "emb.pkl"))
    assert words == ["<pad>", "<unk>", "deep", "learn", "nets", "the", "zebra"] and trainable == 5
