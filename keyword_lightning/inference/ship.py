"""Shipping the general model: ``make general``'s last step, the packed file and its manifest (``model/shipped.py``).

python -m keyword_lightning.inference.ship general/ranked.ckpt --commit "$(git describe --always --dirty)"
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from keyword_lightning.model import checkpoint
from keyword_lightning.model.shipped import (
    FIXED,
    GENERAL,
    MAX_BYTES,
    PARAGRAPH,
    ShippedModelError,
    pack,
    settings,
    sha256,
)


def ranking(file: Path, text: str = PARAGRAPH) -> list[list[Any]]:
    """``[text, score]`` of each keyphrase the model in ``file`` ranks for ``text``, best first (one thread)."""
    from keyword_lightning.inference.extractor import KeywordExtractor

    return [[k["text"], k["score"]] for k in KeywordExtractor.from_checkpoint(file, threads=1).keyphrases(text)]


def ship(source: str | Path, commit: str, command: str, target: Path = GENERAL) -> dict[str, Any]:
    """Pack ``source`` into ``target`` (``pack``) and write its manifest beside it; the manifest.

    ``commit`` and ``command``: what built it (``make general`` gives both), recorded with the file's
    sha256, its settings and the fixed paragraph's ranking, which ``tests/test_shipped.py`` checks.
    """
    import datetime

    from keyword_lightning.data.formats import atomic_write

    packed = target.with_name(f".{target.name}.new")  # the shipped file is replaced only once all is well
    summary = pack(source, packed)
    if summary["bytes"] > MAX_BYTES:
        packed.unlink()
        raise ShippedModelError(f"{target}: {summary['bytes']:,} bytes, over the {MAX_BYTES:,} a package may hold")
    ckpt = checkpoint.read_checkpoint(packed)
    record = {
        "file": target.name,
        "sha256": sha256(packed),
        "bytes": summary["bytes"],
        "built": {"commit": commit, "command": command, "date": datetime.date.today().isoformat()},
        "packed": {"extra_words": summary["extra_words"], "float16": "every weight", "int8": [FIXED]},
        "settings": settings(ckpt),
        "validation": (checkpoint.ranker_state(ckpt[checkpoint.CHECKPOINT_KEY]) or {}).get("validation"),
        "paragraph": {"text": PARAGRAPH, "keyphrases": ranking(packed)},
    }
    packed.replace(target)
    with atomic_write(target.with_suffix(".json"), "w") as fh:
        fh.write(json.dumps(record, indent=1, ensure_ascii=False) + "\n")
    return record


def main(argv: list[str] | None = None) -> None:
    """``python -m keyword_lightning.inference.ship CKPT --commit C --command CMD``: ship CKPT (``make general``)."""
    import argparse

    ap = argparse.ArgumentParser(description=ship.__doc__)
    ap.add_argument("ckpt", help="the checkpoint to ship (its ranker fitted: keyword-lightning fit-ranker)")
    ap.add_argument("--commit", required=True, help="the commit that built it (git describe --always --dirty)")
    ap.add_argument("--command", default="make general", help="the command that built it")
    ap.add_argument("--target", type=Path, default=GENERAL)
    args = ap.parse_args(argv)
    record = ship(args.ckpt, args.commit, args.command, args.target)
    print(f"wrote {args.target} ({record['bytes']:,} bytes, sha256 {record['sha256'][:12]}) and its manifest")


if __name__ == "__main__":
    main()
