"""Lightning DDP on CPU (2 processes, gloo): metric states sync exactly, predictions are gathered."""

import json

import pytest

from keyword_lightning.runs import latest_row
from tests.conftest import ROOT, run_cli, run_env

DDP = ["--config", str(ROOT / "configs/trainer/ddp.yaml"), "--trainer.accelerator", "cpu", "--trainer.devices", "2"]
pytestmark = pytest.mark.slow


def _run(cwd, subcommand, ckpt, dataset, *extra):
    cwd.mkdir()
    args = [subcommand, "--ckpt_path", ckpt, "--data.dataset_file", dataset, "--data.batch_size", "4",
            "--trainer.enable_progress_bar", "false", "--trainer.logger", "lightning.pytorch.loggers.CSVLogger",
            "--trainer.logger.save_dir", "logs", *extra]  # fmt: skip
    return run_cli(args, cwd, env=run_env(WANDB_MODE="disabled"))


def test_ddp_test_metrics_equal_single_process(tiny_checkpoint, tiny_corpus, tmp_path):
    _run(tmp_path / "one", "test", tiny_checkpoint, tiny_corpus)
    _run(tmp_path / "two", "test", tiny_checkpoint, tiny_corpus, *DDP)
    (_, single), (_, ddp) = (latest_row(tmp_path / d / "logs", "test/phrase_f1") for d in ("one", "two"))
    synced = ("test/phrase_f1", "test/phrase_precision", "test/phrase_recall", "test/keyword_acc", "test/position_acc")
    for key in synced:
        assert ddp[key] == single[key], key
    assert 0 < single["test/phrase_f1"]


def test_ddp_predictions_hold_every_document_once_in_input_order(tiny_checkpoint, tiny_corpus, tmp_path):
    written = {}
    for name, extra in (("one", []), ("two", DDP)):
        out = tmp_path / f"{name}.jsonl"
        proc = _run(
            tmp_path / name,
            "predict",
            tiny_checkpoint,
            tiny_corpus,
            "--data.predict_split",
            "test",
            "--trainer.callbacks.output_path",
            out,
            *extra,
        )  # fmt: skip  (the default's PredictionWriter)
        assert proc.stderr.count("wrote 16 predictions") == 1, proc.stderr[-2000:]  # one writer: rank 0
        written[name] = [json.loads(line) for line in out.read_text().splitlines()]
    single, ddp = written["one"], written["two"]
    assert [r["id"] for r in ddp] == [r["id"] for r in single] == [f"tiny-{i}" for i in range(16)]
    for a, b in zip(single, ddp):
        assert a["tags"] == b["tags"] and a["tokens"] == b["tokens"]
        assert [(k["start_token"], k["end_token"], k["text"]) for k in a["keyphrases"]] == [
            (k["start_token"], k["end_token"], k["text"]) for k in b["keyphrases"]
        ]
        assert [k["score"] for k in a["keyphrases"]] == pytest.approx([k["score"] for k in b["keyphrases"]], abs=1e-5)
    assert sum(len(r["keyphrases"]) for r in ddp) > 0
