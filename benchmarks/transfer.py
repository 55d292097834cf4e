"""Scoring rankers on genres they were fitted on (cross-fitted) and on genres they never saw.

``labelled(ckpt, genres)``: each genre's dev documents tagged by a checkpoint, as ``fit-ranker``
reads labelled documents (``inference/labelling.py``: the tagger's phrases and every candidate,
GloVe's order as how common a word is). ``crossfitted(kind, docs)``: each genre's F1@10 when every
document is ranked by a ranker of ``kind`` fitted on the other half of every genre (the halves of
``scoring/choice.py``, its threshold for the candidate ranker), so no document ranks itself.
``unseen(ckpt, docs)``: each genre's F1@10 by the ranker a checkpoint holds. Every F1@10 is the
reference scorer's (``genres.f1_at_10``), from the ranked phrases' texts.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from benchmarks.common import SHARED
from benchmarks.genres import GENRES, GLOVE, Ranked, dev, f1_at_10


@lru_cache(maxsize=1)
def common_words() -> list[str]:
    """The candidate ranker's frequency list: GloVe's first 50,000 words, as ``fit-ranker`` reads them."""
    from keyword_lightning.data.embeddings import read_common_words

    return read_common_words(GLOVE, 50000)


def labelled(ckpt: Path, genres: list[str]) -> list:
    """``LabelledDocument``s of each genre's dev split (group: the genre), tagged by ``ckpt``."""
    from keyword_lightning.data.readers import read_labelled_texts
    from keyword_lightning.inference.extractor import KeywordExtractor
    from keyword_lightning.inference.labelling import labelled_documents

    extractor = KeywordExtractor.from_checkpoint(ckpt, threads=1)
    common = {w: i for i, w in enumerate(common_words())}
    docs = []
    for genre in genres:
        docs += labelled_documents(extractor, read_labelled_texts(SHARED / GENRES[genre][1]), genre, common)
    return docs


def texts(ranker, doc) -> list[tuple[str, float]]:
    """A labelled document's phrases as ``ranker`` ranks them, as ``(text, score)`` (the first 20)."""
    from keyword_lightning.scoring.choice import ranked_keys

    text = dict(zip(doc.candidates.keys, doc.candidates.texts))  # every tagged phrase is a candidate too
    return [(text.get(key, " ".join(key)), -float(i)) for i, key in enumerate(ranked_keys(ranker, doc)[:20])]


def scores(rankings: dict[str, Ranked]) -> dict[str, float]:
    """Each genre's F1@10 of its dev documents' rankings (in the dev split's order)."""
    return {genre: f1_at_10(ranked, dev(genre)) for genre, ranked in rankings.items()}


def crossfitted(kind: str, docs: list) -> dict[str, float]:
    """Each genre's F1@10, every document ranked by a ``kind`` ranker fitted on the other half of every genre.

    The folds and the candidate ranker's threshold are ``scoring.choice.cross_fitted``'s, as
    ``fit-ranker`` chooses them; a kind that cannot be fitted on a half scores nan.
    """
    from keyword_lightning.scoring.choice import cross_fitted

    figures, _, folds = cross_fitted(kind, docs, common_words())
    if not folds:
        return {g: figures[g] for g in dict.fromkeys(d.group for d in docs)}
    out = {id(d): texts(ranker, d) for ranker, held in folds for d in held}
    return scores({g: [out[id(d)] for d in docs if d.group == g] for g in dict.fromkeys(d.group for d in docs)})


def unseen(ckpt: Path, docs: list) -> dict[str, float]:
    """Each genre's F1@10 by the ranker ``ckpt`` holds (fitted on other genres)."""
    from keyword_lightning.inference.extractor import KeywordExtractor

    ranker = KeywordExtractor.from_checkpoint(ckpt, threads=1).ranker
    return scores({g: [texts(ranker, d) for d in docs if d.group == g] for g in dict.fromkeys(d.group for d in docs)})
