"""``keyword-lightning keyphrases``: each document's ranked keyphrases, by the shipped model unless told otherwise.

    keyword-lightning keyphrases paper.pdf notes.md            # a table per document
    cat story.txt | keyword-lightning keyphrases               # standard input is one document
    keyword-lightning keyphrases reports/ --format jsonl --top-k 20

A file may be a PDF, an HTML page, a Word document (DOCX), Markdown or text (``documents/``: its
kind from its suffix and first bytes); a folder gives its document files; ``-`` (or no file) reads
standard input as one document of any of those kinds; a path that does not exist ends the run at
once. The model is the general one shipped in the package (``model/shipped.py``) unless
``--ckpt_path`` names another (``PATH``, ``best``, ``last`` or ``pretrained``). Each document's
keyphrases are its ``ranked`` field (the checkpoint's ranker, ``scoring/rankers.py``), the
``--top-k`` best: a table on stdout, or one JSON line a
document (``--format jsonl``: ``{"id", "source", "keyphrases": [{"text", "score", "occurrences",
"page"?, "pages"?}]}``). An empty document gives one line and no keyphrases. A file that cannot be
read gives one line on stderr naming it and why, the others go on, and the exit status is 2.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from keyword_lightning.commands import (
    CKPT_HELP,
    CommandParser,
    UsageError,
    resolve_checkpoint,
    run_command,
    whole_number,
)
from keyword_lightning.runtime import results_stream, say

PROG = "keyword-lightning keyphrases"
STDIN = "-"
BATCH = 64  # documents tagged at once: the extractor groups them by length


def parser() -> CommandParser:
    """The options of ``keyword-lightning keyphrases``."""
    p = CommandParser("keyphrases")
    p.add_argument(
        "files", nargs="*", default=[STDIN], help="files or folders (PDF, HTML, DOCX, Markdown, text); -: stdin"
    )
    p.add_argument("--ckpt_path", default=None, help=CKPT_HELP)
    p.add_argument("--top_k", type=whole_number, default=10, help="keyphrases a document (default 10; 0: all listed)")
    p.add_argument("--min_score", type=float, default=None, help="drop keyphrases scored below this")
    p.add_argument("--format", choices=["table", "jsonl"], default="table", help="a table (default) or JSON lines")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: half the CPU cores)")
    p.add_argument("--max_file_mb", type=float, default=50.0, help="larger files are refused (default 50)")
    p.add_argument("--max_pages", type=int, default=1000, help="PDFs of more pages are refused (default 1000)")
    return p


def read_inputs(names: list[str], limits: Any) -> tuple[list[Any], list[str]]:
    """``SourceText`` of each document named (files, folders' files, ``-``) and one-line errors of those unread."""
    from keyword_lightning.documents import DocumentError, SourceText, document_files, read_bytes, read_document

    items: list[Path | str] = []
    for name in names:
        items += [STDIN] if name == STDIN else document_files([name])  # a missing path: DocumentError, at once
    sources, errors = [], []
    for item in dict.fromkeys(items):
        try:
            if item == STDIN:
                data = sys.stdin.buffer.read()
                sources.append(SourceText("", STDIN, "text") if not data.strip() else read_bytes(data, STDIN, limits))
            elif empty(item):  # an empty file: no keyphrases
                sources.append(SourceText("", str(item), "text"))
            else:
                sources.append(read_document(item, limits))
        except DocumentError as err:
            errors.append(str(err))
        except OSError as err:
            errors.append(f"{item}: {err.strerror or err}")
    return sources, errors


def empty(path: Path, small: int = 4096) -> bool:
    """A file of no bytes, or of a few bytes all whitespace (a larger one is read only by its reader, within limits)."""
    size = path.stat().st_size
    return size == 0 or (size <= small and not path.read_bytes().strip())


def document_record(record: dict[str, Any], top_k: int | None, min_score: float | None) -> dict[str, Any]:
    """What ``--format jsonl`` writes of a prediction record: its id, source and best keyphrases."""
    from keyword_lightning.scoring.keyphrases import select

    return {
        "id": record["id"],
        "source": record.get("source"),
        "keyphrases": select(record["ranked"], top_k, min_score),
    }


def table(doc: dict[str, Any]) -> str:
    """A document's keyphrases as lines: ``== NAME (N keyphrases)``, then one a keyphrase (its pages, if any)."""
    from keyword_lightning.inference.predictions import ranked_line

    found = doc["keyphrases"]
    lines = [f"== {doc['id']} ({len(found)} keyphrase{'s' * (len(found) != 1)})"]
    for k in found:
        pages = k.get("pages")
        lines.append(ranked_line(k) + (f"  [p. {', '.join(map(str, pages))}]" if pages else ""))
    return "\n".join(lines) + "\n"


def keyphrases(args: Any) -> int:
    """Write each readable document's keyphrases; the number of documents that could not be read."""
    from keyword_lightning.documents import Limits
    from keyword_lightning.documents.source import MB
    from keyword_lightning.inference.extractor import KeywordExtractor

    if args.max_file_mb <= 0 or args.max_pages < 1:
        raise UsageError("--max_file_mb and --max_pages must be positive")
    if args.files == [STDIN] and sys.stdin.isatty():  # nothing piped in: waiting would look like a hang
        raise UsageError("name a file or a folder, or pipe a document in (see --help)")
    limits = Limits(max_bytes=int(args.max_file_mb * MB), max_pages=args.max_pages)
    ckpt = resolve_checkpoint(args.ckpt_path)  # none named: the shipped general model
    sources, errors = read_inputs(args.files, limits)
    for error in errors:
        print(f"{PROG}: error: {error}", file=sys.stderr, flush=True)
    if not sources:  # nothing readable: the error lines say it all
        return len(errors)
    extractor = KeywordExtractor.from_checkpoint(ckpt, threads=args.threads, file_limits=limits)
    out, top_k = results_stream(), args.top_k or None
    for start in range(0, len(sources), BATCH):
        batch = sources[start : start + BATCH]
        for record in extractor.predict(batch, [s.name for s in batch]):
            doc = document_record(record, top_k, args.min_score)
            out.write(json.dumps(doc, ensure_ascii=False) + "\n" if args.format == "jsonl" else table(doc))
        out.flush()
    say(f"{len(sources)} document(s) from {ckpt.name}" + (f"; {len(errors)} could not be read" if errors else ""))
    return len(errors)


def main(argv: list[str] | None = None) -> None:
    """Console entry: ``keyword-lightning keyphrases ...``; exit 2 when a document could not be read."""
    from keyword_lightning.data.formats import DataError
    from keyword_lightning.documents import DocumentError

    args = parser().parse_args(argv)
    if run_command(PROG, lambda: keyphrases(args), user=(DataError, DocumentError)):
        sys.exit(2)
