"""``python -m keyword_lightning.report DIR``: the latest test metrics and predictions under DIR.

It also shows the keyphrases of the first predicted document (the end of ``make demo``).
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

from keyword_lightning.inference.predictions import ranked_line
from keyword_lightning.runs import latest_row
from keyword_lightning.text import PTB_ESCAPES

TOP = 10  # keyphrases shown


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
        with open(preds[-1], encoding="utf-8") as fh:
            records = [json.loads(line) for line in fh if line.strip()]
        print(f"predictions: {preds[-1]} ({len(records)} documents)")
        if records:
            print(first_document(records[0]))


def first_document(record: dict) -> str:
    """A record's text (its first 60 tokens) and its ranked keyphrases (``ranked``), best first."""
    tokens = [PTB_ESCAPES.get(t, t) for t in record.get("tokens") or []]
    text = " ".join(tokens[:60]) + (" ..." if len(tokens) > 60 else "")
    lines = [f"document {record['id']}:", textwrap.fill(text, 100, initial_indent="  ", subsequent_indent="  ")]
    lines.append("keyphrases, best first:")
    ranked = record.get("ranked") or sorted(record["keyphrases"], key=lambda p: -p["score"])
    lines += [ranked_line(k) for k in ranked[:TOP]] or ["  (none)"]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
