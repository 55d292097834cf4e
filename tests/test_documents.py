"""documents/: files built from a known text read back to that text (up to whitespace); bad files refused in one line.

The files are written by benchmarks/make_files.py (fpdf2, python-docx) at test time: nothing binary is checked in.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from benchmarks.make_files import (
    HEADER,
    known_text,
    write_bad_files,
    write_docx,
    write_html,
    write_markdown,
    write_pdf,
)
from keyword_lightning.documents import (
    DocumentError,
    Limits,
    MissingExtra,
    document_files,
    read_bytes,
    read_document,
    require,
)
from keyword_lightning.documents.kinds import detect, sniff
from keyword_lightning.documents.pages import join_pages

WORDS = "neural networks learn keyphrase extraction graph theory optimization survey of in the a we study".split()
TITLE = "Graph theory in optimization"


def paragraphs(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choices(WORDS + ["representation", "approximation"], k=70)).capitalize() + "."
            for _ in range(n)]  # fmt: skip


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("interleave", [False, True], ids=["column-after-column", "line-by-line"])
def test_a_two_column_pdf_with_running_headers_reads_back_to_its_text_with_pages(tmp_path, interleave):
    paras = paragraphs(30)
    path = write_pdf(tmp_path / "paper.pdf", TITLE, paras, columns=2, interleave=interleave)
    source = read_document(path)
    assert flat(source.text) == known_text(TITLE, paras)  # headers, page numbers and line-end hyphens gone
    assert HEADER not in source.text
    assert source.kind == "pdf" and source.title == TITLE and source.pages >= 3
    assert source.name == str(path)
    assert source.page_of(0) == 1 and source.page_of(len(source.text) - 1) == source.pages
    last = source.text.rindex(paras[-1][:40])  # the last paragraph starts on the last page or the one before
    assert source.page_of(last) in (source.pages - 1, source.pages)
    assert [source.page_of(s) for s in source.page_starts] == list(range(1, source.pages + 1))


def test_html_keeps_the_article_and_its_title_without_navigation_or_scripts(tmp_path):
    paras = paragraphs(3, seed=1)
    source = read_document(write_html(tmp_path / "page.html", TITLE, paras))
    assert flat(source.text) == known_text(TITLE, paras)
    assert source.title == TITLE and source.kind == "html" and source.pages is None and source.page_of(5) is None
    for boilerplate in ("cookies", "tracker", "Subscribe", "Copyright", "gadgets", "analytics"):
        assert boilerplate not in source.text


def test_docx_reads_title_paragraphs_and_table_but_not_the_running_header(tmp_path):
    paras = paragraphs(3, seed=2)
    table = [["graph theory", "optimization"], ["neural networks", "keyphrase extraction"]]
    source = read_document(write_docx(tmp_path / "report.docx", TITLE, paras, table))
    assert flat(source.text) == known_text(TITLE, paras + [" ".join(cell for row in table for cell in row)])
    assert source.title == TITLE and HEADER not in source.text


def test_markdown_without_markup_front_matter_or_code(tmp_path):
    paras = paragraphs(3, seed=3)
    source = read_document(write_markdown(tmp_path / "notes.md", TITLE, paras))
    assert flat(source.text) == known_text(TITLE, paras)
    assert source.title == TITLE and "not prose" not in source.text and "example.org" not in source.text


def test_plain_text_is_read_as_is_and_an_unknown_suffix_by_its_content(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"\xef\xbb\xbfgraph theory\n")
    assert read_document(tmp_path / "a.txt").text == "graph theory\n"
    pdf = write_pdf(tmp_path / "paper.pdf", TITLE, paragraphs(2))
    assert read_bytes(pdf.read_bytes(), "upload").kind == "pdf"  # no suffix: the content says PDF
    assert detect("x", b"<!DOCTYPE html><html>") == "html" and detect("x", b"plain words") == "text"
    assert sniff(b"\x00\x01\x02" * 10) == "binary"


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("bad")
    return folder, write_bad_files(folder, paragraphs(6))


@pytest.mark.parametrize(
    "name",
    ["truncated.pdf", "encrypted.pdf", "scanned.pdf", "bomb.docx", "huge.pdf", "page.pdf", "legacy.docx", "binary.md"],
)
def test_each_bad_file_is_one_line_naming_the_file_and_why(bad_files, name):
    folder, words = bad_files
    with pytest.raises(DocumentError) as caught:
        read_document(folder / name)
    message = str(caught.value)
    assert message.startswith(f"{folder / name}: ") and words[name] in message and "\n" not in message


def test_limits_on_pages_and_bytes(tmp_path):
    pdf = write_pdf(tmp_path / "paper.pdf", TITLE, paragraphs(12))
    with pytest.raises(DocumentError, match="2 pages, over the limit of 1 pages"):
        read_document(pdf, Limits(max_pages=1))
    with pytest.raises(DocumentError, match=r"3,\d{3} bytes, over the limit of 0.0009"):
        read_document(pdf, Limits(max_bytes=1000))
    (tmp_path / "empty.md").write_bytes(b"")
    with pytest.raises(DocumentError, match="empty file"):
        read_document(tmp_path / "empty.md")
    (tmp_path / "blank.html").write_text("<html><body><script>x = 1</script></body></html>")
    with pytest.raises(DocumentError, match="no main text|no text"):
        read_document(tmp_path / "blank.html")


def test_a_missing_library_names_the_extra(monkeypatch, tmp_path):
    pdf = write_pdf(tmp_path / "paper.pdf", TITLE, paragraphs(2))
    monkeypatch.setitem(sys.modules, "pdfminer.converter", None)  # as if pdfminer.six were not installed
    with pytest.raises(
        MissingExtra, match=r"paper.pdf: reading PDF needs pdfminer.six \(pip install 'keyword-lightning\[files\]'\)"
    ):
        read_document(pdf)
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(MissingExtra, match=r"reading HTML pages needs trafilatura"):
        require(["text", "html"])
    require(["text"])  # plain text needs nothing


def test_joining_pages_drops_repeated_headers_and_page_numbers_and_joins_hyphens():
    pages = [
        [["Running Title 2026"], ["The optimiza-", "tion of two-", "head networks"], ["1"]],
        [["Running Title 2026"], ["uses a two-head net-", "work."], ["- 2 -"]],
        [],
        [["Running Title 2026"], ["Page 4 of 4"], ["End."]],
    ]
    text, starts = join_pages(pages)
    assert text == "The optimization of two-head networks\n\nuses a two-head network.\n\nEnd."
    assert starts == (0, text.index("uses"), text.index("\n\nEnd."), text.index("End."))


def test_document_files_expands_folders_and_keeps_named_files(tmp_path):
    (tmp_path / "docs" / "sub").mkdir(parents=True)
    for name in ["b.pdf", "a.md", "sub/c.html", "notes.json", ".hidden.pdf", "_meta.txt"]:
        (tmp_path / "docs" / name).write_text("x")
    (tmp_path / "paper").write_text("x")
    found = document_files([tmp_path / "docs", tmp_path / "paper", tmp_path / "docs" / "a.md"])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "docs/a.md",
        "docs/b.pdf",
        "docs/sub/c.html",
        "paper",
    ]
    with pytest.raises(DocumentError, match="missing.pdf: no such file or folder"):
        document_files([tmp_path / "missing.pdf"])


def test_reading_order_reads_columns_below_a_full_width_abstract_and_a_gutter_page_number_last():
    from keyword_lightning.documents.reading_order import Box, reading_order

    boxes = [
        Box(300, 100, 540, 700, ["right column"]),
        Box(290, 40, 300, 50, ["7"]),  # the page number, in the gutter
        Box(50, 100, 285, 700, ["left column"]),
        Box(50, 720, 540, 800, ["a full-width abstract"]),
        Box(50, 810, 540, 830, ["Title"]),
    ]
    order = [b.lines[0] for b in reading_order(boxes)]
    assert order == ["Title", "a full-width abstract", "left column", "right column", "7"]
