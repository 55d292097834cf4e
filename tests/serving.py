"""Helpers for the tests of ``keyword-lightning serve``: a tiny checkpoint, a server in a child process."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.conftest import TINY_DOCS, fit_tiny, run_env, write_conll


def make_tiny_checkpoint(folder: Path) -> Path:
    """What the ``tiny_checkpoint`` fixture makes, in ``folder`` (for module-scoped servers).

    Trained with one torch thread: two threads on cores that other processes keep busy can be
    many times slower than one.
    """
    import torch

    from keyword_lightning.prepare import prepare

    f = write_conll(folder / "tiny.txt", TINY_DOCS * 4)
    dataset = prepare(train=str(f), val=str(f), test=str(f), out=str(folder / "data"))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        trainer, _, _ = fit_tiny(dataset, folder / "fit", epochs=20)
    finally:
        torch.set_num_threads(threads)
    path = folder / "tiny.ckpt"
    trainer.save_checkpoint(path)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``python -m keyword_lightning.serve`` on a free loopback port, started and waited for."""

    def __init__(self, ckpt: Path, *args: str, cwd: Path | None = None) -> None:
        self.port = free_port()
        cmd = [sys.executable, "-m", "keyword_lightning.serve", "--ckpt_path", str(ckpt), "--port", str(self.port)]
        self.log = tempfile.TemporaryFile("w+")  # not a pipe: a full pipe would block the server
        self.proc = subprocess.Popen([*cmd, *args], cwd=cwd, env=run_env(), stdout=self.log, stderr=self.log)
        deadline = time.time() + 180
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited {self.proc.returncode}: {self.output()[-3000:]}")
            try:
                if self.request("GET", "/health", timeout=2)[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise AssertionError("server not healthy after 180 s")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None, timeout=60):
        """``(status, headers, raw body)`` of one request on a new connection."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body, headers or {})
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read()
        finally:
            conn.close()

    def post(self, payload, **kw) -> tuple[int, dict]:
        """POST ``payload`` (JSON-encoded unless bytes) to ``/predict``; ``(status, parsed body)``."""
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        status, _, raw = self.request("POST", "/predict", body, {"Content-Type": "application/json"}, **kw)
        return status, json.loads(raw)

    def output(self) -> str:
        """What the server printed so far."""
        self.log.seek(0)
        return self.log.read()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            return self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(10)
