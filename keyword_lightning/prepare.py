"""``keyword-lightning-prepare``: CoNLL or JSONL files -> ``data_set.pkl`` (+ ``embedding.pkl``)."""

from __future__ import annotations

import dataclasses
import itertools
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal

from keyword_lightning.data.formats import CORPUS_SEP, DataError, GoldDocument, build_dataset, load_dataset, save_pickle
from keyword_lightning.data.readers import KeyphraseCounts, file_format, iter_conll, read_jsonl_counted
from keyword_lightning.text.tokenizers import get_tokenizer


def prepare(
    train: str | list[str],
    val: str | list[str] | None = None,
    test: str | list[str] | None = None,
    out: str = "data",
    format: Literal["auto", "conll", "jsonl"] = "auto",
    tokenizer: Literal["ptb", "chars", "jieba"] = "ptb",
    embeddings: str | None = None,
    lowercase: bool = True,
    max_extra_words: int | None = None,
) -> Path:
    """Write ``OUT/data_set.pkl`` from train/val/test files, and ``OUT/embedding.pkl`` with ``--embeddings``.

    Args:
        train: training file (CoNLL ``token<TAB>tag`` or JSONL ``{"id", "text", "keyphrases"}``),
            or several, one per corpus: their documents are joined, each id prefixed with its
            corpus (the file's folder name: ``inspec/train-0``), which ``data.corpus_weights`` reads.
        val: validation file(s), as ``train``.
        test: test file(s), as ``train``.
        out: output folder.
        format: ``conll``, ``jsonl``, or ``auto``: each file by its suffix (``.jsonl``/``.json``, any
            case: JSONL; else CoNLL), so that one preparation mixes CoNLL and JSONL corpora.
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
    files = {name: paths for name, paths in {"train": train, "val": val, "test": test}.items() if paths}
    counts: dict[str, KeyphraseCounts] = {}
    splits = {}
    for name, paths in files.items():
        paths = [paths] if isinstance(paths, str) else list(paths)
        parts = []
        for path in paths:
            if file_format(path, format) == "conll":
                docs = iter_conll(path)  # streams, one document at a time
            else:
                docs, counts[f"{name} {path}" if len(paths) > 1 else name] = read_jsonl_counted(path, tokenizer)
            parts.append(docs if len(paths) == 1 else tagged(docs, corpus_name(path)))
        splits[name] = itertools.chain.from_iterable(parts)
    out_dir = Path(out)
    target = out_dir / "data_set.pkl"
    save_pickle(build_dataset(splits, tokenizer), target)
    dataset = load_dataset(target)  # read back: what we wrote must load
    for name, part in dataset.splits.items():
        print(f"{name}: {len(part)} documents, {len(part.tokens)} tokens", file=sys.stderr)
        for key in (k for k in counts if k.split(" ")[0] == name):
            print(f"{key}: {counts[key].summary()}", file=sys.stderr)
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


def corpus_name(path: str) -> str:
    """A corpus's name: the folder its file is in (``../shared/data/inspec/train.txt``: ``inspec``)."""
    name = Path(path).resolve().parent.name or Path(path).stem
    if CORPUS_SEP in name:
        raise DataError(f"{path}: a corpus folder name may not contain {CORPUS_SEP!r}")
    return name


def tagged(docs: Iterable[GoldDocument], corpus: str) -> Iterator[GoldDocument]:
    """``docs`` with ids ``CORPUS/ID``."""
    for doc in docs:
        yield dataclasses.replace(doc, id=f"{corpus}{CORPUS_SEP}{doc.id}")


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
