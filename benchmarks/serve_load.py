"""The load side of ``benchmarks/serve.py``: the server in a child process, clients, what the server uses.

``start_server`` runs ``python -m keyword_lightning.serve`` on a free loopback port; ``run_clients``
sends requests from concurrent clients (threads, one keep-alive connection each) and gathers
latencies and failures; ``soak_jobs`` makes the soak's requests; ``server_rss`` and ``cpu_seconds``
read the server's memory and CPU (all its processes) with psutil.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from benchmarks.common import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(ckpt: Path, port: int, extra: list[str]) -> subprocess.Popen:
    """The server in a child process; returns once ``/health`` answers 200."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    cmd = [sys.executable, "-m", "keyword_lightning.serve", "--ckpt_path", str(ckpt), "--port", str(port), *extra]
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited {proc.returncode}: {proc.stderr.read()[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not become healthy in 120 s")


class Client:
    """One keep-alive connection; ``post`` returns (status, parsed body, seconds)."""

    def __init__(self, port: int) -> None:
        self.port, self.conn = port, None

    def post(self, payload: dict) -> tuple[int, dict, float]:
        body = json.dumps(payload).encode()
        start = time.perf_counter()
        for attempt in range(2):  # a keep-alive connection the server closed: reconnect once
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                self.conn.request("POST", "/predict", body, {"Content-Type": "application/json"})
                resp = self.conn.getresponse()
                data = resp.read()
                return resp.status, json.loads(data), time.perf_counter() - start
            except (http.client.HTTPException, ConnectionError):
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")


def run_clients(port: int, jobs: list[dict], clients: int, check=None) -> tuple[list[float], float, list]:
    """Send ``jobs`` from ``clients`` threads (client k takes jobs k, k+clients, ...); latencies, seconds, failures."""
    latencies, failures, lock = [], [], threading.Lock()

    def work(k: int) -> None:
        client, mine = Client(port), []
        for i in range(k, len(jobs), clients):
            try:
                status, body, seconds = client.post(jobs[i])
            except Exception as err:  # noqa: BLE001 - a lost answer is a result here
                failures.append((i, f"lost: {type(err).__name__}: {err}"))
                continue
            mine.append(seconds)
            problem = f"HTTP {status}" if status != 200 else (check(i, body) if check else None)
            if problem:
                failures.append((i, problem))
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, time.perf_counter() - start, failures


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def server_rss(pid: int) -> int:
    """Resident bytes of the server and all its processes (HTTP, model worker, LitServe's manager)."""
    import psutil

    procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    return sum(p.memory_info().rss for p in procs if p.is_running())


def cpu_seconds(pid: int) -> tuple[float, float, float]:
    """CPU seconds (user + system) used so far by the server (all its processes), by its model
    workers alone, and by this process.

    LitServe (0.2.19, pinned) starts its model workers with multiprocessing's spawn method, so they
    are the server's children run as ``--multiprocessing-fork``; the others are the HTTP process,
    the queue manager and the main process.
    """
    import psutil

    server = workers = 0.0
    for proc in [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]:
        try:
            seconds = sum(proc.cpu_times()[:2])
            server += seconds
            workers += seconds if "--multiprocessing-fork" in proc.cmdline() else 0.0
        except psutil.NoSuchProcess:
            pass
    return server, workers, sum(psutil.Process().cpu_times()[:2])


def soak_jobs(texts: list[str], n: int) -> list[dict]:
    """``n`` requests cycling through ``texts``; every fourth holds 2-4 texts (order must be kept)."""
    jobs, pos = [], 0
    for i in range(n):
        count = 2 + i % 3 if i % 4 == 3 else 1
        chunk = [texts[(pos + j) % len(texts)] for j in range(count)]
        pos += count
        jobs.append({"text": chunk[0]} if count == 1 else {"texts": chunk})
    return jobs
