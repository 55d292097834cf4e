"""Chinese through keyword-lightning-prepare: JSONL with the chars and jieba tokenizers, on csl-kg."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from keyword_lightning.data.formats import load_dataset
from keyword_lightning.prepare import prepare
from keyword_lightning.tagging import bio_codes_to_spans
from tests.conftest import ROOT, TINY_DOCS, write_conll

# What became of csl-kg's keyphrases, per tokenizer and split (jieba 0.42.1's dictionary).
CSL_COUNTS = {
    "chars": {
        "train": "800 documents, 4143 keyphrases: 3501 present, 4 inside a token (not marked), "
        "19 overlapping another keyphrase (not marked), 619 absent",
        "val": "200 documents, 1069 keyphrases: 922 present, 0 inside a token (not marked), "
        "12 overlapping another keyphrase (not marked), 135 absent",
    },
    "jieba": {
        "train": "800 documents, 4143 keyphrases: 3360 present, 154 inside a token (not marked), "
        "10 overlapping another keyphrase (not marked), 619 absent",
        "val": "200 documents, 1069 keyphrases: 870 present, 57 inside a token (not marked), "
        "7 overlapping another keyphrase (not marked), 135 absent",
    },
}
TRAIN_PRESENT = {"chars": 3501, "jieba": 3360}


@pytest.mark.parametrize("tokenizer", ["chars", "jieba"])
def test_prepare_csl_reports_every_keyphrase(csl_dir, tmp_path, capsys, tokenizer):
    target = prepare(
        train=str(csl_dir / "train.jsonl"),
        val=str(csl_dir / "valid.jsonl"),
        out=str(tmp_path),
        format="jsonl",
        tokenizer=tokenizer,
    )
    lines = capsys.readouterr().err.splitlines()
    for split, summary in CSL_COUNTS[tokenizer].items():
        assert f"{split}: {summary}" in lines
    ds = load_dataset(target)
    assert ds.document("train", 0).id == "csl-kg-dev-0000"
    assert ds.tokenizer == tokenizer and {k: len(v) for k, v in ds.splits.items()} == {"train": 800, "val": 200}
    # Independently of the marking: a keyphrase is in the text (present, inside a token or
    # overlapped) exactly when it occurs verbatim, ignoring case (no csl-kg keyphrase differs
    # from its text in whitespace only).
    with open(csl_dir / "train.jsonl", encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh]
    verbatim = sum(k.lower() in r["text"].lower() for r in records for k in r["keyphrases"])
    assert verbatim == 4143 - 619
    # Every marked span is a keyphrase of its document (spaces aside: tokens hold none), and
    # there are at least as many marked spans as present keyphrases.
    n_spans = 0
    for i, record in enumerate(records):
        doc = ds.document("train", i)
        keys = {"".join(k.lower().split()) for k in record["keyphrases"]}
        spans = bio_codes_to_spans(doc.codes)
        assert all("".join(doc.tokens[s : e + 1]).lower() in keys for s, e in spans), record["id"]
        n_spans += len(spans)
    assert n_spans >= TRAIN_PRESENT[tokenizer]


def test_prepare_cli_chinese_jsonl_and_conll_record_the_tokenizer(tmp_path):
    f = tmp_path / "z.jsonl"
    f.write_text(
        json.dumps(
            {"id": "z", "text": "水运工程项目作为我国航运的重要组成部分。", "keyphrases": ["水运工程", "航运", "水利"]}
        )
        + "\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "keyword_lightning.prepare", "--format", "jsonl", "--train", str(f)]
    proc = subprocess.run(
        [*cmd, "--tokenizer", "jieba", "--out", "j"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == [
        "train: 1 documents, 9 tokens",
        "train: 1 documents, 3 keyphrases: 1 present, 1 inside a token (not marked), "
        "0 overlapping another keyphrase (not marked), 1 absent",
        f"wrote {os.path.join('j', 'data_set.pkl')} (tokenizer jieba)",
    ]
    assert load_dataset(tmp_path / "j" / "data_set.pkl").tokenizer == "jieba"
    proc = subprocess.run(
        [*cmd, "--tokenizer", "spacy", "--out", "s"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 2 and "tokenizer" in proc.stderr and not (tmp_path / "s").exists()
    # CoNLL is already split: the tokenizer says how raw text at predict time is to be split.
    conll = write_conll(tmp_path / "t.txt", TINY_DOCS)
    assert load_dataset(prepare(train=str(conll), out=str(tmp_path / "c"), tokenizer="chars")).tokenizer == "chars"
    assert load_dataset(prepare(train=str(conll), out=str(tmp_path / "p"))).tokenizer == "ptb"


def test_prepare_without_jieba_is_a_one_line_error(tmp_path):
    f = tmp_path / "z.jsonl"
    f.write_text('{"id": "z", "text": "中文", "keyphrases": []}\n', encoding="utf-8")
    code = (
        "import sys; sys.modules['jieba'] = None\n"  # as if jieba were not installed
        "from keyword_lightning.prepare import main\n"
        f"main(['--format', 'jsonl', '--tokenizer', 'jieba', '--train', {str(f)!r}, '--out', 'o'])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "keyword-lightning-prepare: error: the jieba tokenizer needs jieba: pip install 'keyword-lightning[zh]'"
    ]
    assert not (tmp_path / "o").exists()


# ----------------------------------------------------------------------------- end to end

ZH_DOCS = [
    {"id": "a", "text": "深度学习用于关键词抽取。", "keyphrases": ["深度学习", "关键词抽取"]},
    {"id": "b", "text": "我们研究图论和优化方法。", "keyphrases": ["图论", "优化"]},
    {"id": "c", "text": "关键词抽取基于图论。", "keyphrases": ["关键词抽取", "图论"]},
    {"id": "d", "text": "优化深度学习模型（CNN）。", "keyphrases": ["优化", "深度学习"]},
]


@pytest.fixture()
def zh_checkpoint(tmp_path):
    """A tiny model trained on Chinese text split by the chars tokenizer, reading the CSL recipe's features."""
    from tests.conftest import fit_tiny

    src = tmp_path / "zh.jsonl"
    src.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in ZH_DOCS * 4), encoding="utf-8")
    dataset = prepare(train=str(src), val=str(src), test=str(src), out=str(tmp_path / "zh"), format="jsonl",
                      tokenizer="chars")  # fmt: skip
    features = {"inputs": [{"words": {"dim": 16}}, {"document": {"doc_features": True, "repeat_features": True}}]}
    trainer, model, _ = fit_tiny(dataset, tmp_path / "fit", epochs=40, model_kw=features)
    assert model.tokenizer == "chars"  # training took the dataset's tokenizer
    path = tmp_path / "zh.ckpt"
    trainer.save_checkpoint(path)
    return path


def test_chinese_raw_text_in_keyphrases_out(zh_checkpoint):
    from keyword_lightning import KeywordExtractor

    text = "我们用深度学习做关键词抽取，并研究图论。"
    (record,) = KeywordExtractor.from_checkpoint(zh_checkpoint).predict([text])
    assert record["tokens"][:4] == ["我", "们", "用", "深"]  # split by the checkpoint's tokenizer, chars
    assert record["keyphrases"], record["tags"]
    for k in record["keyphrases"]:
        assert text[k["start_char"] : k["end_char"]] == k["text"]
    assert "深度学习" in {k["text"] for k in record["keyphrases"]}


def test_chinese_predict_from_stdin_with_the_cli(zh_checkpoint, tmp_path):
    from tests.conftest import run_cli, run_env

    args = ["predict", "--ckpt_path", zh_checkpoint, "--data.predict_file", "-", "--trainer.logger", "false",
            "--trainer.callbacks+=keyword_lightning.training.callbacks.PredictionWriter",
            "--trainer.callbacks.format", "table"]  # fmt: skip
    proc = run_cli(args, tmp_path, env=run_env(WANDB_MODE="disabled"), input="深度学习用于图论。\n")
    assert "[深度学习]" in proc.stdout, proc.stdout


def test_checkpoint_refuses_data_prepared_with_another_tokenizer(zh_checkpoint, tmp_path):
    from tests.conftest import run_cli, run_env

    src = tmp_path / "other.jsonl"
    src.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in ZH_DOCS), encoding="utf-8")
    other = prepare(train=str(src), test=str(src), out=str(tmp_path / "ptb"), format="jsonl")  # ptb
    args = ["test", "--ckpt_path", zh_checkpoint, "--data.dataset_file", other, "--trainer.logger", "false"]
    proc = run_cli(args, tmp_path, env=run_env(WANDB_MODE="disabled"), check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == (
        f"keyword-lightning: error: {other}: prepared with the 'ptb' tokenizer, but the model reads text "
        "split by 'chars' (prepare the data with --tokenizer chars)"
    )
