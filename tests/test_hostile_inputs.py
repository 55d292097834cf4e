"""Hostile and broken inputs: each ends in one clear line naming the file, line or document,
or in a correct result. No partial output files, nothing pre-existing overwritten."""

from __future__ import annotations

import builtins
import gzip
import json
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch

from keyword_lightning import KeywordExtractor
from keyword_lightning.data import formats as fm
from keyword_lightning.data import readers as rd
from keyword_lightning.data.embeddings import read_word_vectors
from keyword_lightning.prepare import prepare
from tests.conftest import TINY_DOCS, run_cli, run_env, write_conll


class _SystemExploit:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (os.system, (f"touch {self.target}",))


class _EvalExploit:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (builtins.eval, (f"open({str(self.target)!r}, 'w').close()",))


@pytest.mark.parametrize(
    ("exploit", "global_name"), [(_SystemExploit, "posix.system"), (_EvalExploit, "builtins.eval")]
)
def test_code_running_pickle_is_refused_and_never_runs(tmp_path, exploit, global_name):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"format": fm.DATASET_FORMAT, "version": 1, "x": exploit(marker)}))
    with pytest.raises(fm.DataError, match=f"evil.pkl: refused to load global '{global_name}'"):
        fm.load_dataset(path)
    assert not marker.exists()


def _good_dataset(tmp_path) -> dict:
    return fm.build_dataset({"train": rd.read_conll(write_conll(tmp_path / "t.txt", TINY_DOCS))})


def test_truncated_pickle(tmp_path):
    path = tmp_path / "cut.pkl"
    path.write_bytes(pickle.dumps(_good_dataset(tmp_path))[:100])
    with pytest.raises(fm.DataError, match=r"cut\.pkl: truncated or corrupt pickle"):
        fm.load_dataset(path)


def test_empty_pickle_file(tmp_path):
    path = tmp_path / "empty.pkl"
    path.write_bytes(b"")
    with pytest.raises(fm.DataError, match=r"empty\.pkl: truncated or corrupt pickle"):
        fm.load_dataset(path)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda o: o.update(version=99), "format version 99 is not supported"),
        (lambda o: o.update(format="other"), "format is 'other'"),
        (lambda o: o["splits"]["train"].update(ids=[1, 2, 3, 4]), "'ids' must be a list of str"),
        (lambda o: o["splits"].update(dev=o["splits"]["train"]), "unknown split 'dev'"),
    ],
)
def test_pickle_of_wrong_format_or_version(tmp_path, mutate, message):
    obj = _good_dataset(tmp_path)
    mutate(obj)
    (tmp_path / "bad.pkl").write_bytes(pickle.dumps(obj))
    with pytest.raises(fm.DataError, match=message):
        fm.load_dataset(tmp_path / "bad.pkl")


def test_pickle_of_a_different_type(tmp_path):
    (tmp_path / "list.pkl").write_bytes(pickle.dumps([1, 2, 3]))
    with pytest.raises(fm.DataError, match=r"list\.pkl: expected a dict, found list"):
        fm.load_dataset(tmp_path / "list.pkl")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("tags", lambda t: t[:-1], r"split 'train', document 3: lengths differ"),
        ("tags", lambda t: b"\x07" + t[1:], r"split 'train', document 0: unknown tag code 7"),
        ("offsets", lambda o: np.array([0, 0, 12, 18, 26], dtype="<i8").tobytes(), r"document 0: empty document"),
        ("tokens", lambda t: np.full(len(t) // 4, 10**6, dtype="<i4").tobytes(), r"document 0: token index outside"),
    ],
)
def test_pickle_token_tag_mismatches_name_the_document(tmp_path, field, value, message):
    obj = _good_dataset(tmp_path)
    part = obj["splits"]["train"]
    part[field] = value(part[field])
    (tmp_path / "bad.pkl").write_bytes(pickle.dumps(obj))
    with pytest.raises(fm.DataError, match=message):
        fm.load_dataset(tmp_path / "bad.pkl")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"a\tB-KEY\nb\tZ-KEY\n", r"a\.txt:2: unknown tag 'Z-KEY'"),
        (b"a\tB-KEY\n\tO\n", r"a\.txt:2: empty token \(tag 'O' alone on the line\)"),
        (b"B-KEY\n", r"a\.txt:1: expected 'token<TAB>tag', found 1 fields"),
        (b"a\tb\tO\n", r"a\.txt:1: expected 'token<TAB>tag', found 3 fields"),
        (b"a\tO\n\xff\xfe\tO\n", r"a\.txt:2: not valid UTF-8"),
        (b"\n\n", r"a\.txt: no documents"),
    ],
)
def test_malformed_conll(tmp_path, content, message):
    (tmp_path / "a.txt").write_bytes(content)
    with pytest.raises(fm.DataError, match=message):
        rd.read_conll(tmp_path / "a.txt")


def test_conll_crlf_bom_and_no_final_blank_line_read_correctly(tmp_path):
    (tmp_path / "a.txt").write_bytes("\ufeffGraph\tB-KEY\r\ntheory\tI-KEY\r\n\r\nx\tO".encode())
    docs = rd.read_conll(tmp_path / "a.txt")
    assert [(d.tokens, d.codes) for d in docs] == [(["Graph", "theory"], [1, 2]), (["x"], [0])]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b'{"id": 1, "keyphrases": []}', "field 'text' is missing"),
        (b'{"id": 1, "text": 5, "keyphrases": []}', "field 'text' is missing or not a string"),
        (b'{"id": 1, "text": "x"}', "field 'keyphrases' is missing"),
        (b'{"id": [1], "text": "x", "keyphrases": []}', "field 'id' must be a string or an integer"),
        (b'{"text": "x", "keyphrases": [1]}', "not a list of strings"),
        (b"[1, 2]", "expected a JSON object"),
        (b"{oops", "not valid JSON"),
        (b'{"text": "caf\xe9", "keyphrases": []}', "not valid UTF-8"),
        (b'{"id": 1, "text": " ", "keyphrases": []}', "has no tokens"),
    ],
)
def test_malformed_jsonl(tmp_path, line, message):
    (tmp_path / "d.jsonl").write_bytes(line + b"\n")
    with pytest.raises(fm.DataError, match=r"d\.jsonl:1: .*" + message):
        rd.read_jsonl(tmp_path / "d.jsonl")


def test_ragged_embedding_file(tmp_path):
    (tmp_path / "v.txt").write_text("a 1 2\nb 1 2 3\n")
    with pytest.raises(fm.DataError, match=r"v\.txt:2: 3 values, but earlier lines have 2"):
        read_word_vectors(tmp_path / "v.txt")


def test_non_numeric_embedding_file(tmp_path):
    with gzip.open(tmp_path / "v.txt.gz", "wt") as fh:
        fh.write("a 1 2\nb 1 x\n")
    with pytest.raises(fm.DataError, match=r"v\.txt\.gz:2: a value of word 'b' is not a number"):
        read_word_vectors(tmp_path / "v.txt.gz")


def test_duplicate_embedding_words_keep_the_first(tmp_path):
    (tmp_path / "v.txt").write_text("a 1 2\nb 3 4\na 5 6\n")
    words, vectors, duplicates = read_word_vectors(tmp_path / "v.txt")
    assert words == ["a", "b"] and vectors[0].tolist() == [1, 2] and duplicates == 1


def test_failed_prepare_leaves_existing_output_untouched(tmp_path):
    good = write_conll(tmp_path / "good.txt", TINY_DOCS)
    out = tmp_path / "out"
    prepare(train=str(good), out=str(out))
    before = (out / "data_set.pkl").read_bytes()
    bad = tmp_path / "bad.txt"
    bad.write_text("a\tB-KEY\nb\tWRONG\n")
    with pytest.raises(fm.DataError, match=r"bad\.txt:2"):
        prepare(train=str(good), test=str(bad), out=str(out))
    assert (out / "data_set.pkl").read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["data_set.pkl"]  # no temporary left behind


def test_prepare_killed_mid_write_leaves_no_partial_file(tmp_path):
    """SIGKILL while the pickle is being written: the target never exists half-written."""
    good = write_conll(tmp_path / "good.txt", TINY_DOCS * 2000)
    out = tmp_path / "out"
    script = (
        "import pickle, os, signal, keyword_lightning.data.formats as fm\n"
        "real = pickle.dump\n"
        "def dump(obj, fh, protocol=None):\n"
        "    fh.write(b'partial bytes'); fh.flush(); os.kill(os.getpid(), signal.SIGKILL)\n"
        "fm.pickle.dump = dump\n"
        f"from keyword_lightning.prepare import prepare; prepare(train={str(good)!r}, out={str(out)!r})\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], env=run_env())
    assert proc.returncode == -9
    assert not (out / "data_set.pkl").exists()


def test_prediction_writer_killed_mid_write_keeps_the_old_file(tiny_checkpoint, tmp_path):
    """SIGKILL after half the predictions are written: the earlier predictions.jsonl is intact."""
    out = tmp_path / "predictions.jsonl"
    out.write_text('{"id": "old"}\n')
    texts = tmp_path / "in.txt"
    texts.write_text("We study graph theory.\n" * 200)
    args = ["predict", "--ckpt_path", str(tiny_checkpoint), "--data.predict_file", str(texts),
            "--trainer.logger", "false", "--trainer.enable_progress_bar", "false",
            "--trainer.callbacks+=keyword_lightning.training.callbacks.PredictionWriter",
            "--trainer.callbacks.output_path", str(out)]  # fmt: skip
    script = (
        "import contextlib, os, signal, keyword_lightning.training.callbacks as cb\n"
        "real = cb.atomic_write\n"
        "@contextlib.contextmanager\n"
        "def killed_half_way(path, mode='wb'):\n"
        "    with real(path, mode) as fh:\n"
        "        class Half:\n"
        "            def write(self, data):\n"
        "                fh.write(data[: len(data) // 2]); fh.flush(); os.kill(os.getpid(), signal.SIGKILL)\n"
        "        yield Half()\n"
        "cb.atomic_write = killed_half_way\n"
        f"from keyword_lightning.cli import main; main({args!r})\n"
    )
    env = run_env(WANDB_MODE="disabled")
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, timeout=300)
    assert proc.returncode == -9, proc.stderr[-2000:]
    assert out.read_text() == '{"id": "old"}\n'  # the half-written data went to a temporary file only


def test_empty_one_token_and_unicode_documents_predict(tiny_checkpoint):
    ex = KeywordExtractor.from_checkpoint(tiny_checkpoint)
    texts = ["", "optimization", "Graph theory 🚀 for עברית נתונים, cafe\u0301 and zero\u200bwidth optimization."]
    records = ex.predict(texts)
    assert [len(r["tokens"]) for r in records[:2]] == [0, 1]
    assert records[0]["keyphrases"] == []
    for text, rec in zip(texts, records):
        for p in rec["keyphrases"]:
            assert text[p["start_char"] : p["end_char"]] == p["text"]
    assert "\u200b" not in records[2]["tokens"]


def test_hundred_thousand_token_document_is_chunked(tiny_checkpoint):
    ex = KeywordExtractor.from_checkpoint(tiny_checkpoint, max_length=1000)
    text = " ".join(["graph theory and optimization ."] * 20000)  # 100,000 tokens
    (record,) = ex.predict([text])
    assert len(record["tokens"]) == len(record["tags"]) == 100_000
    assert len(record["keyphrases"]) > 1000


def test_training_max_length_chunks_a_long_document(tmp_path):
    from keyword_lightning import KeywordDataModule

    long_doc = [("graph", "B-KEY"), ("theory", "I-KEY"), ("and", "O")] * 1000
    f = write_conll(tmp_path / "long.txt", [long_doc, TINY_DOCS[0]])
    dm = KeywordDataModule(str(prepare(train=str(f), out=str(tmp_path / "d"))), max_length=500)
    dm.setup("fit")
    assert sorted(dm.split_corpus("train").lengths().tolist()) == [6] + [500] * 6


def _cli(args, cwd):
    return run_cli(args, cwd, env=run_env(WANDB_MODE="disabled"), check=False)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "checkpoint not found: .*model.ckpt"),
        (b"garbage", r"model\.ckpt: cannot load checkpoint"),
        ({"state_dict": {}}, r"model\.ckpt: not a keyword-lightning checkpoint"),
    ],
)
def test_cli_missing_or_corrupt_checkpoint_is_one_line(tmp_path, content, message):
    if isinstance(content, bytes):
        (tmp_path / "model.ckpt").write_bytes(content)
    elif content is not None:
        torch.save(content, tmp_path / "model.ckpt")
    (tmp_path / "in.txt").write_text("graph theory\n")
    proc = _cli(["predict", "--ckpt_path", "model.ckpt", "--data.predict_file", "in.txt"], tmp_path)
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    import re

    assert re.search("keyword-lightning: error: " + message, line), line


def test_checkpoint_with_unsafe_pickle_is_refused_by_the_cli(tmp_path):
    marker = tmp_path / "pwned"
    torch.save({"keyword_lightning": _SystemExploit(marker)}, tmp_path / "model.ckpt")
    (tmp_path / "in.txt").write_text("graph theory\n")
    proc = _cli(["predict", "--ckpt_path", "model.ckpt", "--data.predict_file", "in.txt"], tmp_path)
    assert proc.returncode == 2 and "cannot load checkpoint" in proc.stderr
    assert not marker.exists()


def test_checkpoint_from_a_different_vocabulary_uses_its_own(tiny_checkpoint, tmp_path, inspec_prepared):
    """A tiny-corpus checkpoint run on Inspec: the checkpoint's vocabulary wins, no size error."""
    out = tmp_path / "p.jsonl"
    dataset = str(inspec_prepared / "data_set.pkl")
    args = ["predict", "--ckpt_path", str(tiny_checkpoint), "--data.dataset_file", dataset,
            "--data.predict_split", "test", "--trainer.logger", "false", "--trainer.enable_progress_bar", "false",
            "--trainer.callbacks+=keyword_lightning.training.callbacks.PredictionWriter",
            "--trainer.callbacks.output_path", str(out)]  # fmt: skip
    proc = _cli(args, tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    records = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(records) == 500 and all(len(r["tags"]) == len(r["tokens"]) for r in records)


def test_nan_loss_stops_training_and_keeps_the_last_good_checkpoint(tiny_corpus, tmp_path):
    import lightning as L
    from lightning.pytorch.callbacks import ModelCheckpoint

    from keyword_lightning import JointRNN, KeywordDataModule
    from keyword_lightning.training.callbacks import NonFiniteLossError, NonFiniteLossGuard

    class PoisonedAtEpoch2(JointRNN):
        def training_step(self, batch, batch_idx):
            loss = super().training_step(batch, batch_idx)
            return loss * float("nan") if self.current_epoch == 2 else loss

    L.seed_everything(0)
    dm = KeywordDataModule(str(tiny_corpus), batch_size=4)
    model = PoisonedAtEpoch2({"hidden_size1": 8, "hidden_size2": 8}, [{"words": {"dim": 8}}], vocabulary=dm.vocabulary)
    ckpt = ModelCheckpoint(dirpath=tmp_path / "ckpt", save_last=True)
    trainer = L.Trainer(max_epochs=5, logger=False, enable_progress_bar=False, callbacks=[NonFiniteLossGuard(), ckpt])
    with pytest.raises(
        NonFiniteLossError, match=r"non-finite training loss .* by epoch 2.*last good checkpoint: .*last\.ckpt"
    ):
        trainer.fit(model, dm)
    saved = torch.load(tmp_path / "ckpt" / "last.ckpt", weights_only=True)
    assert saved["epoch"] == 1
    assert all(torch.isfinite(v).all() for v in saved["state_dict"].values() if v.is_floating_point())
