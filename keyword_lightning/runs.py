"""Run folders: the newest fit run's checkpoints, and the metrics a run logged to ``metrics.csv``.

Every reader of ``metrics.csv`` (plots, the report, the benchmarks, the tests) goes through
``metric_rows``; ``--ckpt_path best|last`` goes through ``find_run_checkpoint``.
"""

from __future__ import annotations

import csv
from pathlib import Path

METRICS_CSV = "metrics.csv"  # CSVLogger's file in each run folder
LAST = "last.ckpt"


class RunError(ValueError):
    """No run, or no checkpoint, where one was asked for."""


def metric_rows(path: str | Path) -> list[dict[str, float]]:
    """The rows of a CSVLogger ``metrics.csv``, each with only its non-empty cells, as floats."""
    with open(path, newline="") as fh:
        return [{k: float(v) for k, v in row.items() if v not in (None, "")} for row in csv.DictReader(fh)]


def metric_files(root: str | Path) -> list[Path]:
    """Every ``metrics.csv`` under ``root``, oldest first."""
    return sorted(Path(root).rglob(METRICS_CSV), key=lambda p: p.stat().st_mtime)


def logged_values(root: str | Path, key: str) -> list[float]:
    """Every logged value of ``key`` in the ``metrics.csv`` files under ``root``, oldest first."""
    return [row[key] for path in metric_files(root) for row in metric_rows(path) if key in row]


def latest_row(root: str | Path, key: str) -> tuple[Path, dict[str, float]] | None:
    """The newest ``metrics.csv`` under ``root`` that logged ``key``, and its last row with ``key``."""
    for path in reversed(metric_files(root)):
        rows = [r for r in metric_rows(path) if key in r]
        if rows:
            return path, rows[-1]
    return None


# Where ``--ckpt_path best|last`` looks, in this order, for every command (fit, validate, test,
# predict, serve); the first place that holds a fit run wins, and its newest run is taken.
SEARCH_ORDER = (
    "--ckpt_path best|last: the newest fit run (a checkpoints/last.ckpt) in --trainer.default_root_dir "
    "when it holds one, else in runs/ under the working directory, else anywhere under the working directory"
)


def run_folders(root: str | Path | None = None) -> list[Path]:
    """The places searched for fit runs, in ``SEARCH_ORDER``: ``root`` (if given), ``runs``, ``.``."""
    places = [Path(root)] if root else []
    return [*places, Path("runs"), Path(".")]


def find_run_checkpoint(root: str | Path | None, which: str) -> Path:
    """``last.ckpt`` (``which="last"``) or the best checkpoint of the newest fit run (``SEARCH_ORDER``)."""
    import torch  # here: the metrics readers above are used where torch is not needed

    searched = []
    for place in run_folders(root):
        searched.append(str(place))
        runs = [p for p in place.rglob(f"checkpoints/{LAST}") if ".venv" not in p.parts] if place.is_dir() else []
        if runs:
            break
    else:
        raise RunError(f"--ckpt_path {which}: no earlier fit run (no checkpoints/{LAST} in {', '.join(searched)})")
    last = max(runs, key=lambda p: p.stat().st_mtime)
    if which == "last":
        return last
    state = torch.load(last, map_location="cpu", weights_only=True).get("callbacks", {})
    # The checkpoint callback that monitors a metric (not the one that writes last.ckpt).
    monitored = [k for k in state if k.startswith("ModelCheckpoint") and "'monitor': None" not in k]
    for key in monitored:
        value = state[key]
        if value.get("best_model_path"):
            best = Path(value["best_model_path"])
            if not best.is_file():  # the run folder was moved: look beside last.ckpt
                best = last.parent / best.name
            if best.is_file():
                return best
    raise RunError(f"--ckpt_path best: {last.parent} holds no best checkpoint")
