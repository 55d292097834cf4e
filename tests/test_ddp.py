"""Lightning DDP on CPU (2 processes, gloo): metric states sync exactly."""

import csv
import os
import subprocess
import sys

from tests.conftest import ROOT


def _test_metrics(cwd, ckpt, dataset, *extra):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "WANDB_MODE": "disabled"}
    args = [
        sys.executable, "-m", "keyword_lightning.cli", "test", "--ckpt_path", str(ckpt),
        "--data.dataset_file", str(dataset), "--data.batch_size", "16", "--trainer.enable_progress_bar", "false",
        "--trainer.logger", "lightning.pytorch.loggers.CSVLogger", "--trainer.logger.save_dir", "logs", *extra,
    ]  # fmt: skip
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (metrics,) = cwd.glob("logs/lightning_logs/version_*/metrics.csv")
    with open(metrics) as fh:
        (row,) = [r for r in csv.DictReader(fh) if r.get("test/phrase_f1")]
    return row


def test_ddp_test_metrics_equal_single_process(tiny_checkpoint, tiny_corpus, tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    single = _test_metrics(tmp_path / "one", tiny_checkpoint, tiny_corpus)
    ddp = _test_metrics(
        tmp_path / "two", tiny_checkpoint, tiny_corpus,
        "--config", str(ROOT / "configs/trainer/ddp.yaml"), "--trainer.accelerator", "cpu", "--trainer.devices", "2",
    )  # fmt: skip
    synced = ("test/phrase_f1", "test/phrase_precision", "test/phrase_recall", "test/keyword_acc", "test/position_acc")
    for key in synced:
        assert float(ddp[key]) == float(single[key]), key
    assert 0 < float(single["test/phrase_f1"])
