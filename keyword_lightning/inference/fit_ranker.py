"""``keyword-lightning fit-ranker``: fit a checkpoint's document-level ranking on your own labelled documents.

    keyword-lightning fit-ranker --ckpt_path models/general.ckpt --documents mine.jsonl --output mine.ckpt

The tagger stays as it is; what changes is how each document's phrases are ranked
(``scoring/scorer.py``): a fit chooses its scorer on its own validation split, one genre's
documents; this fits it on documents of yours (a few hundred of your genre: news, reports, ...),
with their keyphrases as targets. The documents are tagged by the checkpoint, as ``predict`` tags
raw text; ``scorer.choose`` fits a learned scorer and keeps it only if it beats the hand rule by
2-fold cross-fitting on them (F1@10, stemmed). The output is a copy of the checkpoint with that
scorer, the figures it was chosen by (``validation``) and the files it was fitted on
(``fitted_on``), checked and then written atomically: an error leaves no output, and an existing
output is replaced only when done. The output is never the input checkpoint. A checkpoint whose
settings rank by the hand rule (``model.decoding.ranker: hand``) gets ``auto`` in the copy, so
that the scorer fitted here is the one it ranks with.

Documents: JSONL (``{"text", "keyphrases"}`` a line, ``keyword-lightning-prepare``'s format; a
keyphrase is found in the text as the checkpoint's tokenizer splits it) or CoNLL (``token<TAB>tag``,
BIO tags of any type), several files at once, told apart by their suffix (``.jsonl``/``.json``,
any case: JSONL; else CoNLL); a file named twice is read once. Bad input ends in one line naming
the file and line, exit 2; nothing is written. A fault of this program (an error that is not the
user's, numpy's ``LinAlgError`` for one) shows its traceback and an ``internal error`` line, exit 1
(``commands.run_command``). The copy is written by ``model.checkpoint.copy_with_scorer``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from keyword_lightning.commands import CKPT_HELP, CommandParser, UsageError, resolve_checkpoint, run_command
from keyword_lightning.runtime import say

PROG = "keyword-lightning fit-ranker"
JSONL_SUFFIXES = (".jsonl", ".json")


def parser() -> CommandParser:
    """The options of ``keyword-lightning fit-ranker``."""
    p = CommandParser("fit-ranker")
    p.add_argument("--ckpt_path", required=True, help=CKPT_HELP)
    p.add_argument("--documents", required=True, nargs="+", help="JSONL (text, keyphrases) or CoNLL files")
    p.add_argument("--output", required=True, help="the new checkpoint (the input one is never changed in place)")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: half the CPU cores)")
    return p


def read_documents(paths: list[str], tokenizer: str) -> list:
    """Labelled documents (``data.formats.GoldDocument``: tokens, BIO codes) of every file, in order."""
    from keyword_lightning.data.readers import read_conll, read_jsonl

    docs = []
    for path in dict.fromkeys(paths):  # a file named twice would put its documents in both halves
        read = read_jsonl(path, tokenizer) if Path(path).suffix.lower() in JSONL_SUFFIXES else read_conll(path)
        docs += [d for d in read if d.tokens]
    return docs


def scorer_documents(extractor: Any, labelled: list) -> list:
    """``scorer.Document``s: the checkpoint's tagged occurrences of each document and its gold keys."""
    from keyword_lightning.data.inputs import PredictDocument
    from keyword_lightning.scoring.keyphrases import occurrences, phrase_key
    from keyword_lightning.scoring.scorer import Document
    from keyword_lightning.tagging.schemes import bio_codes_to_spans
    from keyword_lightning.text.tokenizers import normalize_token

    records = extractor.tag([PredictDocument(d.id, d.tokens) for d in labelled])
    out = []
    for doc, record in zip(labelled, records):
        gold = dict.fromkeys(phrase_key(doc.tokens[a : b + 1]) for a, b in bio_codes_to_spans(doc.codes))
        words = [normalize_token(t, extractor.lowercase) for t in doc.tokens]
        out.append(Document(*occurrences(record), words, list(gold)))
    return out


def fit_ranker(ckpt_path: Path, paths: list[str], output: Path, threads: int | None = None) -> dict[str, Any]:
    """Fit and choose the scorer on ``paths``' documents; write ``output``; the chosen scorer's state.

    User errors (too few documents, an output that cannot be written) are ``UsageError`` or
    ``CheckpointError``; any other error is a fault of this program.
    """
    from keyword_lightning.inference.extractor import KeywordExtractor
    from keyword_lightning.model.checkpoint import copy_with_scorer
    from keyword_lightning.model.ranker import ScorerChoice

    check_output(ckpt_path, output)
    extractor = KeywordExtractor.from_checkpoint(ckpt_path, threads=threads)
    labelled = read_documents(paths, extractor.tokenizer)
    if len(labelled) < 2:
        raise UsageError(f"{len(labelled)} document(s) with tokens in {', '.join(paths)}: need at least 2")
    choice = ScorerChoice()
    choice.documents = scorer_documents(extractor, labelled)  # as a fit collects its validation documents
    choice.choose(world_size=1, lowercase=extractor.lowercase)
    state = {**choice.state(), "fitted_on": [Path(p).name for p in dict.fromkeys(paths)]}
    if copy_with_scorer(ckpt_path, output, state):
        say("the checkpoint ranked by the hand rule (decoding.ranker: hand); the copy has auto")
    return state


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

    def fit() -> dict[str, Any]:
        return fit_ranker(resolve_checkpoint(args.ckpt_path), args.documents, Path(args.output), args.threads)

    state = run_command(PROG, fit, user=(DataError,))
    figures = state["validation"]
    kept = "the learned scorer" if state["kind"] != "hand" else "the hand rule"
    learned = figures.get("learned")
    say(
        f"{figures['documents']} documents; F1@10 (2-fold cross-fitted): hand rule {figures['hand']:.3f}, learned "
        + (f"{learned:.3f}" if learned is not None else "none (no positive and negative phrases)")
        + f"; kept {kept}; wrote {args.output}"
    )
