"""The input of ``extract`` split into units; each unit becomes one output shard (``part-NNNNN``).

A unit is a fixed piece of the input: a byte range of a JSONL file (a line belongs to the unit
its first byte falls in), a run of row groups of a Parquet file, or a run of files of one
document each (kind ``txt``: ``.txt`` files and document files, PDF, HTML, DOCX and Markdown,
mixed; ``documents/`` reads the latter). The split depends only on the files' names and sizes (and a Parquet file's row
groups), never on how the last run went, so a re-run with the same arguments makes the same units
and can skip those whose shard is complete (``shards.py``). No document is read to plan: the
driver of a large corpus stays small.
"""

from __future__ import annotations

import glob
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from keyword_lightning.documents import SUFFIXES, DocumentError, require

JSONL = (".jsonl", ".json", ".ndjson")
PARQUET = (".parquet", ".pq")
TEXT = tuple(SUFFIXES)  # .txt, and the document files (.pdf, .html, .docx, .md, ...): one document a file
KINDS = {**dict.fromkeys(JSONL, "jsonl"), **dict.fromkeys(PARQUET, "parquet"), **dict.fromkeys(TEXT, "txt")}
WHAT = ".jsonl, .parquet, .txt or document (.pdf, .html, .docx, .md)"
MB = 2**20


class InputError(ValueError):
    """An input path that is missing, unreadable or holds nothing to read (one line)."""


@dataclass(frozen=True)
class Unit:
    """One piece of the input, and the name of its shard.

    ``path`` is a JSONL or Parquet file, or for ``txt`` the folder that ``files`` are relative to;
    ``label`` is how ids and errors name the file (relative to the input's folder). ``start`` and
    ``end`` are bytes (JSONL) or row groups (Parquet); ``size`` is the unit's bytes, for progress.
    """

    name: str
    kind: str
    path: str
    label: str
    start: int = 0
    end: int = 0
    size: int = 0
    files: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict:
        """A JSON-able dict (``from_dict`` reads it back)."""
        return {**asdict(self), "files": list(self.files)}

    @classmethod
    def from_dict(cls, d: dict) -> Unit:
        """The unit ``to_dict`` wrote."""
        return cls(**{**d, "files": tuple(d.get("files") or ())})


def kind_of(path: Path) -> str | None:
    """``jsonl``, ``parquet`` or ``txt`` (a file of one document: text, PDF, HTML, ...) by its suffix; else None."""
    return KINDS.get(path.suffix.lower())


def _hidden(path: Path, root: Path) -> bool:
    # As Spark, Arrow and Ray do: names starting with "_" or "." are metadata (an output folder's
    # _manifest.json, a half-written .part-*.tmp), never input.
    return any(part.startswith(("_", ".")) for part in path.relative_to(root).parts)


def input_files(source: str, exclude: Path | None = None) -> tuple[Path, list[Path]]:
    """``(root, files)``: the readable input files of a file, a folder (recursively) or a glob pattern, sorted.

    ``root`` is the folder the files' labels are relative to: the folder given, a file's own
    folder, or the part of a pattern before its first wildcard. Files under ``exclude`` (the
    output folder, should it lie inside the input) are not input.
    """
    path = Path(source)
    if glob.has_magic(source):
        fixed = []
        for part in path.parts:
            if glob.has_magic(part):
                break
            fixed.append(part)
        root = Path(*fixed) if fixed else Path(".")
        files = [Path(p) for p in glob.glob(source, recursive=True)]
        files = [p for p in files if p.is_file() and kind_of(p) and not _hidden(p, root)]
    elif path.is_dir():
        root = path
        try:
            files = [p for p in path.rglob("*") if p.is_file() and kind_of(p) and not _hidden(p, root)]
        except OSError as err:
            raise InputError(f"{source}: cannot list the folder ({err.strerror or err})") from None
    elif path.is_file():
        if not kind_of(path):
            raise InputError(f"{source}: not a {WHAT} file")
        root, files = path.parent, [path]
    else:
        raise InputError(f"{source}: no such file or folder")
    if exclude is not None:
        files = [p for p in files if not p.resolve().is_relative_to(exclude)]
    if not files:
        raise InputError(f"{source}: no {WHAT} files")
    if not os.access(root, os.R_OK | os.X_OK):
        raise InputError(f"{source}: permission denied")
    unreadable = [p for p in files if not os.access(p, os.R_OK)]
    if unreadable:
        raise InputError(f"{unreadable[0]}: permission denied ({len(unreadable)} unreadable input file(s))")
    try:  # a folder of PDFs without the PDF reader fails here, not as one error per file
        require(SUFFIXES[p.suffix.lower()] for p in files if p.suffix.lower() in SUFFIXES)
    except DocumentError as err:
        raise InputError(f"{source}: {err}") from None
    return root.resolve(), sorted(p.resolve() for p in files)


def parquet_row_groups(path: Path) -> list[int]:
    """The uncompressed bytes of each row group of a Parquet file (its footer only is read)."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(f"{path}: Parquet needs pyarrow (pip install 'keyword-lightning[ray]')") from None
    try:
        meta = pq.ParquetFile(path).metadata
    except Exception as err:  # noqa: BLE001 - pyarrow's errors are many kinds: one line naming the file
        raise InputError(f"{path}: not a readable Parquet file ({type(err).__name__})") from None
    return [meta.row_group(i).total_byte_size for i in range(meta.num_row_groups)]


def plan_units(source: str, shard_bytes: int, exclude: Path | None = None) -> list[Unit]:
    """The units of ``source``, in a fixed order, each of about ``shard_bytes`` of input, named ``part-00000`` on."""
    root, files = input_files(source, exclude)
    pieces: list[dict] = []
    texts: list[Path] = []
    text_bytes = [0]

    def close_texts() -> None:
        if texts:
            rel = tuple(p.relative_to(root).as_posix() for p in texts)
            label = rel[0] if len(rel) == 1 else f"{rel[0]} .. {rel[-1]}"
            pieces.append({"kind": "txt", "path": str(root), "label": label, "size": text_bytes[0], "files": rel})
            texts.clear()
            text_bytes[0] = 0

    for path in files:
        kind, label = kind_of(path), path.relative_to(root).as_posix()
        if kind != "txt":
            close_texts()
        if kind == "txt":
            texts.append(path)
            text_bytes[0] += path.stat().st_size
            if text_bytes[0] >= shard_bytes:
                close_texts()
        elif kind == "jsonl":
            size = path.stat().st_size
            for start in range(0, size, shard_bytes):  # an empty file has no unit
                end = min(start + shard_bytes, size)
                pieces.append({"kind": kind, "path": str(path), "label": label, "start": start, "end": end,
                               "size": end - start})  # fmt: skip
        else:
            groups, first, size = parquet_row_groups(path), 0, 0
            for i, group_bytes in enumerate(groups):
                size += group_bytes
                if size >= shard_bytes or i == len(groups) - 1:
                    pieces.append({"kind": kind, "path": str(path), "label": label, "start": first, "end": i + 1,
                                   "size": size})  # fmt: skip
                    first, size = i + 1, 0
    close_texts()
    width = max(5, len(str(len(pieces) - 1)))
    return [Unit(name=f"part-{i:0{width}d}", **piece) for i, piece in enumerate(pieces)]
