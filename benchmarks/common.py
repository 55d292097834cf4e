"""What the benchmarks share: the data folder, running the CLI, the results header, writing results.

Every results file under ``benchmarks/results/`` is written by a script through ``write_results``
and starts with ``header``: the date, the machine, the build (``git rev-parse --short HEAD``) and
the command, with paths shown relative to the repository (never a machine-local path).
``benchmarks/stale.py`` reads the build back.
"""

from __future__ import annotations

import concurrent.futures
import datetime
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Hashable, Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"  # the workspace's data, beside the checkout (never copied into it)
RESULTS = ROOT / "benchmarks" / "results"
BUILD = re.compile(r"\b(?:build|git) `?([0-9a-f]{7,40})\b")  # "build `abc1234`" (and serve.md's older "git abc1234")
SECTION = re.compile(r"<!-- (?P<name>[\w-]+): written by .*? -->\n.*?<!-- /(?P=name) -->\n?", re.S)

# The four corpora of the ranking benchmarks (ranking.py, candidates.py), the validation corpora
# first: the test corpora are ranked by scorers fitted on each validation corpus.
CORPORA = {
    "Inspec valid": SHARED / "inspec/valid.txt",
    "SemEval-2017 dev": SHARED / "semeval2017/dev.txt",
    "Inspec test": SHARED / "inspec/test.txt",
    "SemEval-2017 test": SHARED / "semeval2017/test.txt",
}
VALIDATION, TESTS = ("Inspec valid", "SemEval-2017 dev"), ("Inspec test", "SemEval-2017 test")
LETTER = re.compile(r"[^\W\d_]")  # a letter of any script (a word without one is no candidate)

# ----------------------------------------------------------------------------- running the CLI


def run(cmd: Sequence[str], cwd: Path, threads: int | None = None) -> str:
    """Run ``cmd`` (e.g. ``python -m keyword_lightning.cli fit ...``) in ``cwd``; its stderr, or RuntimeError.

    The child imports this checkout's package and benchmarks, logs to wandb offline and quietly,
    and with ``threads`` uses that many OpenMP/MKL threads.
    """
    env = {**os.environ, "WANDB_SILENT": "true", "WANDB_MODE": "offline"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    if threads:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    proc = subprocess.run(list(map(str, cmd)), cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"failed: {' '.join(map(str, cmd))}\n{proc.stderr[-4000:]}")
    return proc.stderr


def measured(module_args: list[str], cwd: Path) -> tuple[float, float, str]:
    """Run ``python -m MODULE ARGS`` (or a script); returns (wall seconds, its peak RSS MB, its output)."""
    env = {**os.environ, "WANDB_MODE": "disabled", "PYTHONPATH": str(ROOT)}
    # The child reports its own peak RSS at exit, whatever other children ran before.
    wrapper = (
        "import atexit, resource, runpy, sys\n"
        "atexit.register(lambda: print('PEAK_RSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,"
        " file=sys.stderr))\n"
        "target, sys.argv = sys.argv[1], sys.argv[1:]\n"
        "runpy.run_path(target, run_name='__main__') if target.endswith('.py') else "
        "runpy.run_module(target, run_name='__main__', alter_sys=True)\n"
    )
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", wrapper, *module_args], cwd=cwd, env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - t0
    if proc.returncode:
        sys.exit(f"failed: {' '.join(module_args)}\n{proc.stderr[-3000:]}")
    rss = [int(line.split()[1]) for line in proc.stderr.splitlines() if line.startswith("PEAK_RSS_KB")][-1] / 1024
    return wall, rss, proc.stdout + proc.stderr


def flags(options: dict[str, object]) -> list[str]:
    """A command line's options, ``{"--out": PATH, ...}``, as ``["--out", "PATH", ...]``: one option a line."""
    return [str(part) for pair in options.items() for part in pair]


CLI = [sys.executable, "-m", "keyword_lightning.cli"]
PREPARE = [sys.executable, "-m", "keyword_lightning.prepare"]


def threads_per_run(parallel: int) -> int | None:
    """Each of ``parallel`` runs' share of the CPU threads (None: one run, torch's own choice)."""
    return max(1, (os.cpu_count() or 1) // parallel) if parallel > 1 else None


def run_all(jobs: Iterable[tuple[str, int]], one: Callable[..., dict], parallel: int) -> tuple[dict, list]:
    """``one(name, seed)`` for each job, ``parallel`` at a time; the results by job, and the failed jobs.

    Every failure is reported on stderr (the end of its message) before this returns.
    """
    done, failed = {}, []
    with concurrent.futures.ThreadPoolExecutor(max_workers=parallel) as pool:
        futures = {job: pool.submit(one, *job) for job in jobs}
        for job, future in futures.items():
            try:
                done[job] = future.result()
            except Exception as err:  # report every failed run, then let the caller stop
                failed.append(job)
                print(f"{job[0]} seed {job[1]} failed: {str(err)[-2000:]}", file=sys.stderr, flush=True)
    return done, failed


def mean_sd(values: Sequence[float], missing: str = "—") -> str:
    """``mean ± std`` to 3 places (one value: the value; any NaN: ``missing``)."""
    if any(v != v for v in values):
        return missing
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


# ----------------------------------------------------------------------------- the header


def git(*args: str) -> str:
    """``git ARGS`` in the checkout, stripped; "" if git or the repository is missing."""
    try:
        proc = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return ""
    return proc.stdout.strip() if proc.returncode == 0 else ""


def build() -> str:
    """The checkout's short commit hash, with ``+changes`` when the package or configs differ from it."""
    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + ("+changes" if git("status", "--porcelain", "--", "keyword_lightning", "configs") else "")


def shown(path: str | Path) -> str:
    """A path as a results file shows it: relative to the repository, else its file name alone."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return path.name


def command(script: str, argv: Sequence[str]) -> str:
    """``python -m benchmarks.SCRIPT ARGS`` with each absolute path (or ``NAME=PATH``'s) as ``shown`` gives it.

    ``script`` is the module's name (``compare``; a ``compare.py`` is read as ``compare``).
    """
    args = []
    for arg in map(str, argv):
        name, sep, path = arg.partition("=")
        if os.path.isabs(arg):
            arg = shown(arg)
        elif sep and os.path.isabs(path):
            arg = f"{name}={shown(path)}"
        args.append(arg)
    return shlex.join(["python", "-m", f"benchmarks.{script.removesuffix('.py')}", *args])


def machine(*extra: str) -> str:
    """``x86_64, 2 CPU cores, no GPU, torch 2.13.0+cpu`` and any ``extra`` parts."""
    import torch

    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    parts = [platform.machine(), f"{os.cpu_count()} CPU cores", device, f"torch {torch.__version__}", *extra]
    return ", ".join(parts)


def platform_line(*extra: str) -> str:
    """``Linux-..., x86_64, 2 CPU cores, torch 2.13.0+cpu (1 threads)``, then ``extra``, ``Python 3.x``.

    The long form of ``machine`` (the OS, torch's threads and Python), for the results whose figures
    depend on them (compare.md, serve.md).
    """
    import torch

    parts = [
        platform.platform(),
        platform.machine(),
        f"{os.cpu_count()} CPU cores",
        f"torch {torch.__version__} ({torch.get_num_threads()} threads)",
        *extra,
        f"Python {platform.python_version()}",
    ]
    return ", ".join(parts)


def header(cmd: str, on: str | None = None) -> str:
    """``Measured DATE UTC on MACHINE; build `HASH`; `CMD`.`` (``on``: the machine, default ``machine()``)."""
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
    return f"Measured {date} UTC on {on or machine()}; build `{build()}`; `{cmd}`."


# ----------------------------------------------------------------------------- writing results


def with_section(document: str, body: str, name: str, writer: str) -> str:
    """``document`` with its section ``name`` (written by ``writer``) replaced by ``body``, or appended."""
    start, end = f"<!-- {name}: written by {writer} -->", f"<!-- /{name} -->"
    block = f"{start}\n{body.rstrip()}\n{end}"
    if start in document and end in document:
        head, rest = document.split(start, 1)
        return head + block + rest.split(end, 1)[1]
    return document.rstrip() + "\n\n" + block + "\n"


def write_results(path: Path, text: str, keep_sections: bool = True) -> None:
    """Write ``text`` to ``path`` atomically (a reader sees the old file or the new one, never half).

    With ``keep_sections``, the sections that other scripts wrote into the old file
    (``<!-- NAME: written by SCRIPT -->`` ... ``<!-- /NAME -->``) and ``text`` lacks are kept, at the end.
    """
    path = Path(path)
    if keep_sections and path.is_file():
        kept = [m.group(0) for m in SECTION.finditer(path.read_text(encoding="utf-8"))]
        kept = [block for block in kept if block.split("\n", 1)[0] not in text]
        text = text.rstrip() + "\n\n" + "".join(block.rstrip() + "\n" for block in kept) if kept else text
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def recorded_build(text: str) -> str | None:
    """The build hash a results file names (``header``'s ``build `HASH```), or None."""
    match = BUILD.search(text)
    return match.group(1) if match else None


def unique(items: Iterable[Hashable]) -> list:
    """``items`` once each, in their first order."""
    return list(dict.fromkeys(items))


def stop_words() -> frozenset[str]:
    """scikit-learn's ``ENGLISH_STOP_WORDS``: what bounds the n-gram candidates (tfidf_ranker.py, candidates.py)."""
    try:
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
    except ImportError:  # seqeval (dev extra) and keybert (bench extra) both bring scikit-learn
        raise SystemExit("the n-gram candidates need scikit-learn: pip install -e '.[bench]'") from None
    return frozenset(ENGLISH_STOP_WORDS)
