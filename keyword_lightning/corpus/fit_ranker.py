"""``keyword-lightning fit-ranker``: fit a checkpoint's ranker on labelled documents of one genre or several.

    keyword-lightning fit-ranker --ckpt_path models/general.ckpt --documents news.jsonl --output mine.ckpt

The tagger stays as it is; what changes is how each document's keyphrases are ranked
(``scoring/rankers.py``). Each file given is one group (a corpus, a genre): its documents are
tagged by the checkpoint, as ``predict`` tags raw text, and three kinds of ranker are fitted and
scored on them by 2-fold cross-fitting (``scoring/choice.py``): the hand rule, the phrase ranker
(the tagger's phrases) and the candidate ranker (every candidate of the text; with
``--common-words``, a word list in frequency order such as GloVe's, it also reads how common each
word is). The one with the best mean over the files of their F1@10 (stemmed, against all gold
keyphrases) is fitted on every document and kept: one genre is not traded for another.

The output is a copy of the checkpoint with that ranker, the figures it was chosen by
(``validation``: each kind's F1@10 per file and their mean) and the files it was fitted on
(``fitted_on``), checked and then written atomically: an error leaves no output, and an existing
output is replaced only when done. The output is never the input checkpoint. A checkpoint whose
settings rank by the hand rule (``model.decoding.ranker: hand``) gets ``auto`` in the copy, so that
the ranker fitted here is the one it ranks with.

Documents: JSONL (``{"text", "keyphrases"}`` a line, ``keyword-lightning-prepare``'s format; a
keyphrase absent from the text counts against every ranker alike) or CoNLL (``token<TAB>tag``, BIO
tags of any type; the text is its tokens joined by spaces), told apart by their suffix
(``.jsonl``/``.json``, any case: JSONL; else CoNLL); a file named twice is read once. Bad input ends
in one line naming the file and line, exit 2; nothing is written.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from keyword_lightning.corpus.extract import OneLineParser, fail, resolve_checkpoint
from keyword_lightning.model.checkpoint import CHECKPOINT_KEY, CheckpointError
from keyword_lightning.runtime import QUIET_ENV, say

PROG = "keyword-lightning fit-ranker"
KINDS = ("hand", "logistic", "candidates")  # scoring.choice.KINDS, without importing the scoring stack for --help
COMMON_SIZE = 50000
DESCRIPTION = "Fit a checkpoint's document-level ranking on your own labelled documents (the tagger is kept)."


def parser() -> argparse.ArgumentParser:
    """The options of ``keyword-lightning fit-ranker``."""
    p = OneLineParser(prog=PROG, description=DESCRIPTION)
    p.add_argument("--ckpt_path", "--ckpt-path", required=True, help="PATH | best | last (as for the other commands)")
    p.add_argument("--documents", required=True, nargs="+", help="JSONL (text, keyphrases) or CoNLL files, one a group")
    p.add_argument(
        "--kinds", default=",".join(KINDS), help=f"the kinds of ranker to choose among (default {','.join(KINDS)})"
    )
    p.add_argument(
        "--common-words",
        "--common_words",
        default=None,
        help="a word list in frequency order (GloVe/word2vec text, gzip or not, or a word a line)",
    )
    p.add_argument(
        "--common-size",
        "--common_size",
        type=int,
        default=COMMON_SIZE,
        help=f"how many of its first words to keep in the ranker (default {COMMON_SIZE})",
    )
    p.add_argument("--output", required=True, help="the new checkpoint (the input one is never changed in place)")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: half the CPU cores)")
    p.add_argument("--quiet", action="store_true", help=f"only errors on stderr (or {QUIET_ENV}=1)")
    return p


def read_groups(paths: list[str]) -> dict[str, list[dict]]:
    """Each file's labelled texts (``{"id", "text", "keyphrases"}``), by its name; a file named twice is read once.

    A file is named by its file name, or ``folder/name`` when two files share one (``kdd/dev.jsonl``).
    """
    from keyword_lightning.data.readers import read_labelled_texts

    files = [Path(p) for p in dict.fromkeys(paths)]  # a file named twice would put its documents in both halves
    names = [p.name for p in files]
    labels = [f"{p.parent.name}/{p.name}" if names.count(p.name) > 1 else p.name for p in files]
    return {label: [r for r in read_labelled_texts(p) if r["text"].strip()] for label, p in zip(labels, files)}


def fit_ranker(
    ckpt_path: Path,
    paths: list[str],
    output: Path,
    threads: int | None = None,
    kinds: tuple[str, ...] = KINDS,
    common_words: str | None = None,
    common_size: int = COMMON_SIZE,
) -> dict[str, Any]:
    """Fit and choose the ranker on ``paths``' documents; write ``output``; the chosen ranker's state."""
    import torch

    from keyword_lightning.data.embeddings import read_common_words
    from keyword_lightning.data.formats import atomic_write
    from keyword_lightning.inference.extractor import KeywordExtractor
    from keyword_lightning.inference.labelling import labelled_documents
    from keyword_lightning.model.checkpoint import validate
    from keyword_lightning.scoring.choice import choose

    check_output(ckpt_path, output)
    if unknown := [k for k in kinds if k not in KINDS]:
        raise ValueError(f"--kinds {','.join(unknown)}: not among {','.join(KINDS)}")
    if common_size < 1:
        raise ValueError(f"--common-size {common_size}: must be 1 or more")
    words = read_common_words(common_words, common_size) if common_words else []
    extractor = KeywordExtractor.from_checkpoint(ckpt_path, threads=threads)
    groups = read_groups(paths)
    if sum(map(len, groups.values())) < 2:
        raise ValueError(f"{sum(map(len, groups.values()))} document(s) with text in {', '.join(paths)}: need 2")
    common = {w: i for i, w in enumerate(words)} or None
    documents = [d for name, records in groups.items() for d in labelled_documents(extractor, records, name, common)]
    ranker, figures = choose(documents, kinds, words)
    validation = {"documents": len(documents), **{k: _plain(v) for k, v in figures.items()}}
    state = {**ranker.state(), "validation": validation, "fitted_on": list(groups)}
    ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=True)
    meta = ckpt[CHECKPOINT_KEY]
    meta.pop("scorer", None)  # the earlier releases' key: one ranker per checkpoint
    meta["ranker"] = state
    decoding = (ckpt.get("hyper_parameters") or {}).get("decoding")
    if isinstance(decoding, dict) and decoding.get("ranker") == "hand":
        decoding["ranker"] = "auto"  # else the copy would go on ranking by the hand rule
        say("the checkpoint ranked by the hand rule (decoding.ranker: hand); the copy has auto")
    validate(ckpt)  # before anything is written
    try:
        with atomic_write(output) as fh:
            torch.save(ckpt, fh)
    except OSError as err:  # named as the output (the error's own file is the temporary one, gone)
        raise ValueError(f"{output}: {err.strerror or err}") from None
    return state


def _plain(figures: dict[str, float]) -> dict[str, float]:
    """Figures without nan (a kind that could not be fitted has none), rounded for the checkpoint."""
    return {k: round(v, 6) for k, v in figures.items() if v == v}


def check_output(ckpt_path: Path, output: Path) -> None:
    """Refuse an output that is the input checkpoint or a folder, before any work (ValueError)."""
    if output.resolve() == ckpt_path.resolve():
        raise ValueError(f"{output}: the output would replace the input checkpoint; name another file")
    if output.is_dir():
        raise ValueError(f"{output}: is a folder; name the checkpoint file to write")


def main(argv: list[str] | None = None) -> None:
    """Console entry: ``keyword-lightning fit-ranker ...``; problems end in one line, exit 2."""
    from keyword_lightning.data.formats import DataError
    from keyword_lightning.runs import RunError

    args = parser().parse_args(argv)
    if args.quiet:
        import os

        os.environ[QUIET_ENV] = "1"
    try:
        ckpt = resolve_checkpoint(args.ckpt_path)
        kinds = tuple(k.strip() for k in args.kinds.split(",") if k.strip())
        state = fit_ranker(
            ckpt, args.documents, Path(args.output), args.threads, kinds, args.common_words, args.common_size
        )
    except (CheckpointError, DataError, RunError, ValueError) as err:
        fail(err, 2, PROG)
    except OSError as err:
        fail(f"{err.filename or args.output}: {err.strerror or err}", 2, PROG)
    figures = state["validation"]
    scored = ", ".join(f"{k} {figures[k]['macro']:.3f}" if "macro" in figures.get(k, {}) else f"{k} none"
                       for k in kinds)  # fmt: skip
    say(f"{figures['documents']} documents; mean F1@10 over files (2-fold cross-fitted): {scored}; "
        f"kept {state['kind']}; wrote {args.output}")  # fmt: skip
