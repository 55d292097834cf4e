"""Labelled raw texts, tagged by a model, as a ranker is fitted and chosen on them (``scoring/choice.py``).

``fit-ranker`` and the transfer benchmark read documents with gold keyphrases
(``data.readers.read_labelled_texts``), tag them as ``predict`` tags raw text, and hand each
document to the rankers in both forms: the tagger's phrases and every candidate of the text.
A gold keyphrase's key is the Porter stems of its tokens, split by the model's tokenizer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from keyword_lightning.data.inputs import documents_from_texts
from keyword_lightning.scoring.candidates import document_candidates
from keyword_lightning.scoring.choice import LabelledDocument
from keyword_lightning.scoring.keyphrases import phrase_key
from keyword_lightning.scoring.phrase_ranker import TaggedDocument
from keyword_lightning.scoring.ranking import phrase_score, stem
from keyword_lightning.tagging.schemes import sbmeo_to_spans
from keyword_lightning.text.tokenizers import get_tokenizer


def gold_keys(phrases: Sequence[str], tokenizer: str = "ptb") -> frozenset[tuple[str, ...]]:
    """The keys of gold keyphrases: each one's tokens (split by ``tokenizer``), Porter-stemmed."""
    split = get_tokenizer(tokenizer)
    keys = (tuple(stem(t) for t, _, _ in split(p)) for p in phrases)
    return frozenset(k for k in keys if k)


def labelled_documents(
    extractor: Any, records: Sequence[dict], group: str, common: dict[str, int] | None = None
) -> list[LabelledDocument]:
    """``records`` (``{"id", "text", "keyphrases"}``) of one corpus ``group``, tagged by ``extractor``.

    ``common``: a lowercased word's rank in a general frequency list (``candidates.py``), or None.
    """
    docs = documents_from_texts([r["text"] for r in records], [r["id"] for r in records], extractor.tokenizer)
    tags, probs, keyness = extractor.tag_tokens(docs)
    out = []
    for record, doc, t, p, k in zip(records, docs, tags, probs, keyness):
        spans = sbmeo_to_spans(t)
        gold = gold_keys(record["keyphrases"], extractor.tokenizer)
        found = [(a, b, phrase_score(p[a : b + 1])) for a, b in spans]
        keys = [phrase_key(doc.tokens[a : b + 1]) for a, b in spans]
        starts, lengths = [a for a, _ in spans], [b - a + 1 for a, b in spans]
        tagged = TaggedDocument(keys, [s for _, _, s in found], starts, lengths, len(doc.tokens), list(gold))
        size = len(common) if common else 1
        candidates = document_candidates(doc.tokens, doc.spans, doc.text, k, found, common, size)
        out.append(LabelledDocument(group, tagged, candidates, gold))
    return out
