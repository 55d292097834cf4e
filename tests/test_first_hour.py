"""A new user's first hour: clean streams, predict from a checkpoint alone, one-line errors,
a line per epoch off a terminal, threads that share the machine, one meaning of best/last."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest
import torch

from keyword_lightning import runtime
from keyword_lightning.runs import find_run_checkpoint
from tests.conftest import run_cli, run_env

TEXT = "We study graph theory and optimization of neural networks.\n"


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def user_env(**extra: str) -> dict[str, str]:
    """A user's environment: wandb as the project sets it up (offline), nothing silenced by hand."""
    env = {k: v for k, v in run_env(**extra).items() if k not in ("WANDB_SILENT", "WANDB_MODE", "KW_QUIET")}
    return {**env, **extra}


# ----------------------------------------------------------------------------- streams


def test_stdout_holds_only_records_and_nothing_is_created(tiny_checkpoint, tmp_path):
    """``echo TEXT | predict --ckpt_path X --data.predict_file - --trainer.callbacks.output_path -``."""
    empty = tmp_path / "empty"
    empty.mkdir()
    args = ["predict", "--ckpt_path", tiny_checkpoint, "--data.predict_file", "-",
            "--trainer.callbacks.output_path", "-"]  # fmt: skip
    proc = run_cli(args, empty, env=user_env(), input=TEXT + "Neural networks.\n")
    records = [json.loads(line) for line in proc.stdout.splitlines()]  # every stdout line is a record
    assert [r["id"] for r in records] == ["0", "1"]
    assert files_under(empty) == []  # no runs/, no wandb/, no config.yaml, no predictions file
    assert proc.stderr == ""  # nothing to say on success


def test_checkpoint_alone_table_and_jsonl_file(tiny_checkpoint, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    args = ["predict", "--ckpt_path", tiny_checkpoint, "--data.predict_file", "-"]
    table = run_cli([*args, "--trainer.callbacks.format", "table"], work, env=user_env(), input=TEXT)
    assert table.stdout.startswith("== 0 (") and "We study" in table.stdout
    proc = run_cli(args, work, env=user_env(), input=TEXT)
    assert proc.stdout == "" and proc.stderr.strip() == "wrote 1 predictions to predictions.jsonl"
    (record,) = [json.loads(line) for line in (work / "predictions.jsonl").read_text().splitlines()]
    assert record["tokens"][:3] == ["We", "study", "graph"]
    assert files_under(work) == ["predictions.jsonl"]


def test_a_logger_only_when_asked_for(tiny_checkpoint, tmp_path):
    args = ["predict", "--ckpt_path", tiny_checkpoint, "--data.predict_file", "-", "--trainer.logger", "true",
            "--trainer.default_root_dir", "logs"]  # fmt: skip
    run_cli(args, tmp_path, env=user_env(WANDB_MODE="disabled"), input=TEXT)
    assert any(name.endswith("predictions.jsonl") and name.startswith("logs/") for name in files_under(tmp_path))


def test_test_metrics_on_stdout_and_quiet_leaves_stderr_empty(tiny_checkpoint, tiny_corpus, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    args = ["test", "--ckpt_path", tiny_checkpoint, "--data.dataset_file", tiny_corpus, "--quiet"]
    proc = run_cli(args, work, env=user_env())
    metrics = dict(line.split() for line in proc.stdout.splitlines())
    assert 0.0 <= float(metrics["test/phrase_f1"]) <= 1.0 and "test/f1@10" in metrics
    assert proc.stderr == ""
    assert files_under(work) == []


# ----------------------------------------------------------------------------- one-line errors


def assert_one_line(proc, code: int, *needles: str) -> str:
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == code, proc.stderr
    assert len(lines) == 1, proc.stderr  # one line, so it is also the last
    for needle in needles:
        assert needle in lines[-1], lines[-1]
    return lines[-1]


def test_missing_config_is_one_line(tmp_path):
    proc = run_cli(["fit", "--config", "nope.yaml"], tmp_path, env=user_env(), check=False)
    assert_one_line(proc, 2, "nope.yaml", "does not exist")


def test_a_class_path_from_before_the_packages_by_stage_names_its_new_path(tmp_path):
    """An old config (``keyword_lightning.callbacks.X``, before issue 23) fails in one line that names the new path."""
    (tmp_path / "old.yaml").write_text("trainer:\n  logger:\n    - class_path: keyword_lightning.loggers.WandbLogger\n")
    proc = run_cli(["fit", "--config", "old.yaml", "--print_config"], tmp_path, env=user_env(), check=False)
    assert_one_line(
        proc, 2, "keyword_lightning.loggers.WandbLogger is now keyword_lightning.training.loggers.WandbLogger"
    )
    flag = "--trainer.callbacks+=keyword_lightning.callbacks.PredictionWriter"
    proc = run_cli(["fit", flag, "--print_config"], tmp_path, env=user_env(), check=False)
    new = "keyword_lightning.training.callbacks.PredictionWriter"
    assert_one_line(proc, 2, f"keyword_lightning.callbacks.PredictionWriter is now {new}")


def test_moved_paths_name_each_moved_path_once():
    from keyword_lightning.training.lightning_cli import MOVED_MODULES, moved_paths

    message = (
        "Problem with given class_path 'keyword_lightning.loggers.WandbLogger': no attribute; "
        "keyword_lightning.loggers.WandbLogger not accessible; keyword_lightning.model.checkpoint is fine; "
        "keyword_lightning.checkpointing.X is not a moved module"
    )
    assert moved_paths(message) == [
        "keyword_lightning.loggers.WandbLogger is now keyword_lightning.training.loggers.WandbLogger"
    ]
    assert moved_paths("keyword_lightning.model.crf.TagCRF") == [
        "keyword_lightning.model.crf.TagCRF is now keyword_lightning.tagging.crf.TagCRF"
    ]
    for old, new in MOVED_MODULES.items():  # every new path is a module of this release, no old one is
        assert importlib.util.find_spec(new) is not None, new
        assert importlib.util.find_spec(old) is None, old


def test_truncated_or_foreign_checkpoint_is_one_line(tiny_checkpoint, tmp_path):
    data = Path(tiny_checkpoint).read_bytes()
    (tmp_path / "cut.ckpt").write_bytes(data[: len(data) // 2])
    (tmp_path / "notes.ckpt").write_text("not a checkpoint")
    for name in ("cut.ckpt", "notes.ckpt"):
        args = ["predict", "--ckpt_path", name, "--data.predict_file", "-"]
        proc = run_cli(args, tmp_path, env=user_env(), input=TEXT, check=False)
        assert_one_line(proc, 2, name, "truncated or not a keyword-lightning checkpoint")


def test_empty_input_writes_an_empty_output_and_says_so(tiny_checkpoint, tmp_path):
    (tmp_path / "empty.txt").write_text("")
    args = ["predict", "--ckpt_path", tiny_checkpoint, "--data.predict_file", "empty.txt",
            "--trainer.callbacks.output_path", "out.jsonl"]  # fmt: skip
    proc = run_cli(args, tmp_path, env=user_env())
    assert_one_line(proc, 0, "0 documents in empty.txt", "out.jsonl")
    assert (tmp_path / "out.jsonl").read_text() == ""
    stdin = run_cli([*args[:4], "-", "--trainer.callbacks.output_path", "-"], tmp_path, env=user_env(), input="")
    assert stdin.stdout == "" and "0 documents in stdin" in stdin.stderr


def test_missing_input_is_one_line_even_with_wandb_on(tiny_checkpoint, tmp_path):
    args = ["predict", "--ckpt_path", tiny_checkpoint, "--data.predict_file", "missing.txt"]
    proc = run_cli(args, tmp_path, env=user_env(), check=False)
    assert_one_line(proc, 2, "missing.txt")


# ----------------------------------------------------------------------------- progress


def test_a_line_per_epoch_without_a_terminal(tiny_corpus, tmp_path):
    args = ["fit", "--data.dataset_file", tiny_corpus, "--data.batch_size", "4",
            "--model.inputs", "[{words: {dim: 8}}]",
            "--model.network.hidden_size1", "8", "--model.network.hidden_size2", "8", "--trainer.max_epochs", "3",
            "--trainer.logger", "false", "--trainer.default_root_dir", "fit"]  # fmt: skip
    proc = run_cli(args, tmp_path, env=user_env())
    assert proc.stdout == ""  # a fit has no results for stdout
    lines = [line for line in proc.stderr.splitlines() if line.startswith("epoch ")]
    assert [line.split()[1] for line in lines] == ["1/3", "2/3", "3/3"], proc.stderr
    assert all(" train/loss " in line and " val/phrase_f1 " in line and " elapsed " in line for line in lines)
    assert " eta <=" in lines[0] and " eta " not in lines[-1]
    quiet = run_cli([*args, "--quiet"], tmp_path, env=user_env())
    assert quiet.stderr == "" and quiet.stdout == ""


# ----------------------------------------------------------------------------- threads


def test_default_threads_leave_room_for_a_second_job(monkeypatch):
    assert [runtime.default_threads(n) for n in (1, 2, 3, 16)] == [1, 1, 1, 8]
    before = torch.get_num_threads()
    try:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
        assert runtime.set_threads(None) == runtime.default_threads()
        monkeypatch.setenv("OMP_NUM_THREADS", "3")
        assert runtime.set_threads(None) == 3
        assert runtime.set_threads(2) == 2 and runtime.set_threads(0) == 2  # 0: leave torch as it is
    finally:
        torch.set_num_threads(before)


def test_threads_option_of_the_cli_and_the_extractor(tiny_checkpoint, tmp_path):
    from keyword_lightning import KeywordExtractor

    before = torch.get_num_threads()
    try:
        KeywordExtractor.from_checkpoint(tiny_checkpoint, threads=3)
        assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(before)
    args = ["predict", "--ckpt_path", tiny_checkpoint, "--data.predict_file", "-", "--threads", "1",
            "--print_config"]  # fmt: skip
    assert "threads: 1" in run_cli(args, tmp_path, env=user_env()).stdout


# ----------------------------------------------------------------------------- best / last


def fake_run(root: Path, name: str, mtime: float) -> Path:
    path = root / name / "checkpoints" / "last.ckpt"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"")
    os.utime(path, (mtime, mtime))
    return path


def test_best_and_last_search_the_same_places_for_every_command(tmp_path, monkeypatch):
    from keyword_lightning.commands import resolve_checkpoint

    monkeypatch.chdir(tmp_path)
    demo = fake_run(tmp_path, "demo/runs/version_0", 2_000_000_000)  # newer, but outside runs/
    assert find_run_checkpoint(None, "last") == demo.relative_to(tmp_path)  # no runs/: anywhere below
    assert resolve_checkpoint("last", check=False) == demo.relative_to(tmp_path)
    mine = fake_run(tmp_path, "runs/version_0", 1_000_000_000)
    assert find_run_checkpoint(None, "last") == mine.relative_to(tmp_path)  # runs/ first
    assert resolve_checkpoint("last", check=False) == mine.relative_to(tmp_path)
    assert find_run_checkpoint("demo", "last") == demo.relative_to(tmp_path)  # the given folder first


@pytest.mark.parametrize("command", ["predict", "test", "validate"])
def test_help_says_where_best_is_searched(command, tmp_path):
    out = run_cli([command, "--help"], tmp_path, env=user_env()).stdout
    assert "runs/ under the working directory" in " ".join(out.split())


def test_report_ends_with_the_keyphrases_of_one_document(tmp_path):
    """``python -m keyword_lightning.report DIR``, the last step of ``make demo``."""
    run = tmp_path / "runs" / "version_1"
    run.mkdir(parents=True)
    (run / "metrics.csv").write_text("test/phrase_f1,epoch\n0.5034,9\n")
    record = {"id": "7", "tokens": ["-LRB-", "Fuzzy", "control", "-RRB-"], "keyphrases": [],
              "ranked": [{"text": "Fuzzy control", "score": 1.8, "occurrences": [[1, 14], [20, 33]]},
                         {"text": "works", "score": 0.5, "occurrences": [[40, 45]]}]}  # fmt: skip
    (tmp_path / "predictions.jsonl").write_text(json.dumps(record) + "\n")
    out = run_cli([tmp_path], tmp_path, module="keyword_lightning.report", env=user_env()).stdout.splitlines()
    assert "test/phrase_f1" in out[1] and "0.5034" in out[1]
    assert out[-4:] == [
        "  ( Fuzzy control )",
        "keyphrases, best first:",
        "  1.800  Fuzzy control (x2)",
        "  0.500  works",
    ]


# ----------------------------------------------------------------------------- install


def test_the_project_metadata_gives_setuptools_nothing_to_warn_about():
    """``pip install -e .`` prints setuptools' warnings: none for the license, none for the layout."""
    import warnings

    from setuptools.config.pyprojecttoml import apply_configuration
    from setuptools.dist import Distribution

    from tests.conftest import ROOT

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the deprecated license table warned here (twice per install)
        dist = apply_configuration(Distribution(), ROOT / "pyproject.toml")
    assert dist.metadata.license_expression == "MIT"
    # A root package dir makes the editable install a plain .pth (setuptools warns for its finder).
    assert dist.package_dir == {"": "."}


# ----------------------------------------------------------------------------- README


def test_readme_is_short_and_its_bash_blocks_are_commands_only():
    import re

    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme) <= 11_000, f"README.md has {len(readme)} characters; move detail one link away"
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.S)
    assert blocks, "the README shows its commands in bash blocks"
    for block in blocks:  # copy-pasteable: no prompts, no output lines
        for line in block.splitlines():
            assert not line.lstrip().startswith(("$ ", "> ", "==", "{")), line
