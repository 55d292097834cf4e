"""``keyword-lightning-prepare``: CoNLL or JSONL files -> ``data_set.pkl`` (+ ``embedding.pkl``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal

from keyword_lightning.data.formats import DataError, build_dataset, load_dataset, save_pickle
from keyword_lightning.data.readers import KeyphraseCounts, iter_conll, read_jsonl_counted
from keyword_lightning.text.tokenizers import get_tokenizer


def prepare(
    train: str,
    val: str | None = None,
    test: str | None = None,
    out: str = "data",
    format: Literal["conll", "jsonl"] = "conll",
    tokenizer: Literal["ptb", "chars", "jieba"] = "ptb",
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
        tokenizer: how raw text is split into tokens, recorded in ``data_set.pkl`` so that
            ``predict`` splits raw text the same way: ``ptb`` (English, Inspec's tokens), ``chars``
            (one token per Han character; Latin words and numbers whole) or ``jieba`` (Chinese
            words; ``pip install 'keyword-lightning[zh]'``). JSONL text is split by it and every
            occurrence of each keyphrase marked; keyphrases that cannot be marked are counted
            per split. CoNLL files are already split: give the tokenizer that splits such text.
        embeddings: GloVe or word2vec text file (gzip or not) for ``embedding.pkl``.
        lowercase: lowercase words before looking up their vectors (GloVe 6B is uncased).
        max_extra_words: pretrained words outside the training vocabulary to keep (default all).

    """
    get_tokenizer(tokenizer)  # an unknown name or a missing jieba fails before any reading
    files = {name: path for name, path in {"train": train, "val": val, "test": test}.items() if path}
    counts: dict[str, KeyphraseCounts] = {}
    if format == "conll":
        splits = {name: iter_conll(path) for name, path in files.items()}  # streams, one document at a time
    else:
        splits = {}
        for name, path in files.items():
            splits[name], counts[name] = read_jsonl_counted(path, tokenizer)
    out_dir = Path(out)
    target = out_dir / "data_set.pkl"
    save_pickle(build_dataset(splits, tokenizer), target)
    dataset = load_dataset(target)  # read back: what we wrote must load
    for name, part in dataset.splits.items():
        print(f"{name}: {len(part)} documents, {len(part.tokens)} tokens", file=sys.stderr)
        if name in counts:
            print(f"{name}: {counts[name].summary()}", file=sys.stderr)
    print(f"wrote {target} (tokenizer {dataset.tokenizer})", file=sys.stderr)
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
    except (DataError, ModuleNotFoundError) as err:  # bad input; jieba not installed
        print(f"keyword-lightning-prepare: error: {err}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
