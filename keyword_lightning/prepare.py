"""``keyword-lightning-prepare``: CoNLL or JSONL files -> ``data_set.pkl`` (+ ``embedding.pkl``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal

from keyword_lightning.data.formats import DataError, build_dataset, iter_conll, load_dataset, read_jsonl, save_pickle


def prepare(
    train: str,
    val: str | None = None,
    test: str | None = None,
    out: str = "data",
    format: Literal["conll", "jsonl"] = "conll",
    embeddings: str | None = None,
    lowercase: bool = True,
    max_extra_words: int | None = None,
) -> Path:
    """Write ``OUT/data_set.pkl`` from train/val/test files, and ``OUT/embedding.pkl`` with ``--embeddings``.

    Args:
        train: training file (CoNLL ``token<TAB>tag`` or JSONL ``{"id", "text", "keyphrases"}``).
        val: validation file.
        test: test file.
        out: output folder.
        format: ``conll`` or ``jsonl``.
        embeddings: GloVe or word2vec text file (gzip or not) for ``embedding.pkl``.
        lowercase: lowercase words before looking up their vectors (GloVe 6B is uncased).
        max_extra_words: pretrained words outside the training vocabulary to keep (default all).

    """
    reader = iter_conll if format == "conll" else read_jsonl  # CoNLL streams, one document at a time
    files = {"train": train, "val": val, "test": test}
    splits = {name: reader(path) for name, path in files.items() if path}
    out_dir = Path(out)
    target = out_dir / "data_set.pkl"
    save_pickle(build_dataset(splits), target)
    dataset = load_dataset(target)  # read back: what we wrote must load
    for name, part in dataset.splits.items():
        print(f"{name}: {len(part)} documents, {len(part.tokens)} tokens", file=sys.stderr)
    print(f"wrote {target}", file=sys.stderr)
    if embeddings:
        from keyword_lightning.data.embeddings import build_embeddings

        obj, report = build_embeddings(dataset, embeddings, lowercase=lowercase, max_extra_words=max_extra_words)
        save_pickle(obj, out_dir / "embedding.pkl")
        print(
            f"wrote {out_dir / 'embedding.pkl'}: {report['words']} words x {report['dim']}; "
            f"train coverage {report['train_token_coverage']:.1%} of tokens, "
            f"{report['train_type_coverage']:.1%} of word types"
            + (f"; {report['duplicates_skipped']} duplicate words skipped" if report["duplicates_skipped"] else ""),
            file=sys.stderr,
        )
    return target


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    from jsonargparse import auto_cli

    try:
        auto_cli(prepare, args=argv, as_positional=False)
    except DataError as err:
        print(f"keyword-lightning-prepare: error: {err}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
