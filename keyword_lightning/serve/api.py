"""``keyword-lightning serve``: a checkpoint behind HTTP, on LitServe.

``POST /predict`` with ``{"text": "..."}`` or ``{"texts": [...]}`` answers ``{"records": [...]}``,
the records of ``predictions.jsonl`` in request order; a file uploaded as ``multipart/form-data``
(field ``file``: PDF, HTML, DOCX, Markdown, text) answers its record, with each keyphrase's page
for a PDF, and ``"document"``: its name, kind, title, pages and text; ``GET /health``; ``GET /`` is a page
to paste text into. Requests from many clients are gathered into one forward pass.
The model worker runs ``KeywordExtractor`` (torch only, no Lightning); requests are checked
before they reach it (``http.PredictGuard``, ``requests.py``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os

import litserve as ls

from keyword_lightning.commands import CKPT_HELP, CommandParser, resolve_checkpoint, run_command
from keyword_lightning.runtime import say
from keyword_lightning.serve.loop import GatherLoop, SteadyMalloc
from keyword_lightning.serve.requests import (
    DEFAULT_LIMITS,
    MB,
    DocumentTexts,
    Limits,
    RequestError,
    error_body,
    texts_of,
)

logger = logging.getLogger(__name__)
MAX_AUTO_WORKERS = 4
PROG = "keyword-lightning serve"


class KeywordAPI(ls.LitAPI):
    """``POST /predict``: texts in, ``predictions.jsonl`` records out, batched across requests."""

    def __init__(self, ckpt_path: str, limits: Limits = DEFAULT_LIMITS, threads: int = 1, **kwargs) -> None:
        super().__init__(loop=GatherLoop(), **kwargs)
        self.ckpt_path, self.limits, self.threads = str(ckpt_path), limits, threads

    def setup(self, device: str) -> None:
        """Load the checkpoint (weights only) in the worker process."""
        from keyword_lightning.inference.extractor import KeywordExtractor

        self.memory = SteadyMalloc()
        self.extractor = KeywordExtractor.from_checkpoint(self.ckpt_path, device=device, threads=self.threads)

    def decode_request(self, request):
        """The request's texts (``PredictGuard`` checked them already), or the ``RequestError``."""
        try:
            return texts_of(request, self.limits)
        except RequestError as err:  # answered alone in encode_response: never fails the batch
            return err

    def batch(self, inputs: list) -> list:
        """Keep each request's texts apart; ``predict`` runs them all in one pass."""
        return inputs

    def predict(self, requests: list) -> list:
        """One ``KeywordExtractor.predict`` over every text of every request, split back per request.

        Should that pass fail, each request is run alone, so that only the one that fails gets
        a 500 and the others in its batch are answered.
        """
        good = [texts for texts in requests if isinstance(texts, list)]
        try:
            records = self.extractor.predict([text for texts in good for text in texts])
        except Exception:  # noqa: BLE001 - isolate the request that breaks the batch
            return [self._alone(texts) for texts in requests]
        finally:
            self.memory.after_batch()
        out, start = [], 0
        for texts in requests:
            if not isinstance(texts, list):
                out.append(texts)
                continue
            part = records[start : start + len(texts)]
            for i, record in enumerate(part):
                record["id"] = str(i)  # ids count within each request, as for one predict call
            out.append(named(part, texts))
            start += len(texts)
        return out

    def _alone(self, texts):
        if not isinstance(texts, list):
            return texts
        try:
            return named(self.extractor.predict(list(texts)), texts)
        except Exception as err:  # noqa: BLE001
            logger.exception("predict failed on one request")
            return RequestError(500, f"the model failed on this request ({type(err).__name__})")

    def encode_response(self, records):
        """``{"records": [...]}`` as JSON bytes (encoded here, not in the HTTP process), or the error."""
        from fastapi.responses import Response

        if isinstance(records, RequestError):
            return Response(error_body(records.message), status_code=records.status, media_type="application/json")
        answer = {"records": list(records)}
        if isinstance(records, DocumentTexts):  # an upload: what was read, for the page to show
            answer["document"] = records.source.to_dict(with_text=True)
        body = json.dumps(answer, ensure_ascii=False).encode()
        return Response(body, media_type="application/json")


def named(records: list, texts: list) -> list:
    """``records`` as answered: for a document (``DocumentTexts``), its record named by the file, with pages."""
    if not isinstance(texts, DocumentTexts):
        return records
    from keyword_lightning.inference.documents import with_source

    return DocumentTexts([{**with_source(r, texts.source), "id": texts.source.name} for r in records], texts.source)


def build_server(ckpt_path: str, args: argparse.Namespace) -> ls.LitServer:
    """A ``LitServer`` for ``ckpt_path`` with the request checks, the page and SIGTERM handling."""
    from keyword_lightning.serve.http import PredictGuard, add_page

    limits = Limits(int(args.max_body_mb * MB), args.max_texts, args.max_chars, int(args.max_file_mb * MB),
                    args.max_pages)  # fmt: skip
    api = KeywordAPI(
        ckpt_path, limits, args.threads, max_batch_size=args.max_batch_size, batch_timeout=args.batch_timeout
    )
    server = ls.LitServer(
        api,
        accelerator="cuda" if args.accelerator == "gpu" else "cpu",
        devices=1 if args.accelerator == "gpu" else "auto",
        workers_per_device=worker_count(args.workers, args.accelerator),
        timeout=args.timeout,
        middlewares=[(PredictGuard, {"limits": limits})],
    )
    add_page(server.app)
    return server


def worker_count(workers: int, accelerator: str) -> int:
    """``workers``, or with 0 one per CPU core (at most ``MAX_AUTO_WORKERS``; one on a GPU).

    A worker runs one torch thread, and a BiLSTM step is too small to share among threads: on
    2 cores, 2 workers of one thread served 32 clients faster than 1 worker of 2 threads
    (measured: benchmarks/results/NOTES.md#serve-api). Each worker holds its own copy of the model.
    """
    if workers > 0:
        return workers
    if accelerator == "gpu":
        return 1
    return max(1, min(MAX_AUTO_WORKERS, os.cpu_count() or 1))


def parser() -> CommandParser:
    """The options of ``keyword-lightning serve`` (each in both spellings: ``--max_chars``, ``--max-chars``)."""
    p = CommandParser("serve")
    p.add_argument("--ckpt_path", default=None, help=CKPT_HELP)
    p.add_argument("--host", default="127.0.0.1", choices=["127.0.0.1", "0.0.0.0", "::"])
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--max_batch_size", type=int, default=32, help="requests gathered into one forward pass")
    p.add_argument("--batch_timeout", type=float, default=0.05, help="most seconds to gather a batch for")
    p.add_argument("--workers", type=int, default=0, help="model worker processes (0: one per CPU core, at most 4)")
    p.add_argument("--accelerator", default="cpu", choices=["cpu", "gpu"])
    p.add_argument("--threads", type=int, default=1, help="torch threads per worker (0: torch's default)")
    p.add_argument("--timeout", type=float, default=60, help="seconds a request may wait for a worker")
    p.add_argument("--max_body_mb", type=float, default=Limits.max_body_bytes / MB, help="request body limit")
    p.add_argument("--max_texts", type=int, default=Limits.max_texts, help="texts in one request")
    p.add_argument("--max_chars", type=int, default=Limits.max_chars, help="characters in one request")
    p.add_argument("--max_file_mb", type=float, default=Limits.max_file_bytes / MB, help="an uploaded file's limit")
    p.add_argument("--max_pages", type=int, default=Limits.max_pages, help="pages of an uploaded PDF")
    p.add_argument("--log_level", default="warning", choices=["debug", "info", "warning", "error"])
    return p


def serve(args) -> None:
    """Check the checkpoint (the worker's own load, once here: refuse early), then serve until SIGTERM or Ctrl+C."""
    from keyword_lightning.inference.extractor import KeywordExtractor
    from keyword_lightning.serve.http import stop_on_sigterm

    ckpt = resolve_checkpoint(args.ckpt_path, check=False)
    KeywordExtractor.from_checkpoint(ckpt)
    server = build_server(str(ckpt), args)
    stop_on_sigterm(server)
    say(f"keyword-lightning serve: {ckpt} on http://{args.host}:{args.port}/")
    server.run(host=args.host, port=args.port, log_level=args.log_level, generate_client_file=False)


def main(argv: list[str] | None = None) -> None:
    """``keyword-lightning serve ...``; a bad checkpoint or option ends in one line, exit 2."""
    args = parser().parse_args(argv)
    run_command(PROG, lambda: serve(args))


if __name__ == "__main__":
    main()
