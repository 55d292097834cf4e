"""``python -m keyword_lightning.report DIR``: the latest test metrics and predictions under DIR."""

from __future__ import annotations

import sys
from pathlib import Path

from keyword_lightning.runs import latest_row


def main(argv: list[str] | None = None) -> None:
    """Print the newest test F1 (and friends) and the newest predictions file."""
    root = Path((argv or sys.argv[1:] or ["."])[0])
    found = latest_row(root, "test/phrase_f1")
    if found is None:
        sys.exit(f"no test metrics under {root}")
    path, row = found
    print(f"test metrics ({path}):")
    for key in sorted(k for k in row if k.startswith("test/")):
        print(f"  {key:24s} {row[key]:.4f}")
    preds = sorted(root.rglob("predictions.jsonl"), key=lambda p: p.stat().st_mtime)
    if preds:
        n = sum(1 for _ in open(preds[-1], encoding="utf-8"))
        print(f"predictions: {preds[-1]} ({n} documents)")


if __name__ == "__main__":
    main()
