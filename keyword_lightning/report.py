"""``python -m keyword_lightning.report DIR``: the latest test metrics and predictions under DIR."""

from __future__ import annotations

import csv
import sys
from pathlib import Path


def latest_test_metrics(root: Path) -> tuple[Path, dict[str, float]] | None:
    """The newest ``metrics.csv`` under ``root`` with test metrics, and those metrics."""
    for path in sorted(root.rglob("metrics.csv"), key=lambda p: p.stat().st_mtime, reverse=True):
        with open(path) as fh:
            rows = [r for r in csv.DictReader(fh) if r.get("test/phrase_f1")]
        if rows:
            return path, {k: float(v) for k, v in rows[-1].items() if k.startswith("test/") and v}
    return None


def main(argv: list[str] | None = None) -> None:
    """Print the newest test F1 (and friends) and the newest predictions file."""
    root = Path((argv or sys.argv[1:] or ["."])[0])
    found = latest_test_metrics(root)
    if found is None:
        sys.exit(f"no test metrics under {root}")
    path, metrics = found
    print(f"test metrics ({path}):")
    for key in sorted(metrics):
        print(f"  {key:24s} {metrics[key]:.4f}")
    preds = sorted(root.rglob("predictions.jsonl"), key=lambda p: p.stat().st_mtime)
    if preds:
        n = sum(1 for _ in open(preds[-1], encoding="utf-8"))
        print(f"predictions: {preds[-1]} ({n} documents)")


if __name__ == "__main__":
    main()
