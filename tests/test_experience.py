"""The user's side: terminal table output, progress bar rules, the wandb sweep file and the
offline wandb run read back without network."""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

import pytest
import yaml

from keyword_lightning.inference.predictions import render_table
from keyword_lightning.runs import latest_row
from keyword_lightning.training.callbacks import TerminalProgressBar
from tests.conftest import ROOT, run_cli, run_env

# ----------------------------------------------------------------------------- --format table


def test_render_table_marks_phrases_in_the_text():
    record = {
        "id": "doc",
        "keyphrases": [
            {"text": "graph theory", "start_char": 9, "end_char": 21, "score": 0.5},
            {"text": "optimization", "start_char": 26, "end_char": 38, "score": 0.9},
        ],
    }
    text = "We study graph theory and optimization."
    plain = render_table([record], [text]).splitlines()
    assert plain[0] == "== doc (2 keyphrases)"
    assert plain[1] == "We study [graph theory] and [optimization]."
    assert plain[2:4] == ["  0.900  optimization", "  0.500  graph theory"]  # best first
    colored = render_table([record], [text], color=True)
    assert "\033[1;33mgraph theory\033[0m" in colored and "[graph theory]" not in colored
    empty = render_table([{"id": "e", "keyphrases": []}], [""]).splitlines()
    assert empty[:2] == ["== e (0 keyphrases)", "(empty document)"]


def test_predict_format_table_from_stdin(tiny_checkpoint, tmp_path):
    args = ["predict", "--ckpt_path", tiny_checkpoint, "--data.predict_file", "-",
            "--trainer.logger", "false", "--trainer.callbacks+=keyword_lightning.training.callbacks.PredictionWriter",
            "--trainer.callbacks.format", "table"]  # fmt: skip
    proc = run_cli(
        args, tmp_path, env=run_env(WANDB_MODE="disabled"), input="We study graph theory.\n\nNeural networks.\n"
    )
    out = proc.stdout
    assert out.count("== ") == 3 and "== 1 (0 keyphrases)\n(empty document)" in out
    assert "\033[" not in out  # not a terminal: brackets, no colour codes
    assert "[graph theory]" in out or "[graph]" in out or "[theory]" in out, out
    assert "%" not in proc.stderr and "Predicting" not in proc.stderr  # no progress bar off a terminal


# ----------------------------------------------------------------------------- progress bar


class _Trainer:
    def __init__(self, batches: int) -> None:
        self.num_predict_batches = [batches]


def test_progress_bar_only_on_a_terminal_and_only_for_long_inputs(monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    assert TerminalProgressBar().is_disabled
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    bar = TerminalProgressBar(min_predict_batches=10)
    assert bar.is_enabled
    monkeypatch.setattr(TerminalProgressBar.__mro__[1], "on_predict_start", lambda *a: None)
    bar.on_predict_start(_Trainer(3), None)
    assert bar.is_disabled  # 3 batches: too short for a bar
    long_input = TerminalProgressBar(min_predict_batches=10)
    long_input.on_predict_start(_Trainer(50), None)
    assert long_input.is_enabled


def test_the_bar_is_drawn_on_stderr(monkeypatch, capsys):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    bar = TerminalProgressBar()
    for make in (bar.init_sanity_tqdm, bar.init_train_tqdm, bar.init_predict_tqdm):  # need no trainer
        assert make().fp._wrapped is sys.stderr  # tqdm wraps its file; stdout is for results
    assert capsys.readouterr().out == ""


# ----------------------------------------------------------------------------- sweep config


def test_sweep_parameters_are_cli_arguments(tmp_path):
    sweep = yaml.safe_load((ROOT / "configs/sweep.yaml").read_text())
    assert sweep["metric"] == {"name": "val/phrase_f1", "goal": "maximize"}
    assert {
        "model.optimizer.lr",
        "model.loss.alpha",
        "model.network.hidden_size1",
        "model.network.hidden_size2",
        "model.network.dropout",
    } <= set(  # fmt: skip
        sweep["parameters"]
    )
    # Pass one value of each parameter the way `wandb agent` does (--name=value) and check
    # that LightningCLI takes every one of them.
    chosen = {k: (v["values"][-1] if "values" in v else v["min"]) for k, v in sweep["parameters"].items()}
    command = [a for a in sweep["command"] if not a.startswith("${")]
    assert command[:2] == ["-m", "keyword_lightning.cli"]
    args = [*command[2:], *[f"--{k}={v}" for k, v in chosen.items()], "--print_config"]
    config = yaml.safe_load(run_cli(args, ROOT).stdout)
    for key, value in chosen.items():
        section, group, name = key.split(".")
        assert config[section][group][name] == value


# ----------------------------------------------------------------------------- offline wandb run


def read_wandb_records(path: Path):
    """Records of a ``.wandb`` transaction log, decoded with wandb's own protobuf schema.

    The file is a LevelDB-style log: a 7-byte header (``:W&B``, magic, version), then 32 KiB
    blocks of chunks, each with a 7-byte header (CRC, length, type: full/first/middle/last).
    """
    from wandb.proto import wandb_internal_pb2

    data = path.read_bytes()
    assert data[:4] == b":W&B", f"{path}: not a wandb transaction log"
    pos, block, buf = 7, 32768, b""
    while pos + 7 <= len(data):
        room = block - pos % block
        if room < 7:  # block trailer: padding
            pos += room
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos : pos + 7])
        if kind == 0 and length == 0:
            break
        chunk = data[pos + 7 : pos + 7 + length]
        pos += 7 + length
        buf = chunk if kind in (1, 2) else buf + chunk
        if kind in (1, 4):  # full, or the last piece of a record
            record = wandb_internal_pb2.Record()
            record.ParseFromString(buf)
            yield record
            buf = b""


def _key(item) -> str:
    return item.key or ".".join(item.nested_key)  # wandb writes either form


def wandb_run(run_dir: Path) -> dict:
    """Config, summary and history keys of one offline run folder."""
    config, summary, history = {}, {}, set()
    for record in read_wandb_records(next(run_dir.glob("run-*.wandb"))):
        kind = record.WhichOneof("record_type")
        if kind == "config":
            config.update({_key(item): json.loads(item.value_json) for item in record.config.update})
        elif kind == "summary":
            summary.update({_key(item): json.loads(item.value_json) for item in record.summary.update})
        elif kind == "history":
            history.update(_key(item) for item in record.history.item)
        elif kind == "run":
            config.update({_key(item): json.loads(item.value_json) for item in record.run.config.update})
    return {"config": config, "summary": summary, "history": history}


@pytest.mark.slow
def test_offline_wandb_run_holds_config_curves_and_test_metrics(inspec_prepared, tmp_path):
    common = ["--config", str(ROOT / "configs/inspec.yaml"), "--data.dataset_file",
              str(inspec_prepared / "data_set.pkl"),
              "--model.network.hidden_size1", "16", "--model.network.hidden_size2", "16",
              "--trainer.enable_progress_bar", "false", "--trainer.max_epochs", "2",
              "--trainer.limit_train_batches", "3", "--trainer.limit_val_batches", "2",
              "--trainer.limit_test_batches", "2"]  # fmt: skip
    env = {k: v for k, v in run_env().items() if k not in ("WANDB_MODE", "WANDB_DIR")}  # the CLI's default: offline
    for sub, extra in (("fit", []), ("test", ["--ckpt_path", "best", "--trainer.logger", "true"])):
        proc = run_cli([sub, *common, *extra], tmp_path, env=env)
    assert "wandb: continuing run" in proc.stderr
    runs = sorted((tmp_path / "runs/wandb").glob("offline-run-*"))
    assert len(runs) == 2, runs  # fit and test, nothing online
    ids = {r.name.rsplit("-", 1)[1] for r in runs}
    assert len(ids) == 1, f"test did not continue the fit's wandb run: {ids}"
    fit, test = (wandb_run(r) for r in runs)
    # The resolved config is in the run, as LightningCLI resolved it.
    assert fit["config"]["cli"]["model"]["inputs"][1] == {"document": {"doc_features": True}}
    assert fit["config"]["subcommand"] == "fit" and test["config"]["subcommand"] == "test"
    # The learning curves: the same keys as the CSV log.
    assert {"train/loss_epoch", "val/loss", "val/loss1", "val/loss2", "val/phrase_f1"} <= fit["history"]
    # The final test metrics, equal to the CSV log's.
    _, logged = latest_row(tmp_path / "runs", "test/phrase_f1")
    for key in ("test/phrase_f1", "test/set_f1", "test/set_macro_f1"):
        assert test["summary"][key] == pytest.approx(logged[key], abs=1e-9)


@pytest.mark.slow
def test_learning_rate_schedule_from_the_cli_config(inspec_prepared, tmp_path):
    args = ["fit", "--config", str(ROOT / "configs/inspec.yaml"), "--data.dataset_file",
            str(inspec_prepared / "data_set.pkl"),
            "--model.network.hidden_size1", "8", "--model.network.hidden_size2", "8",
            "--trainer.enable_progress_bar", "false", "--trainer.logger", "false", "--trainer.max_epochs", "2",
            "--trainer.limit_train_batches", "2", "--trainer.limit_val_batches", "1",
            "--optimizer", "torch.optim.Adam", "--optimizer.lr", "0.01",
            "--lr_scheduler", "torch.optim.lr_scheduler.StepLR", "--lr_scheduler.step_size", "1",
            "--lr_scheduler.gamma", "0.5"]  # fmt: skip
    run_cli(args, tmp_path, env=run_env(WANDB_MODE="disabled"))
    import torch

    last = next(tmp_path.rglob("last.ckpt"))
    ckpt = torch.load(last, map_location="cpu", weights_only=True)
    assert ckpt["lr_schedulers"][0]["_last_lr"] == [pytest.approx(0.01 * 0.5**2)]  # halved after each epoch
    assert ckpt["optimizer_states"][0]["param_groups"][0]["lr"] == pytest.approx(0.0025)
