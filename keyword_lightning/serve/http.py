"""The HTTP side of ``keyword-lightning serve`` that LitServe leaves to its user.

``PredictGuard`` reads and checks every ``POST /predict`` body in the API server process
(``requests.py``; an uploaded file is read into text here, ``uploads.py``), so a refused
request never reaches the model worker and never costs the other clients a batch;
``add_page`` puts the HTML page at ``/``; ``stop_on_sigterm`` makes SIGTERM finish the
requests in flight before the workers go.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import signal
import threading
from importlib import resources

from keyword_lightning.serve.requests import (
    DEFAULT_LIMITS,
    Limits,
    RequestError,
    check_size,
    error_body,
    parse_body,
    texts_of,
)
from keyword_lightning.serve.uploads import is_upload, upload_body, upload_limit

DRAIN_LIMIT = 16  # a refused body is read (and dropped) up to this many times the limit, then the connection closes


class PredictGuard:
    """ASGI middleware: checks ``POST`` bodies at ``path``; a refused one gets a 4xx ``{"error": ...}``."""

    def __init__(self, app, limits: Limits = DEFAULT_LIMITS, path: str = "/predict") -> None:
        self.app, self.limits, self.path = app, limits, path

    async def __call__(self, scope, receive, send) -> None:
        """Pass anything but ``POST path`` through; read, check, then replay the body of those."""
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        upload = is_upload(scope["headers"])
        limit = upload_limit(self.limits) if upload else self.limits.max_body_bytes
        body, refused = await self._read(scope, receive, limit)
        if refused is None:
            try:
                if upload:  # the file read into text here; the worker gets {"document": ...}
                    value = await upload_body(scope["headers"], body, self.limits)
                    texts_of(value, self.limits)
                    body = json.dumps(value, ensure_ascii=False).encode()
                else:
                    parse_body(body, self.limits)
            except RequestError as err:
                refused = err
        if refused is not None:
            await send_json(send, refused.status, error_body(refused.message))
            return
        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()  # after the body: only a disconnect can come
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        # Any content type is read as JSON (curl -d sends application/x-www-form-urlencoded).
        headers = [(k, v) for k, v in scope["headers"] if k not in (b"content-type", b"content-length")]
        json_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        scope = {**scope, "headers": [*headers, *json_headers]}
        await self.app(scope, replay, send)

    async def _read(self, scope, receive, limit: int) -> tuple[bytes, RequestError | None]:
        """The body, or the reason it is refused (over ``limit`` bytes); an over-long body is drained, not kept."""
        refused = None
        declared = dict(scope["headers"]).get(b"content-length", b"")
        limits = Limits(max_body_bytes=limit)
        try:
            check_size(int(declared) if declared.isdigit() else 0, limits)
        except RequestError as err:
            refused = err
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if refused is None and size > limit:
                refused, chunks = RequestError(413, f"request body over {limit} bytes"), []
            if refused is None:
                chunks.append(chunk)
            if not message.get("more_body") or size > DRAIN_LIMIT * limit:
                break
        return b"".join(chunks), refused


async def send_json(send, status: int, body: bytes) -> None:
    """A complete JSON response through ASGI ``send``."""
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def page_html() -> bytes:
    """The page served at ``/`` (package data, no external assets)."""
    return (resources.files("keyword_lightning") / "serve" / "page.html").read_bytes()


def add_page(app) -> None:
    """Serve ``page_html()`` at ``GET /`` in place of LitServe's own index route."""
    from fastapi.responses import Response

    app.router.routes = [r for r in app.router.routes if getattr(r, "path", None) != "/"]
    html = page_html()

    async def index() -> Response:
        return Response(html, media_type="text/html; charset=utf-8")

    app.add_api_route("/", index, methods=["GET"], include_in_schema=False)


def stop_on_sigterm(server) -> None:
    """On SIGTERM: stop the HTTP servers (each finishes its requests in flight), then the workers.

    uvicorn answers SIGTERM by closing its socket and waiting for open requests; the model
    workers keep running until then, so those requests get answers. Then LitServe's own
    shutdown ends the rest, and ``server.run()`` returns (exit status 0).
    """
    main_pid = os.getpid()

    def drain() -> None:
        http = [p for p in mp.active_children() if p.name.startswith("LitServer-")]
        for proc in http:
            proc.terminate()
        for proc in http:
            proc.join(timeout=server.uvicorn_graceful_timeout + 5)
        server._shutdown_event.set()  # what LitServe's own /shutdown route does

    def on_sigterm(signum, frame) -> None:
        if os.getpid() != main_pid:  # a forked helper (LitServe's manager) inherited this handler
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        threading.Thread(target=drain, name="sigterm-drain", daemon=True).start()

    signal.signal(signal.SIGTERM, on_sigterm)
