"""Several corpora in one prepared dataset: ids tagged with their corpus, and mixing weights."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from keyword_lightning.data.formats import DataError, load_dataset
from keyword_lightning.data.sampler import weighted_items
from keyword_lightning.prepare import prepare
from tests.conftest import TINY_DOCS, write_conll


@pytest.fixture()
def two_corpora(tmp_path):
    """A prepared dataset from corpus `alpha` (4 documents a split) and corpus `beta` (2)."""
    files = {}
    for name, docs in (("alpha", TINY_DOCS), ("beta", TINY_DOCS[:2])):
        (tmp_path / name).mkdir()
        files[name] = write_conll(tmp_path / name / "train.txt", docs)
    both = [str(files["alpha"]), str(files["beta"])]
    return prepare(train=both, val=both, test=both, out=str(tmp_path / "data"))


def test_documents_keep_their_corpus(two_corpora):
    part = load_dataset(two_corpora).splits["train"]
    assert part.ids == [f"alpha/train-{i}" for i in range(4)] + ["beta/train-0", "beta/train-1"]
    assert part.corpora() == ["alpha"] * 4 + ["beta"] * 2


def test_one_file_keeps_plain_ids(tiny_corpus):
    part = load_dataset(tiny_corpus).splits["train"]
    assert part.ids[0] == "tiny-0" and set(part.corpora()) == {""}


def test_weighted_items_repeat_each_corpus_by_its_weight():
    groups = ["a"] * 10 + ["b"] * 4
    items = weighted_items(groups, {"b": 2.5, "a": 0.5}, seed=3)
    counts = Counter(groups[i] for i in items)
    assert counts == {"a": 5, "b": 10}  # 0.5 x 10; 2 x 4 + half of 4
    per_item = Counter(items.tolist())
    assert all(per_item[i] in (2, 3) for i in range(10, 14)) and all(per_item[i] <= 1 for i in range(10))
    assert np.array_equal(items, weighted_items(groups, {"b": 2.5, "a": 0.5}, seed=3))  # seeded
    assert sorted(weighted_items(groups, {}).tolist()) == list(range(14))  # no weights: each once
    with pytest.raises(ValueError, match="'c': no such corpus"):
        weighted_items(groups, {"c": 1.0})
    with pytest.raises(ValueError, match="0 or more"):
        weighted_items(groups, {"a": -1.0})


def test_the_datamodule_trains_on_the_weighted_mixture(two_corpora):
    from keyword_lightning.data.datamodule import KeywordDataModule

    dm = KeywordDataModule(str(two_corpora), batch_size=2, corpus_weights={"beta": 3.0})
    seen = [dm.dataset.splits["train"].ids[i] for batch in dm.train_dataloader().batch_sampler for i in batch]
    assert Counter(seen) == {**{f"alpha/train-{i}": 1 for i in range(4)}, "beta/train-0": 3, "beta/train-1": 3}
    bad = KeywordDataModule(str(two_corpora), corpus_weights={"gamma": 1.0})
    with pytest.raises(DataError, match="data_set.pkl: corpus_weights name 'gamma'"):
        bad.train_dataloader()


def test_conll_and_jsonl_corpora_mix_in_one_preparation(tmp_path):
    """``format: auto`` (the default) reads each file by its suffix; the data module knows each item's corpus."""
    import json

    from keyword_lightning.data.datamodule import KeywordDataModule

    (tmp_path / "alpha").mkdir()
    (tmp_path / "news").mkdir()
    conll = write_conll(tmp_path / "alpha" / "train.txt", TINY_DOCS)
    lines = [
        {"id": "s1", "text": "Graph theory meets optimization.", "keyphrases": ["graph theory"]},
        {"id": "s2", "text": "Neural networks learn.", "keyphrases": ["neural networks", "absent one"]},
    ]
    jsonl = tmp_path / "news" / "dev.JSONL"  # any case
    jsonl.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    data = prepare(train=[str(conll), str(jsonl)], val=[str(conll), str(jsonl)], out=str(tmp_path / "data"))
    part = load_dataset(data).splits["val"]
    assert part.corpora() == ["alpha"] * 4 + ["news"] * 2 and part.ids[-2:] == ["news/s1", "news/s2"]
    dm = KeywordDataModule(str(data), batch_size=2)
    corpora = dm.item_corpora("val")
    assert sorted(corpora.tolist()) == ["alpha"] * 4 + ["news"] * 2
