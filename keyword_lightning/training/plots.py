"""Plots (the seed's step 7): learning curves from ``metrics.csv``, the test confusion matrix.

``keyword-lightning-plot RUN_DIR`` redraws them from a run folder's files; the ``Plots``
callback draws them after ``fit`` and ``test``. Headless: matplotlib's Agg backend.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from keyword_lightning.runs import METRICS_CSV, metric_rows
from keyword_lightning.tagging.schemes import SBMEO

CURVES = "learning_curves.png"
CONFUSION = "confusion_matrix.png"
CONFUSION_JSON = "confusion_matrix.json"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def read_epoch_metrics(metrics_csv: Path) -> dict[str, list[tuple[int, float]]]:
    """Per-epoch ``(epoch, value)`` series of every epoch-level metric in a CSVLogger file."""
    series: dict[str, dict[int, float]] = {}
    for row in metric_rows(metrics_csv):
        if "epoch" not in row:
            continue
        epoch = int(row["epoch"])
        for key, value in row.items():
            if key not in ("epoch", "step") and not key.endswith("_step"):
                series.setdefault(key.removesuffix("_epoch"), {})[epoch] = value
    return {k: sorted(v.items()) for k, v in series.items()}


def plot_learning_curves(metrics_csv: Path, out: Path) -> Path:
    """Losses (total, head 1, head 2; train and val) and validation scores per epoch, as PNG."""
    series = read_epoch_metrics(metrics_csv)
    plt = _pyplot()
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.6))
    panels = [
        ("loss", ["train/loss", "val/loss"]),
        ("loss1 (head 1: keyword?)", ["train/loss1", "val/loss1"]),
        ("loss2 (head 2: S/B/M/E/O)", ["train/loss2", "val/loss2"]),
        ("validation scores", ["val/phrase_f1", "val/keyword_acc", "val/keyword_f1", "val/position_acc"]),
    ]
    for ax, (title, keys) in zip(axes, panels):
        for key in keys:
            if series.get(key):
                xs, ys = zip(*series[key])
                ax.plot(xs, ys, marker=".", label=key)
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def plot_confusion(matrix: list[list[float]], out: Path) -> Path:
    """Row-normalised S/B/M/E/O confusion matrix (rows: gold, columns: predicted), as PNG."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(4.6, 4))
    image = ax.imshow(matrix, cmap="Blues", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(5), SBMEO)
    ax.set_yticks(range(5), SBMEO)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    for i, row in enumerate(matrix):
        for j, v in enumerate(row):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", color="white" if v > 0.5 else "black", fontsize=8)
    fig.colorbar(image)
    ax.set_title("test: S/B/M/E/O (row-normalised)")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def redraw(run_dir: Path) -> list[Path]:
    """Redraw every plot whose source file is in ``run_dir``."""
    made = []
    if (run_dir / METRICS_CSV).is_file():
        made.append(plot_learning_curves(run_dir / METRICS_CSV, run_dir / CURVES))
    if (run_dir / CONFUSION_JSON).is_file():
        matrix = json.loads((run_dir / CONFUSION_JSON).read_text())["matrix"]
        made.append(plot_confusion(matrix, run_dir / CONFUSION))
    return made


def main(argv: list[str] | None = None) -> None:
    """``keyword-lightning-plot RUN_DIR``."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] in ("-h", "--help"):
        print("usage: keyword-lightning-plot RUN_DIR  (a folder with metrics.csv / confusion_matrix.json)")
        sys.exit(0 if args and args[0] in ("-h", "--help") else 2)
    made = redraw(Path(args[0]))
    if not made:
        sys.exit(f"keyword-lightning-plot: error: {args[0]} has no metrics.csv or {CONFUSION_JSON}")
    for path in made:
        print(path)


if __name__ == "__main__":
    main()
