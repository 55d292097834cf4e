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
(``fitted_on``), written by ``model.checkpoint.copy_with_ranker``: checked, then written
atomically (an error leaves no output, and an existing output is replaced only when done). The
output is never the input checkpoint. A checkpoint whose settings rank by the hand rule
(``model.decoding.ranker: hand``) gets ``auto`` in the copy, so that the ranker fitted here is the
one it ranks with.

Documents: JSONL (``{"text", "keyphrases"}`` a line, ``keyword-lightning-prepare``'s format; a
keyphrase absent from the text counts against every ranker alike) or CoNLL (``token<TAB>tag``, BIO
tags of any type; the text is its tokens joined by spaces), told apart by their suffix
(``.jsonl``/``.json``, any case: JSONL; else CoNLL); a file named twice is read once. Bad input ends
in one line naming the file and line, exit 2; nothing is written. A fault of this program (an error
that is not the user's, numpy's ``LinAlgError`` for one) shows its traceback and an ``internal
error`` line, exit 1 (``commands.run_command``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from keyword_lightning.commands import CKPT_HELP, CommandParser, UsageError, resolve_checkpoint, run_command
from keyword_lightning.runtime import say

PROG = "keyword-lightning fit-ranker"
KINDS = ("hand", "logistic", "candidates")  # scoring.choice.KINDS, without importing the scoring stack for --help
COMMON_SIZE = 50000


def parser() -> CommandParser:
    """The options of ``keyword-lightning fit-ranker``."""
    p = CommandParser("fit-ranker")
    p.add_argument("--ckpt_path", required=True, help=CKPT_HELP)
    p.add_argument("--documents", required=True, nargs="+", help="JSONL (text, keyphrases) or CoNLL files, one a group")
    p.add_argument("--output", required=True, help="the new checkpoint (the input one is never changed in place)")
    p.add_argument("--kinds", default=",".join(KINDS), help=f"the kinds of ranker to choose among ({','.join(KINDS)})")
    p.add_argument(
        "--common_words",
        default=None,
        help="a word list in frequency order (GloVe/word2vec text, gzip or not, or a word a line)",
    )
    p.add_argument(
        "--common_size", type=int, default=COMMON_SIZE, help=f"how many of its words the ranker keeps ({COMMON_SIZE})"
    )
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: half the CPU cores)")
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
    """Fit and choose the ranker on ``paths``' documents; write ``output``; the chosen ranker's state.

    User errors (an unknown kind, too few documents, an output that cannot be written) are
    ``UsageError``, ``DataError`` or ``CheckpointError``; any other error is a fault of this program.
    """
    from keyword_lightning.data.embeddings import read_common_words
    from keyword_lightning.inference.extractor import KeywordExtractor
    from keyword_lightning.inference.labelling import labelled_documents
    from keyword_lightning.model.checkpoint import copy_with_ranker
    from keyword_lightning.scoring.choice import choose
    from keyword_lightning.scoring.phrase_ranker import FitError

    check_output(ckpt_path, output)
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        raise UsageError(f"--kinds {','.join(unknown)}: name one or more of {','.join(KINDS)}")
    if common_size < 1:
        raise UsageError(f"--common_size {common_size}: must be 1 or more")
    words = read_common_words(common_words, common_size) if common_words else []
    extractor = KeywordExtractor.from_checkpoint(ckpt_path, threads=threads)
    groups = read_groups(paths)
    if (n := sum(map(len, groups.values()))) < 2:
        raise UsageError(f"{n} document(s) with text in {', '.join(paths)}: need at least 2")
    common = {w: i for i, w in enumerate(words)} or None
    documents = [d for name, records in groups.items() for d in labelled_documents(extractor, records, name, common)]
    try:
        ranker, figures = choose(documents, kinds, words)
    except FitError as err:  # no document with both gold and other candidates: the documents' fault
        raise UsageError(f"{', '.join(paths)}: {err}") from None
    validation = {"documents": len(documents), **{k: _plain(v) for k, v in figures.items()}}
    state = {**ranker.state(), "validation": validation, "fitted_on": list(groups)}
    if copy_with_ranker(ckpt_path, output, state):
        say("the checkpoint ranked by the hand rule (decoding.ranker: hand); the copy has auto")
    return state


def _plain(figures: dict[str, float]) -> dict[str, float]:
    """Figures without nan (a kind that could not be fitted has none), rounded for the checkpoint."""
    return {k: round(v, 6) for k, v in figures.items() if v == v}


def check_output(ckpt_path: Path, output: Path) -> None:
    """Refuse an output that is the input checkpoint or a folder, before any work (``UsageError``)."""
    if output.resolve() == ckpt_path.resolve():
        raise UsageError(f"{output}: the output would replace the input checkpoint; name another file")
    if output.is_dir():
        raise UsageError(f"{output}: is a folder; name the checkpoint file to write")


def main(argv: list[str] | None = None) -> None:
    """Console entry: ``keyword-lightning fit-ranker ...``; a user's error in one line, exit 2; a fault as internal."""
    from keyword_lightning.data.formats import DataError

    args = parser().parse_args(argv)
    kinds = tuple(k.strip() for k in args.kinds.split(",") if k.strip())

    def fit() -> dict[str, Any]:
        ckpt = resolve_checkpoint(args.ckpt_path)
        return fit_ranker(
            ckpt, args.documents, Path(args.output), args.threads, kinds, args.common_words, args.common_size
        )

    state = run_command(PROG, fit, user=(DataError,))
    figures = state["validation"]
    scored = ", ".join(
        f"{k} {figures[k]['macro']:.3f}" if "macro" in figures.get(k, {}) else f"{k} none" for k in kinds
    )
    say(
        f"{figures['documents']} documents; mean F1@10 over files (2-fold cross-fitted): {scored}; "
        f"kept {state['kind']}; wrote {args.output}"
    )
