"""PDF text: pypdf against pdfminer.six, on multi-page papers written here from known text; quality and speed.

    python -m benchmarks.pdf_readers                  # 12 papers from Inspec test abstracts

Each paper (``benchmarks/make_files.py``'s ``write_pdf``: A4, a running header and a page number
on every page, words hyphenated at line ends) holds 24 to 40 Inspec test abstracts as paragraphs,
laid out in 1, 2 or 3 columns, drawn column after column or line by line across the columns (as
some producers draw). Every reader's page texts go through the same ``documents/pages.py``
(headers, page numbers and hyphens out), so the rows differ only in what the library gives:

- ``pypdf``: ``page.extract_text()`` (drawing order), each page one block;
- ``pdfminer.six, its own order``: pdfminer's text boxes in its layout order (``boxes_flow`` 0.5);
- ``pdfminer.six + reading_order``: what ``keyword_lightning/documents/pdf.py`` does (pdfminer's
  boxes, ordered by the page's own columns).

Quality: the share of papers read back exactly (up to whitespace) and the mean word-sequence
similarity to the known text (difflib's ratio over words, 1.0 = the same words in the same
order). Speed: pages/s over all papers, one process, one thread. Writes
benchmarks/results/pdf-readers.md.
"""

from __future__ import annotations

import argparse
import difflib
import io
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import RESULTS, SHARED, command, header, write_results
from benchmarks.corpora import raw_texts
from benchmarks.gold import read_conll_gold
from benchmarks.make_files import known_text, papers, write_pdf
from keyword_lightning.documents import read_bytes
from keyword_lightning.documents.pages import join_pages

LAYOUTS = [(1, False), (2, False), (2, True), (3, False), (3, True), (2, False)]


def with_pypdf(data: bytes) -> list:
    from pypdf import PdfReader

    return [[page.extract_text().splitlines()] for page in PdfReader(io.BytesIO(data)).pages]


def with_pdfminer_order(data: bytes) -> list:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTTextBox, LTTextLine

    pages = extract_pages(io.BytesIO(data), laparams=LAParams())
    return [
        [
            [line.get_text() for line in box if isinstance(line, LTTextLine)]
            for box in page
            if isinstance(box, LTTextBox)
        ]
        for page in pages
    ]


READERS = {
    "pypdf": lambda data: join_pages(with_pypdf(data))[0],
    "pdfminer.six, its own order": lambda data: join_pages(with_pdfminer_order(data))[0],
    "pdfminer.six + reading_order (chosen)": lambda data: read_bytes(data, "paper.pdf").text,
}


def similarity(known: str, text: str) -> float:
    return difflib.SequenceMatcher(None, known.split(), text.split(), autojunk=False).ratio()


def measure(files: list[tuple[Path, str, int]]) -> dict[str, dict]:
    """For each reader: exact papers, mean similarity, pages/s."""
    out = {}
    for name, read in READERS.items():
        exact, sims, seconds, pages = 0, [], 0.0, 0
        for path, known, n_pages in files:
            data = path.read_bytes()
            start = time.perf_counter()
            text = read(data)
            seconds += time.perf_counter() - start
            pages += n_pages
            flat = " ".join(text.split())
            exact += flat == known
            sims.append(similarity(known, flat))
        out[name] = {
            "exact": exact,
            "similarity": sum(sims) / len(sims),
            "pages_per_s": pages / seconds,
            "worst": min(sims),
        }
        print(name, out[name], flush=True)
    return out


def build(folder: Path, texts: list[str], count: int) -> list[tuple[Path, str, int]]:
    files = []
    for i in range(count):
        ((title, paras),) = papers(texts, 1, 24 + 16 * (i % 2), seed=i)
        columns, interleave = LAYOUTS[i % len(LAYOUTS)]
        path = write_pdf(folder / f"paper-{i}.pdf", title, paras, columns=columns, interleave=interleave)
        files.append((path, known_text(title, paras), len(read_bytes(path.read_bytes(), path.name).page_starts)))
    return files


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--papers", type=int, default=12)
    ap.add_argument("--inspec", type=Path, default=SHARED / "inspec")
    ap.add_argument("--out", type=Path, default=RESULTS / "pdf-readers.md")
    args = ap.parse_args(argv)
    texts, _ = raw_texts(read_conll_gold(args.inspec / "test.txt")[0])
    work = Path(tempfile.mkdtemp(prefix="kw-pdf-"))
    files = build(work, texts, args.papers)
    results = measure(files)
    pages = sum(n for _, _, n in files)
    lines = [
        "# PDF text: pypdf against pdfminer.six",
        "",
        header(command("pdf_readers", argv if argv is not None else sys.argv[1:])),
        "",
        f"{len(files)} papers written by `benchmarks/make_files.py` ({pages} A4 pages in all; 24 to 40 Inspec test "
        "abstracts each; 1, 2 or 3 columns, drawn column after column or line by line across the columns; a running "
        "header, page numbers, hyphens at line ends), read back by each reader and `documents/pages.py`. exact: "
        "papers read back word for word; similarity: difflib's ratio over words against the known text, mean and "
        "worst paper; pages/s: one process, one thread.",
        "",
        "| reader | exact | similarity (mean) | similarity (worst) | pages/s |",
        "|---|---:|---:|---:|---:|",
        *(
            f"| {name} | {r['exact']}/{len(files)} | {r['similarity']:.3f} | {r['worst']:.3f} "
            f"| {r['pages_per_s']:.1f} |"
            for name, r in results.items()
        ),
        "",
        "pypdf reads a page in the order it is drawn: a page drawn line by line across its columns comes out "
        "with the columns' lines interleaved. pdfminer.six's own box order mixes the columns of ordinary papers "
        "too. pdfminer.six's boxes put in order by the page's own columns (`documents/reading_order.py`) read "
        "every layout back; a paper not read back word for word differs by a word cut at a line's end that "
        "cannot be told apart (`broad-` / `band` where the paper writes both broadband and broad-band). pypdf "
        "is faster, but a text read in the wrong order has no right keyphrases, so "
        "`keyword_lightning/documents/pdf.py` uses pdfminer.six.",
    ]
    write_results(args.out, "\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
