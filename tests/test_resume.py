"""Crash and resume: SIGKILL a fit mid-epoch, resume from last.ckpt, get the same final metrics."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from keyword_lightning.runs import metric_rows
from tests.conftest import ROOT, run_env


def _subset(src: Path, dst: Path, docs: int) -> Path:
    blocks = src.read_text(encoding="utf-8").split("\n\n")[:docs]
    dst.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    return dst


def _fit_cmd(dataset: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "keyword_lightning.cli", "fit", "--config", str(ROOT / "configs/inspec.yaml"),
        "--data.dataset_file", str(dataset), "--data.embedding_file", "null", "--model.inputs", "[{words: {dim: 32}}]",
        "--model.network.hidden_size1", "32", "--model.network.hidden_size2", "32", "--trainer.max_epochs", "4",
        "--trainer.deterministic", "true", "--trainer.enable_progress_bar", "false", *extra,
    ]  # fmt: skip


def _final_metrics(run_dir: Path) -> dict[str, float]:
    rows = [r for r in metric_rows(run_dir / "metrics.csv") if "val/phrase_f1" in r]
    return {k: v for k, v in rows[-1].items() if k.startswith("val/") or k == "epoch"}


pytestmark = pytest.mark.slow  # trains on Inspec for real


def test_kill_mid_epoch_then_resume_matches_an_uninterrupted_run(inspec_dir, tmp_path):
    from keyword_lightning.prepare import prepare

    train = _subset(inspec_dir / "train.txt", tmp_path / "train.txt", 240)
    val = _subset(inspec_dir / "valid.txt", tmp_path / "valid.txt", 60)
    dataset = prepare(train=str(train), val=str(val), out=str(tmp_path / "data"))
    env = run_env(WANDB_MODE="offline")

    whole = tmp_path / "whole"
    whole.mkdir()
    subprocess.run(_fit_cmd(dataset), cwd=whole, env=env, check=True, capture_output=True, timeout=600)
    expected = _final_metrics(whole / "runs/version_0")

    crash = tmp_path / "crash"
    crash.mkdir()
    proc = subprocess.Popen(_fit_cmd(dataset), cwd=crash, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    last = crash / "runs/version_0/checkpoints/last.ckpt"
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if last.is_file():
            try:
                if torch.load(last, weights_only=True)["epoch"] >= 1:
                    break
            except Exception:  # being written right now (it is renamed into place, but be safe)
                pass
        time.sleep(0.05)
    time.sleep(0.5)  # well into the next epoch
    assert proc.poll() is None, "the fit ended before it could be killed; make the run longer"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = torch.load(last, weights_only=True)["epoch"]
    assert killed_at < 3

    subprocess.run(_fit_cmd(dataset, "--ckpt_path", "last"), cwd=crash, env=env, check=True, capture_output=True,
                   timeout=600)  # fmt: skip
    resumed = _final_metrics(crash / "runs/version_1")
    assert resumed == expected
