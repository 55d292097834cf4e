"""HTML: the page's main text and title through trafilatura (navigation, scripts, styles, boilerplate left out)."""

from __future__ import annotations

from keyword_lightning.documents.source import EXTRA, DocumentError, Limits, MissingExtra, SourceText


def read(data: bytes, name: str, limits: Limits) -> SourceText:
    """The main text of an HTML page (its encoding as the page declares or as detected), title first.

    The title (``<title>``, Open Graph, or the first heading, as trafilatura finds it) leads the
    text when the main text does not already start with it: a title holds keyphrases.
    """
    try:
        import trafilatura
    except ImportError:
        raise MissingExtra(f"{name}: reading HTML needs trafilatura ({EXTRA})") from None
    found = trafilatura.bare_extraction(
        data, with_metadata=True, include_comments=False, include_tables=True, include_images=False,
        include_links=False, deduplicate=False,
    )  # fmt: skip
    text = (found.text if found is not None else "") or ""
    title = " ".join((found.title or "").split()) if found is not None else ""
    if not text.strip():
        raise DocumentError(f"{name}: no main text found in the HTML page")
    if title and not " ".join(text.split()).startswith(title):
        text = f"{title}\n\n{text}"
    return SourceText(text, name, "html", title or None)
