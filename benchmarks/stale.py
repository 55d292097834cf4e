"""List the results files measured on a build older than the last change to the package.

    python -m benchmarks.stale            # the stale files, one a line, with their build
    python -m benchmarks.stale --all      # every results file with its build and state

A results file names its build in its header (``build `HASH``` from ``benchmarks/common.header``).
It is stale when the last commit that touched ``keyword_lightning/``
(``git log -1 --format=%h -- keyword_lightning``) is not an ancestor of that build
(``git merge-base --is-ancestor``): the package has changed since it was measured. Files that
name no build, or a build this clone does not know, are listed as such. Exit status 0 always.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from benchmarks.common import RESULTS, ROOT, git, recorded_build, shown

NOT_RESULTS = {"README.md", "NOTES.md"}  # written by hand: notes, not results


def is_ancestor(older: str, newer: str) -> bool | None:
    """Whether commit ``older`` is an ancestor of (or is) ``newer``; None if git knows neither."""
    proc = subprocess.run(["git", "merge-base", "--is-ancestor", older, newer], cwd=ROOT, capture_output=True)
    return {0: True, 1: False}.get(proc.returncode)


def states(folder: Path = RESULTS) -> list[tuple[Path, str | None, str]]:
    """``(file, build, state)`` of each results file; state is fresh, stale, no build or unknown build."""
    last = git("log", "-1", "--format=%h", "--", "keyword_lightning")
    out = []
    for path in sorted(folder.glob("*.md")):
        if path.name in NOT_RESULTS:
            continue
        build = recorded_build(path.read_text(encoding="utf-8"))
        if build is None:
            state = "no build"
        elif not last:
            state = "unknown build"  # no git history here to compare with
        else:
            ancestor = is_ancestor(last, build)
            state = {True: "fresh", False: "stale", None: "unknown build"}[ancestor]
        out.append((path, build, state))
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--all", action="store_true", help="every results file, fresh ones too")
    args = ap.parse_args(argv)
    last = git("log", "-1", "--format=%h", "--", "keyword_lightning") or "?"
    print(f"last change to keyword_lightning/: {last}", file=sys.stderr)
    for path, build, state in states():
        if args.all or state != "fresh":
            print(f"{shown(path)}\t{build or '-'}\t{state}")


if __name__ == "__main__":
    main()
