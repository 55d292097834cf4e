"""A paged document's lines joined into one text to tag, keeping each page's start (pure: no PDF library).

What a PDF reader hands over is pages of blocks of lines, as laid out. Left as they are, three
things of the layout become "keyphrases" or break real ones:

- **running headers and footers** (a journal's name, a short title, a page number on every
  page): a line among a page's first or last two lines, or a block of one line, whose text
  with its digits masked recurs in those places on at least half of the pages (and on two or
  more) is dropped, and so is a bare page number in those places (``12``, ``- 12 -``,
  ``Page 3 of 9``, ``xii``);
- **hyphens at line ends** (``optimiza-`` / ``tion``): the word is joined as the document
  spells it elsewhere (``two-`` / ``head`` stays ``two-head`` when ``two-head`` occurs within a
  line), else whole when the next line goes on in lower case, hyphenated before a capital;
- **ligatures and soft hyphens** (``ﬁ``, U+00AD): spelled out and removed.

Lines of a block are joined by a space, blocks by a blank line.
"""

from __future__ import annotations

import math
import re
from collections import Counter

Page = list[list[str]]  # blocks of lines
LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st", "\u00ad": ""})
PAGE_NUMBER = re.compile(
    r"^(?:page\s+)?(?:\d{1,4}|[ivxlcdm]{1,7})(?:\s*(?:of|/)\s*\d{1,4})?$|^[-–—]\s*\d{1,4}\s*[-–—]$", re.I
)
HYPHENATED_END = re.compile(r"([^\W\d_]+)-$")  # a word cut at the line's end: letters, then the hyphen
WORD_START = re.compile(r"^([^\W\d_]+)")
SPELLED = re.compile(r"\b[^\W\d_]+(?:-[^\W\d_]+)*\b")  # words, hyphenated or not
EDGE = 2  # lines at each end of a page that may be a running header or footer


def furniture_key(line: str) -> str:
    """A line as running headers compare: lower case, digits masked, spaces collapsed."""
    return re.sub(r"\d+", "#", " ".join(line.lower().split()))


def candidates(page: Page) -> set[tuple[int, int]]:
    """``(block, line)`` positions on ``page`` where a header or footer may stand."""
    flat = [(b, i) for b, block in enumerate(page) for i in range(len(block))]
    edge = set(flat[:EDGE] + flat[-EDGE:])
    return edge | {(b, 0) for b, block in enumerate(page) if len(block) == 1}


def drop_furniture(pages: list[Page]) -> list[Page]:
    """``pages`` without their running headers, footers and bare page numbers."""
    places = [candidates(page) for page in pages]
    seen: Counter[str] = Counter()
    for page, where in zip(pages, places):
        seen.update({furniture_key(page[b][i]) for b, i in where if page[b][i].strip()})
    need = max(2, math.ceil(len(pages) / 2))
    repeated = {key for key, n in seen.items() if n >= need}
    out = []
    for page, where in zip(pages, places):
        kept_page = []
        for b, block in enumerate(page):
            kept = [
                line
                for i, line in enumerate(block)
                if (b, i) not in where
                or not (furniture_key(line) in repeated or PAGE_NUMBER.match(" ".join(line.split())))
            ]
            if any(line.strip() for line in kept):
                kept_page.append(kept)
        out.append(kept_page)
    return out


def separator(previous: str, line: str, new_block: bool, spelled: set[str]) -> tuple[str, bool]:
    """What goes between ``previous`` and ``line``, and whether ``previous`` loses its line-end hyphen.

    A word cut at a line's end (``optimiza-`` / ``tion``) is joined as the document spells it
    elsewhere (``spelled``: its words and hyphenated words, lower case): whole, else hyphenated;
    spelled nowhere, it is whole when it goes on in lower case and keeps its hyphen before a
    capital (``Navier-`` / ``Stokes``).
    """
    cut, start = HYPHENATED_END.search(previous), WORD_START.match(line)
    if not (cut and start):
        return ("\n\n" if new_block else " "), False
    whole, hyphenated = f"{cut.group(1)}{start.group(1)}".lower(), f"{cut.group(1)}-{start.group(1)}".lower()
    if whole in spelled:
        return "", True
    return "", hyphenated not in spelled and line[0].islower()


def join_pages(pages: list[Page]) -> tuple[str, tuple[int, ...]]:
    """One text of ``pages`` (headers dropped, line-end hyphens joined) and each page's start in it."""
    pages = [[[" ".join(line.translate(LIGATURES).split()) for line in block] for block in page] for page in pages]
    pages = drop_furniture(pages)
    spelled = {m.group(0).lower() for page in pages for block in page for line in block
               for m in SPELLED.finditer(line.removesuffix("-"))}  # fmt: skip
    parts: list[str] = []
    length, starts = 0, []
    for page in pages:
        starts.append(length)  # an empty page starts where the next text will
        first_of_page = True
        for block in page:
            for i, line in enumerate(line for line in block if line):
                if parts:
                    sep, unhyphen = separator(parts[-1], line, i == 0, spelled)
                    if unhyphen:
                        parts[-1] = parts[-1][:-1]
                        length -= 1
                    parts.append(sep)
                    length += len(sep)
                if first_of_page:
                    starts[-1], first_of_page = length, False
                parts.append(line)
                length += len(line)
    return "".join(parts), tuple(starts)
