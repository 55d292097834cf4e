"""The reading order of a page's text boxes: columns found from where the text is, not from drawing order.

A PDF may draw a two-column page line by line across both columns, and pdfminer's own box
ordering mixes columns on ordinary papers (measured: benchmarks/results/pdf-readers.md), so the
boxes are put in order here. Gutters are the runs of the page's width (at least ``MIN_GUTTER``
points) that the text covers least (``gutters``). A box inside one column is a column
box; a box across or in a gutter (a title, a full-width abstract, a centred page number) spans. The
spanning boxes, top to bottom, cut the page into sections; each section is read column by
column, each column top to bottom. A page without a gutter is read top to bottom.
"""

from __future__ import annotations

from typing import NamedTuple

MIN_GUTTER = 4.0  # points: narrower gaps are spaces between words, not between columns
SPARSE = 0.25


class Box(NamedTuple):
    """A text box: its bounds in PDF points (``y`` grows upwards) and its lines."""

    x0: float
    y0: float
    x1: float
    y1: float
    lines: list[str]


def gutters(boxes: list[Box]) -> list[tuple[float, float]]:
    """The x-intervals between columns (left to right), from the boxes' height over each point of x.

    A point is in a gutter when the text over it is at most ``SPARSE`` of the best-covered
    point on its left and of the best-covered point on its right (a short last column still
    stands beside a long one); a gutter is a run of such points at least ``MIN_GUTTER`` wide.
    """
    if len(boxes) < 2:
        return []
    left = int(min(b.x0 for b in boxes))
    cover = [0.0] * (int(max(b.x1 for b in boxes)) + 1 - left)
    for b in boxes:
        for x in range(int(b.x0) - left, int(b.x1) - left):
            cover[x] += b.y1 - b.y0
    before, after = [0.0] * len(cover), [0.0] * len(cover)
    for x in range(1, len(cover)):
        before[x] = max(before[x - 1], cover[x - 1])
    for x in range(len(cover) - 2, -1, -1):
        after[x] = max(after[x + 1], cover[x + 1])
    sparse = [c <= SPARSE * min(b, a) for c, b, a in zip(cover, before, after)]
    found, start = [], None
    for x, gap in enumerate([*sparse, False]):
        if gap and start is None:
            start = x
        elif not gap and start is not None:
            if x - start >= MIN_GUTTER:
                found.append((left + start, left + x))
            start = None
    return found


def column_of(box: Box, cuts: list[tuple[float, float]]) -> int | None:
    """The column ``box`` lies in (0 leftmost), or None when it reaches across or into a gutter.

    A column reaches a quarter of the way into the gutters beside it: a line may end a little
    past where most lines of its column end, and a page number centred in the gutter spans.
    """
    edges = [(-float("inf"), float("inf"))]
    for start, end in cuts:
        reach = (end - start) / 4
        edges[-1] = (edges[-1][0], start + reach)
        edges.append((end - reach, float("inf")))
    return next((c for c, (left, right) in enumerate(edges) if left <= box.x0 and box.x1 <= right), None)


def reading_order(boxes: list[Box]) -> list[Box]:
    """``boxes`` in the order a reader reads them (sections between spanning boxes, column by column)."""
    cuts = gutters(boxes)
    top_down = sorted(boxes, key=lambda b: (-b.y1, b.x0))
    if not cuts:
        return top_down
    spanning = [b for b in top_down if column_of(b, cuts) is None]
    ordered: list[Box] = []
    above = float("inf")
    for limit in [*(b.y1 for b in spanning), float("-inf")]:
        section = [b for b in top_down if column_of(b, cuts) is not None and limit < (b.y0 + b.y1) / 2 <= above]
        ordered += sorted(section, key=lambda b: (column_of(b, cuts), -b.y1, b.x0))
        if limit != float("-inf"):
            ordered.append(next(b for b in spanning if b.y1 == limit and b not in ordered))
        above = limit
    return ordered
