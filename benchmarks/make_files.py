"""Document files built from a known text, for the tests and benchmarks of ``keyword_lightning/documents``.

Each writer takes a title and paragraphs and writes a file whose text is known exactly:
``write_pdf`` (A4, one or two columns, a running header and a page number on every page, words
hyphenated at line ends; the columns drawn one after the other or line by line across the page),
``write_html`` (an article between navigation, a menu, scripts, styles, an aside and a footer),
``write_docx`` (a Title paragraph, headings, paragraphs, a table, a running header part),
``write_markdown``. ``known_text(title, paragraphs)`` is what a reader should give back, up to
whitespace. ``write_bad_files`` writes one file of each kind of bad file, with a word each of
the error it should get. Only the writers' libraries (fpdf2, python-docx) are needed.
"""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

MB = 2**20
HEADER = "Journal of Synthetic Results"


def latin1(text: str) -> str:
    """``text`` in the characters fpdf2's core fonts have (others become ``?``)."""
    return text.encode("latin-1", "replace").decode("latin-1")


def known_text(title: str, paragraphs: list[str]) -> str:
    """The text every writer's file holds, whitespace collapsed."""
    return " ".join(" ".join([title, *paragraphs]).split())


def wrap(width_of, text: str, width: float, hyphenate: bool = True) -> list[str]:
    """``text`` in lines of at most ``width`` (``width_of(str)``); long plain words are cut with a hyphen."""
    lines, line = [], ""
    for word in text.split():
        joined = f"{line} {word}".strip()
        if width_of(joined) <= width:
            line = joined
            continue
        cut = 0
        if hyphenate and word.isalpha() and len(word) >= 8:
            cut = next((c for c in range(len(word) - 4, 3, -1) if width_of(f"{line} {word[:c]}-") <= width), 0)
        if cut:
            lines.append(f"{line} {word[:cut]}-".strip())
            line = word[cut:]
        else:
            lines.append(line)
            line = word
    return [*lines, line] if line else lines


def write_pdf(path: Path, title: str, paragraphs: list[str], columns: int = 2, interleave: bool = False,
              password: str | None = None, image_only: bool = False) -> Path:  # fmt: skip
    """A paper: title, then paragraphs in ``columns``; a running header and the page number on each page.

    ``interleave`` draws the lines across the columns in turn (as some producers do) instead of
    column after column; ``password`` encrypts it (RC4, a user password); ``image_only`` draws
    each page as an image, with no text layer (a scan).
    """
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="pt")
    pdf.set_auto_page_break(False)
    pdf.set_title(title)
    margin, gap, step = 50, 20, 12
    col_width = (pdf.w - 2 * margin - gap * (columns - 1)) / columns
    pdf.set_font("Helvetica", size=10)
    lines = wrap(pdf.get_string_width, latin1(title), col_width, hyphenate=False) + [""]
    for paragraph in paragraphs:
        lines += wrap(pdf.get_string_width, latin1(paragraph), col_width) + [""]
    per_column = int((pdf.h - 2 * margin - 30) // step)
    page = 0
    while lines:
        page += 1
        pdf.add_page()
        if image_only:
            pdf.image(scan_image(page), x=margin, y=margin, w=pdf.w - 2 * margin)
            lines = lines[columns * per_column :]
            continue
        pdf.set_font("Helvetica", size=8)
        pdf.text(margin, margin - 15, f"{latin1(title)[:60]} - {HEADER}")
        pdf.text(pdf.w / 2, pdf.h - margin + 20, str(page))
        pdf.set_font("Helvetica", size=10)
        cols = [lines[i * per_column : (i + 1) * per_column] for i in range(columns)]
        lines = lines[columns * per_column :]
        order = [(c, r) for r in range(per_column) for c in range(columns)] if interleave else [
            (c, r) for c in range(columns) for r in range(per_column)]  # fmt: skip
        for c, r in order:
            if r < len(cols[c]) and cols[c][r]:
                pdf.text(margin + c * (col_width + gap), margin + 10 + r * step, cols[c][r])
    if password:
        pdf.set_encryption(owner_password=password + "-owner", user_password=password)
    pdf.output(str(path))
    return path


def scan_image(seed: int):
    """A grey page of noise, as a scanner gives (Pillow)."""
    from PIL import Image

    rng = random.Random(seed)
    image = Image.new("L", (120, 160), 255)
    image.putdata([rng.choice((0, 255, 255, 255)) for _ in range(120 * 160)])
    return image


def write_html(path: Path, title: str, paragraphs: list[str]) -> Path:
    """The article (an ``h1`` and paragraphs) between the page's navigation, scripts, aside and footer."""
    import html

    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    path.write_text(
        f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<script>var tracker = "graph theory optimization neural networks"; window.dataLayer = [];</script>
<style>nav {{ display: flex; }} .menu a {{ color: red; }}</style></head>
<body><nav class="menu"><ul><li><a href="/">Home</a></li><li><a href="/archive">Archive</a></li>
<li><a href="/subscribe">Subscribe to our newsletter</a></li><li><a href="/login">Log in</a></li></ul></nav>
<div class="cookie-banner">We use cookies to improve your experience. Accept all cookies</div>
<main><article><h1>{html.escape(title)}</h1>
{body}
</article></main>
<aside><h3>Most read</h3><ul><li><a href="/a">Ten gadgets you need this winter</a></li></ul></aside>
<footer><p>Copyright 2026 Example Media. All rights reserved. Privacy policy. Terms of use.</p></footer>
<script>console.log("analytics loaded");</script></body></html>
""",
        encoding="utf-8",
    )
    return path


def write_docx(path: Path, title: str, paragraphs: list[str], table: list[list[str]] | None = None) -> Path:
    """A Word document: a Title paragraph, the paragraphs, then ``table``; a running header that is not body text."""
    import docx

    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = HEADER
    document.add_paragraph(title, style="Title")
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for row, values in zip(grid.rows, table):
            for cell, value in zip(row.cells, values):
                cell.text = value
    document.save(str(path))
    return path


def write_markdown(path: Path, title: str, paragraphs: list[str]) -> Path:
    """``# title``, the paragraphs (the first with emphasis and a link), and a code block that is not prose."""
    first, *rest = paragraphs
    words = first.split()
    first = (
        " ".join([f"*{words[0]}*", *words[1:-1], f"[{words[-1]}](https://example.org)"]) if len(words) > 2 else first
    )
    body = "\n\n".join([first, *rest])
    path.write_text(f"---\ntitle: {title}\n---\n\n# {title}\n\n{body}\n\n```python\nprint('not prose')\n```\n")
    return path


def zip_bomb(path: Path, unpacked: int = 256 * MB) -> Path:
    """A zip of ``unpacked`` bytes of zeros (a few hundred kB on disk) named like a Word document."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * MB
            for _ in range(unpacked // MB):
                member.write(chunk)
    return path


def write_bad_files(folder: Path, paragraphs: list[str]) -> dict[str, str]:
    """One file of each kind of bad file in ``folder``; each file's name and a word of its expected error."""
    folder.mkdir(parents=True, exist_ok=True)
    pdf = io.BytesIO()
    write_pdf(folder / "whole.pdf", "Whole", paragraphs)
    pdf.write((folder / "whole.pdf").read_bytes())
    (folder / "whole.pdf").unlink()
    (folder / "truncated.pdf").write_bytes(pdf.getvalue()[: len(pdf.getvalue()) * 2 // 3])
    write_pdf(folder / "encrypted.pdf", "Secret", paragraphs, password="secret")
    write_pdf(folder / "scanned.pdf", "Scanned", paragraphs[:2], image_only=True)
    zip_bomb(folder / "bomb.docx")
    with open(folder / "huge.pdf", "wb") as fh:  # 500 MB, sparse: costs no disk
        fh.truncate(500 * MB)
    (folder / "page.pdf").write_text("<!doctype html><html><body><p>Please log in</p></body></html>")
    (folder / "legacy.docx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    (folder / "binary.md").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    return {
        "truncated.pdf": "truncated",
        "encrypted.pdf": "encrypted",
        "scanned.pdf": "no text layer",
        "bomb.docx": "zip bomb",
        "huge.pdf": "over the limit",
        "page.pdf": "not a PDF",
        "legacy.docx": "not a Word .docx",
        "binary.md": "not text",
    }


def papers(texts: list[str], count: int, per_paper: int, seed: int = 0) -> list[tuple[str, list[str]]]:
    """``count`` papers of ``per_paper`` paragraphs drawn from ``texts`` (e.g. Inspec abstracts), each with a title.

    A paper's title is the first sentence of its first paragraph, at most 12 words (an Inspec
    abstract starts with its own title); the paragraphs are latin-1 only (fpdf2's core fonts).
    """
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        chosen = [latin1(t) for t in rng.sample(texts, min(per_paper, len(texts)))]
        title = " ".join(chosen[0].split(" . ")[0].split()[:12]).rstrip(" .")
        out.append((title, chosen))
    return out
