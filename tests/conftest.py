"""Shared fixtures. Tests that need ../shared/data or an optional tool skip only when it is truly
absent; with KW_REQUIRE_DATA=1 (set by .ci/run) a missing data folder fails instead, and with
KW_NO_SKIPS=1 (also set by .ci/run) any skip fails, naming its reason."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("KW_SHARED_DATA", ROOT.parent / "shared" / "data"))
INSPEC = SHARED / "inspec"
GLOVE = SHARED / "glove" / "glove.6B.50d.top100k.txt.gz"
CSL = SHARED / "csl-kg"


CLI = "keyword_lightning.cli"
PREPARE = "keyword_lightning.prepare"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Under KW_NO_SKIPS=1 (CI: everything is installed) a skipped test is a failed one."""
    report = yield
    if report.skipped and os.environ.get("KW_NO_SKIPS") == "1" and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome, report.longrepr = "failed", f"skipped under KW_NO_SKIPS=1: {reason}"
    return report


def run_env(**overrides: str) -> dict[str, str]:
    """The environment of a child process: this checkout first on the import path, quiet wandb."""
    return {**os.environ, "PYTHONPATH": str(ROOT), "WANDB_SILENT": "true", **overrides}


def run_cli(
    args: list[str],
    cwd: Path,
    *,
    module: str = CLI,
    env: dict[str, str] | None = None,
    input: str | None = None,
    check: bool = True,
    timeout: int = 600,
) -> subprocess.CompletedProcess:
    """``python -m MODULE ARGS`` in a new process; with ``check`` a non-zero exit fails the test."""
    proc = subprocess.run(
        [sys.executable, "-m", module, *map(str, args)],
        cwd=cwd,
        env=env or run_env(),
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check:
        assert proc.returncode == 0, (
            f"{module} {' '.join(map(str, args))}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    return proc


def _need(path: Path) -> Path:
    if not path.exists():
        if os.environ.get("KW_REQUIRE_DATA") == "1":
            pytest.fail(f"required data missing: {path} (KW_REQUIRE_DATA=1)")
        pytest.skip(f"data not present: {path}")
    return path


@pytest.fixture(scope="session")
def inspec_dir() -> Path:
    return _need(INSPEC)


@pytest.fixture(scope="session")
def csl_dir() -> Path:
    """Chinese keywords (CSL keyword task): train.jsonl and valid.jsonl."""
    return _need(CSL)


@pytest.fixture(scope="session")
def glove_file() -> Path:
    return _need(GLOVE)


@pytest.fixture(scope="session")
def inspec_prepared(tmp_path_factory, inspec_dir, glove_file) -> Path:
    """Inspec prepared once per session: folder with data_set.pkl and embedding.pkl."""
    from keyword_lightning.prepare import prepare

    out = tmp_path_factory.mktemp("inspec")
    prepare(
        train=str(inspec_dir / "train.txt"),
        val=str(inspec_dir / "valid.txt"),
        test=str(inspec_dir / "test.txt"),
        out=str(out),
        embeddings=str(glove_file),
    )
    return out


def write_conll(path: Path, docs: list[list[tuple[str, str]]]) -> Path:
    """Write documents of (token, tag) pairs as CoNLL."""
    path.write_text("\n\n".join("\n".join(f"{t}\t{g}" for t, g in doc) for doc in docs) + "\n", encoding="utf-8")
    return path


TINY_DOCS = [
    [
        ("Neural", "B-KEY"),
        ("networks", "I-KEY"),
        ("learn", "O"),
        ("keyphrase", "B-KEY"),
        ("extraction", "I-KEY"),
        (".", "O"),
    ],
    [("We", "O"), ("study", "O"), ("graph", "B-KEY"), ("theory", "I-KEY"), ("and", "O"), ("optimization", "B-KEY")],
    [("Optimization", "B-KEY"), ("of", "O"), ("neural", "B-KEY"), ("networks", "I-KEY")],
    [
        ("A", "O"),
        ("survey", "O"),
        ("of", "O"),
        ("graph", "B-KEY"),
        ("theory", "I-KEY"),
        ("in", "O"),
        ("optimization", "B-KEY"),
        (".", "O"),
    ],
]


@pytest.fixture()
def tiny_corpus(tmp_path) -> Path:
    """A tiny prepared corpus (train = val = test) in tmp_path; returns data_set.pkl."""
    from keyword_lightning.prepare import prepare

    f = write_conll(tmp_path / "tiny.txt", TINY_DOCS * 4)
    return prepare(train=str(f), val=str(f), test=str(f), out=str(tmp_path / "data"))


TINY_MODEL = {
    "network": {"hidden_size1": 16, "hidden_size2": 16, "dropout": 0.0},
    "inputs": [{"words": {"dim": 16}}],
    "optimizer": {"lr": 0.02},
}


def tiny_model(**groups) -> dict:
    """``TINY_MODEL`` with ``groups`` over it (a group's keys over its own; ``inputs`` replaced whole)."""
    settings = {group: dict(values) if isinstance(values, dict) else values for group, values in TINY_MODEL.items()}
    for group, values in groups.items():
        settings[group] = values if group == "inputs" else {**settings.get(group, {}), **values}
    return settings


def fit_tiny(dataset_file: Path, root: Path, epochs: int = 3, model_kw: dict | None = None, **trainer_kw):
    """Train a very small JointRNN (``model_kw``: groups of settings over ``TINY_MODEL``) on a tiny corpus.

    Returns (trainer, model, dm).
    """
    import lightning as L

    from keyword_lightning import JointRNN, KeywordDataModule

    L.seed_everything(0)
    dm = KeywordDataModule(str(dataset_file), batch_size=4)
    model = JointRNN(vocabulary=dm.vocabulary, **tiny_model(**(model_kw or {})))
    kw = {"logger": False, "enable_checkpointing": False, **trainer_kw}
    trainer = L.Trainer(
        max_epochs=epochs, enable_progress_bar=False, enable_model_summary=False, default_root_dir=root, **kw
    )
    trainer.fit(model, dm)
    return trainer, model, dm


@pytest.fixture()
def tiny_checkpoint(tiny_corpus, tmp_path) -> Path:
    """A checkpoint of a model trained on the tiny corpus, saved outside the data folder."""
    trainer, _, _ = fit_tiny(tiny_corpus, tmp_path / "fit", epochs=20)
    path = tmp_path / "tiny.ckpt"
    trainer.save_checkpoint(path)
    return path
