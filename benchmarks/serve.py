"""`keyword-lightning serve` under load: documents/s and latency against offline `predict`, then a soak.

    python -m benchmarks.serve --ckpt runs/version_0/checkpoints/best-....ckpt   # a configs/inspec.yaml fit
    python -m benchmarks.serve --ckpt CKPT --soak 2000 --out /tmp/serve.md      # a quick check

Starts the server (`python -m keyword_lightning.serve`, its defaults) on a free loopback port and
sends Inspec test abstracts (CoNLL tokens joined by spaces, PTB escapes undone, as compare.py
does), one per request, from 1, 8 and 32 concurrent clients (threads, one keep-alive connection
each; a bounded number of requests per level). Reports documents/s and p50/p95/p99 latency for
each, next to offline `KeywordExtractor.predict` over the same documents, measured in this run.
Then a soak: a warm-up of 3,000 requests, then at least 10,000 from 32 clients, one in four with 2-4 texts, each answer
checked against the request (its records' tokens must be those of its texts, in order), counting
5xx, lost and reordered answers, and the server's RSS (all its processes) after warm-up and at
the end. Writes benchmarks/results/serve.md (atomically) with the command, machine and date.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import sys
import time
from pathlib import Path

from benchmarks.common import RESULTS, SHARED, command, header, platform_line, write_results
from benchmarks.corpora import raw_texts
from benchmarks.gold import read_conll_gold
from benchmarks.serve_load import (
    cpu_seconds,
    free_port,
    percentile,
    run_clients,
    server_rss,
    soak_jobs,
    start_server,
)


def offline_docs_per_s(
    ckpt: Path, texts: list[str], repeats: int, threads: int, call_size: int | None = None
) -> tuple[float, list[dict]]:
    """``KeywordExtractor.predict`` over all texts, ``threads`` torch threads; median of ``repeats``.

    All texts in one call, or in calls of ``call_size`` texts (what one batch of the server holds).
    """
    import torch

    from keyword_lightning import KeywordExtractor

    default = torch.get_num_threads()
    torch.set_num_threads(threads or default)
    extractor = KeywordExtractor.from_checkpoint(ckpt)
    extractor.predict(texts[:8])  # warm-up
    rates, records = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        step = call_size or len(texts)
        records = [r for i in range(0, len(texts), step) for r in extractor.predict(texts[i : i + step])]
        rates.append(len(texts) / (time.perf_counter() - start))
    torch.set_num_threads(default)
    return statistics.median(rates), records


def machine() -> str:
    """The machine, its Python and litserve's version."""
    import litserve

    return platform_line(f"litserve {litserve.__version__}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", type=Path, required=True, help="a checkpoint (the GloVe default: configs/inspec.yaml)")
    ap.add_argument("--data", type=Path, default=SHARED / "inspec", help="folder with test.txt (CoNLL)")
    ap.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    ap.add_argument("--requests", type=int, nargs="+", default=[300, 1000, 2000], help="per client level")
    ap.add_argument("--repeats", type=int, default=3, help="offline timings (median)")
    ap.add_argument("--soak", type=int, default=10_000, help="soak requests (32 clients)")
    ap.add_argument("--warmup", type=int, default=3000, help="requests before the soak's first RSS reading")
    ap.add_argument("--server-args", default="", help="extra `serve` options, e.g. '--max_batch_size 64'")
    ap.add_argument("--out", type=Path, default=RESULTS / "serve.md")
    args = ap.parse_args()
    if not args.ckpt.is_file():
        ap.error(f"checkpoint not found: {args.ckpt}")
    texts, _ = raw_texts(read_conll_gold(args.data / "test.txt")[0])
    loads, started = [os.getloadavg()[0]], time.time()

    # Offline with one torch thread (the server's worker setting) and with torch's default; the
    # better of the two is the baseline. (Two threads on a CPU that other work also uses can be
    # many times slower than one: the threads wait on each other.)
    offline_1, records = offline_docs_per_s(args.ckpt, texts, args.repeats, 1)
    offline_n, _ = offline_docs_per_s(args.ckpt, texts, args.repeats, 0)
    offline = max(offline_1, offline_n)
    # And in calls the size of the server's batches at 32 clients, which its workers share.
    n_workers = worker_count_of(args.server_args)
    call = max(1, 32 // n_workers)
    offline_call, _ = offline_docs_per_s(args.ckpt, texts, args.repeats, 1, call)
    expected = {t: r["tokens"] for t, r in zip(texts, records)}
    print(
        f"offline predict: {offline_1:.1f} docs/s (1 thread), {offline_n:.1f} (default), "
        f"{offline_call:.1f} (1 thread, calls of {call})",
        file=sys.stderr,
    )

    port = free_port()
    server = start_server(args.ckpt, port, shlex.split(args.server_args))
    rows = []
    try:
        run_clients(port, [{"text": t} for t in texts[:64]], 8)  # warm-up
        for clients, n in zip(args.clients, args.requests):
            jobs = [{"text": texts[i % len(texts)]} for i in range(n)]
            cpu0 = cpu_seconds(server.pid)
            lat, seconds, failures = run_clients(port, jobs, clients)
            cpu = [1000 * (b - a) / n for a, b in zip(cpu0, cpu_seconds(server.pid))]  # ms per request
            rate = len(lat) / seconds
            rows.append((clients, n, rate, *(1000 * percentile(lat, q) for q in (50, 95, 99)), len(failures), *cpu))
            print(
                f"{clients} clients: {rate:.1f} docs/s, p50 {rows[-1][3]:.1f} ms, failures {len(failures)}",
                file=sys.stderr,
            )
        loads.append(os.getloadavg()[0])

        jobs = soak_jobs(texts, args.soak)

        def check(i: int, body: dict) -> str | None:
            sent = [jobs[i]["text"]] if "text" in jobs[i] else jobs[i]["texts"]
            got = [r["tokens"] for r in body.get("records", [])]
            if len(got) != len(sent):
                return f"lost: {len(got)} records for {len(sent)} texts"
            return None if got == [expected[t] for t in sent] else "reordered: records do not match the texts"

        # Warm-up for the RSS baseline: the model worker's allocator grows over its first few thousand
        # requests (batches of every shape), by less each round, then holds.
        run_clients(port, soak_jobs(texts[::-1], args.warmup), 32, check)
        rss_warm = server_rss(server.pid)
        lat, seconds, failures = run_clients(port, jobs, 32, check)
        rss_end = server_rss(server.pid)
    finally:
        server.terminate()
        code = server.wait(60)
    loads.append(os.getloadavg()[0])
    kinds = {k: sum(1 for _, p in failures if p.startswith(k)) for k in ("HTTP 5", "lost", "reordered")}
    other = len(failures) - sum(kinds.values())
    growth = rss_end / rss_warm - 1
    soak_ok = not failures and abs(growth) <= 0.10 and code == 0
    at32 = next((r for r in rows if r[0] == 32), None)
    at1 = next((r for r in rows if r[0] == 1), None)

    cores = os.cpu_count() or 1
    workers = worker_processes(args.server_args, n_workers)
    lines = [
        "# `keyword-lightning serve` under load",
        "",
        header(command("serve", sys.argv[1:]), on=machine()),
        f"Checkpoint `{args.ckpt.name}`; the server with its "
        f"defaults{' and ' + args.server_args if args.server_args else ''}; clients in the benchmark's own process "
        f"on the same machine, over loopback. Load average (1 min) before / after the load levels / at the end: "
        + " / ".join(f"{x:.2f}" for x in loads)
        + (
            ". The CPU was shared with other work during this run, so treat the figures as noisy."
            if loads[0] > 1.5
            else "."
        ),
        "",
        f"Inspec test, {len(texts)} abstracts (mean {sum(map(len, texts)) / len(texts):.0f} characters), "
        "one per request.",
        "",
        "| clients | requests | documents/s | p50 ms | p95 ms | p99 ms | failed | server CPU ms/request "
        "| of which model workers | client CPU ms/request | CPU ceiling docs/s |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {c} | {n} | {r:.1f} | {a:.1f} | {b:.1f} | {d:.1f} | {f} | {sc:.2f} | {wc:.2f} | {cc:.2f} "
            f"| {1000 * cores / (sc + cc):.0f} |"
            for c, n, r, a, b, d, f, sc, wc, cc in rows
        ),
        f"| offline `KeywordExtractor.predict`, all {len(texts)} in one call, 1 torch thread (median of "
        f"{args.repeats}) | | {offline_1:.1f} | | | | | | | | |",
        f"| the same, torch's default threads ({default_threads()}) | | {offline_n:.1f} | | | | | | | | |",
        f"| the same in calls of {call} documents (32 clients over {n_workers} worker"
        f"{'s' if n_workers > 1 else ''}), 1 torch thread | | {offline_call:.1f} | | | | | | | | |",
        "",
        "CPU ms/request: user + system CPU time of all the server's processes (HTTP, LitServe's manager,",
        "the model workers), of the model workers alone, and of the clients (this process), over the level,",
        f"per request. CPU ceiling: the documents/s that {cores} fully busy cores would give at that cost,",
        "clients included.",
        "",
    ]
    if at32:
        lines.append(
            f"At 32 clients the server ({workers}) reaches {at32[2] / offline:.0%} of "
            "offline predict's documents/s (the better of the first two offline rows)."
        )
        sc, wc, cc = at32[7:10]
        lines.append(
            f"70% of it would need at most {1000 * cores / (0.7 * offline):.1f} ms of CPU per request on "
            f"{cores} cores; at 32 clients a request costs {sc - wc:.1f} ms outside the model workers "
            f"(HTTP, queues), {wc:.1f} in them and {cc:.1f} in the clients, and the model alone costs "
            f"{1000 / offline_call:.1f} ms a document in the server's batches (the last row)."
        )
        ceiling = min(n_workers, cores) * offline_call
        lines.append(
            f"The model alone, in the server's batches on {min(n_workers, cores)} of the {cores} cores, "
            f"would give {ceiling:.0f} documents/s (the last offline row times the busy workers): the "
            f"server reaches {at32[2] / ceiling:.0%} of that while its HTTP side and the clients "
            "share the same cores."
        )
    if at1:
        lines.append(f"p50 latency at 1 client: {at1[3]:.1f} ms.")
    lines += [
        "",
        f"## Soak: {len(jobs)} requests from 32 clients ({sum(len(j.get('texts', [0])) for j in jobs)} texts)",
        "",
        f"- {len(jobs) / seconds:.1f} requests/s, p50 {1000 * percentile(lat, 50):.1f} ms, "
        f"p99 {1000 * percentile(lat, 99):.1f} ms",
        f"- 5xx: {kinds['HTTP 5']}, lost: {kinds['lost']}, reordered: {kinds['reordered']}, other: {other}",
        f"- server RSS (all processes) after a warm-up of {args.warmup} requests {rss_warm / 2**20:.1f} MiB, "
        f"at the end {rss_end / 2**20:.1f} MiB ({growth:+.1%})",
        f"- SIGTERM at the end: exit status {code}",
        f"- **{'passed' if soak_ok else 'FAILED'}**" + ("" if soak_ok else f": first failures {failures[:5]}"),
        "",
        f"Total time {(time.time() - started) / 60:.1f} minutes.",
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    write_results(args.out, report)
    if not soak_ok:
        sys.exit(1)


def worker_count_of(server_args: str) -> int:
    """How many model workers ``serve`` runs with ``server_args``."""
    from keyword_lightning.serve.api import parser, worker_count

    args = parser().parse_args(["--ckpt_path", "x", *shlex.split(server_args)])
    return worker_count(args.workers, args.accelerator)


def worker_processes(server_args: str, n: int) -> str:
    """The ``n`` model workers ``serve`` ran with ``server_args``, and their threads, in words."""
    from keyword_lightning.serve.api import parser

    args = parser().parse_args(["--ckpt_path", "x", *shlex.split(server_args)])
    threads = f"{args.threads} torch thread{'s' if args.threads != 1 else ''}" if args.threads else "torch's threads"
    return f"{n} model worker{'s' if n > 1 else ''} of {threads}"


def default_threads() -> int:
    import torch

    return torch.get_num_threads()


if __name__ == "__main__":
    main()
