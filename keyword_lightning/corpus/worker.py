"""``ShardWorker``: loads the checkpoint once, then turns whole units into shards. The one worker of both engines.

The local engine runs one in each of its processes (``local.py``); the Ray engine hands the class
to ``Dataset.map_batches``, which builds one per actor (``ray_engine.py``). Either way a unit is
read, tagged and written by one call of ``run``, so both engines write the same shards. A document
the model fails on goes to ``errors``; a chunk of several whose every document fails alone fails
the unit instead (``ChunkFailed``: a cause outside the documents, such as memory), so that a re-run
tags them. A chunk of one document cannot tell the two apart: its failure is the document's.
"""

from __future__ import annotations

import os
import resource
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from keyword_lightning.corpus.options import ExtractOptions
from keyword_lightning.corpus.results import DocumentError, UnitDone, UnitFailed, UnitResult, WorkerInfo, to_json
from keyword_lightning.corpus.shards import ShardWriter
from keyword_lightning.corpus.sources import Unit
from keyword_lightning.corpus.unit_documents import CorpusDocument, documents
from keyword_lightning.documents import Limits
from keyword_lightning.documents.source import MB
from keyword_lightning.inference.documents import with_source

CHUNK_BATCHES = 16  # forward-pass batches handed to the extractor at once: it groups them by length
CHUNK_CHARS = 4_000_000  # ... and at most this much text, so a chunk of long documents stays small


def shape(record: dict[str, Any], top_k: int | None, min_score: float | None, with_tokens: bool) -> dict[str, Any]:
    """A ``predictions.jsonl`` record as ``extract`` writes it.

    ``--top-k`` and ``--min-score`` keep the document's best keyphrases (``ranked``, as
    ``KeywordExtractor.keyphrases``), and ``keyphrases`` keeps the occurrences of those;
    ``tokens`` and ``tags`` only ``with_tokens``.
    """
    ranked = record["ranked"]
    keyphrases = record["keyphrases"]
    if top_k is not None or min_score is not None:
        from keyword_lightning.scoring.keyphrases import select

        ranked = select(ranked, top_k, min_score)
        kept = {tuple(span) for phrase in ranked for span in phrase["occurrences"]}
        keyphrases = [k for k in keyphrases if (k["start_char"], k["end_char"]) in kept]
    out = {"id": record["id"]}
    if "source" in record:  # a document file: its kind, title and pages (inference/documents.py)
        out["source"] = record["source"]
    if with_tokens:
        out.update(tokens=record["tokens"], tags=record["tags"])
    return {**out, "keyphrases": keyphrases, "ranked": ranked}


def chunks(docs: Iterator[CorpusDocument], size: int, chars: int = CHUNK_CHARS) -> Iterator[list[CorpusDocument]]:
    """``docs`` in lists of at most ``size`` documents or about ``chars`` characters."""
    chunk: list[CorpusDocument] = []
    held = 0
    for doc in docs:
        chunk.append(doc)
        held += len(doc.text or "")
        if len(chunk) >= size or held >= chars:
            yield chunk
            chunk, held = [], 0
    if chunk:
        yield chunk


def peak_rss_mb() -> float:
    """The peak resident memory of this process, MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class ChunkFailed(RuntimeError):
    """The model failed on each document of a chunk of several, alone too: a cause outside the documents.

    Out of memory, a device fault: the unit is not committed (a re-run tags it), rather than every
    document of the chunk recorded as one the model cannot tag.
    """


class ShardWorker:
    """Reads a unit, tags its documents in chunks and writes its shard (``shards.ShardWriter``).

    ``options``: ``extract``'s (``ExtractOptions``: the checkpoint, the output folder, the shards'
    format, ``max_chars``, ``top_k``, ``min_score``, ``with_tokens``, ``batch_size``, ``device``,
    the worker's ``threads``, and the limits on a document file: ``max_file_mb``, ``max_pages``).
    """

    def __init__(self, options: ExtractOptions) -> None:
        from keyword_lightning.inference.extractor import KeywordExtractor

        self.options = options
        self.extractor = KeywordExtractor.from_checkpoint(
            options.ckpt_path, device=options.device, threads=options.threads, batch_size=options.batch_size
        )
        self.chunk = options.batch_size * CHUNK_BATCHES
        self.limits = Limits(max_bytes=int(options.max_file_mb * MB), max_pages=options.max_pages)

    def run(self, unit: Unit, progress: Callable[[int, int], None] | None = None) -> UnitDone:
        """Tag ``unit`` and commit its shard and its ``_parts`` record. ``progress(docs, bytes)`` after each chunk."""
        o = self.options
        start, tagged, errors, done = time.perf_counter(), 0, [], 0
        with ShardWriter(Path(o.output), unit.name, o.format, o.with_tokens) as writer:
            for chunk in chunks(documents(unit, o.max_chars, self.limits), self.chunk):
                errors += [DocumentError(d.id, d.reason) for d in chunk if d.reason is not None]
                good = [d for d in chunk if d.reason is None]
                records = self.tag(good, errors)
                sources = {d.id: d.source for d in good if d.source is not None}
                records = [with_source(r, sources[r["id"]]) if r["id"] in sources else r for r in records]
                writer.write([shape(r, o.top_k, o.min_score, o.with_tokens) for r in records])
                tagged += len(records)
                if progress:
                    progress(len(chunk), chunk[-1].done - done)
                done = chunk[-1].done
            worker = WorkerInfo(socket.gethostname(), os.getpid(), round(peak_rss_mb(), 1))
            result = UnitDone(unit.name, tagged, tuple(errors), round(time.perf_counter() - start, 3), worker)
            writer.commit(result)
        if progress and unit.size > done:
            progress(0, unit.size - done)
        return result

    def tag(self, docs: list[CorpusDocument], errors: list[DocumentError]) -> list[dict[str, Any]]:
        """Records of ``docs``; should the chunk fail, each document alone, so that only a failing one is lost.

        When each of several documents fails alone too, the cause is not theirs: ``ChunkFailed``.
        """
        if not docs:
            return []
        try:
            return self.extractor.predict([d.text for d in docs], [d.id for d in docs])
        except Exception:  # noqa: BLE001 - isolate the document that breaks the chunk
            records, failures = [], []
            for d in docs:
                try:
                    records += self.extractor.predict([d.text], [d.id])
                except Exception as err:  # noqa: BLE001
                    failures.append(DocumentError(d.id, f"the model failed ({type(err).__name__}: {str(err)[:200]})"))
            if len(docs) > 1 and len(failures) == len(docs):
                raise ChunkFailed(
                    f"the model failed on each of the {len(docs)} documents of a chunk, alone too: a cause outside "
                    f"them (out of memory, a device fault?); the unit is left to a re-run. First: {failures[0].reason}"
                ) from None
            errors += failures
            return records

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        """``Dataset.map_batches``: a batch of units (column ``unit``, JSON) to their results (column ``summary``)."""
        import json

        import numpy as np

        out = [self.attempt(Unit.from_dict(json.loads(str(text)))) for text in batch["unit"]]
        return {"summary": np.array([to_json(r) for r in out], dtype=object)}

    def attempt(self, unit: Unit, progress: Callable[[int, int], None] | None = None) -> UnitResult:
        """``run``; an error (an unreadable file, a full disk, ``ChunkFailed``) as ``UnitFailed``: the others go on."""
        try:
            return self.run(unit, progress)
        except Exception as err:  # noqa: BLE001 - one unit's failure must not end the others
            return UnitFailed(unit.name, f"{type(err).__name__}: {str(err)[:400]}")
