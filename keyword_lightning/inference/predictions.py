"""Prediction records: tags joined back into documents, keyphrases with offsets and scores.

Also their renderings (JSONL, a highlighted table). Used by the prediction writer, the extractor
and any other caller; needs no Lightning and no model.

A record: ``{"id", "tokens", "tags", "keyphrases": [{"text", "start_token", "end_token",
"start_char", "end_char", "score"}], "ranked": [{"text", "score", "occurrences"}]}``; token
offsets are inclusive, ``end_char`` exclusive. ``keyphrases`` are the tagger's occurrences in
text order; ``ranked`` is the document's unique keyphrases, best first, each with its
occurrences' ``[start_char, end_char]``, ranked by the model's ranker (``scoring/rankers.py``: the
hand rule, a phrase ranker over the tagger's phrases, or a candidate ranker over every candidate).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from keyword_lightning.data.inputs import PredictDocument
from keyword_lightning.scoring.rankers import rank_document
from keyword_lightning.scoring.ranking import phrase_score
from keyword_lightning.tagging.schemes import SBMEO, O, sbmeo_to_spans


def token_char_spans(doc: PredictDocument) -> tuple[str, list[tuple[int, int]]]:
    """The document text and each token's char offsets; without raw text, tokens joined by spaces."""
    if doc.text is not None and doc.spans is not None:
        return doc.text, doc.spans
    spans, pos = [], 0
    for token in doc.tokens:
        spans.append((pos, pos + len(token)))
        pos += len(token) + 1
    return " ".join(doc.tokens), spans


def assemble_prediction(
    doc: PredictDocument,
    tags: Sequence[int],
    probs: Sequence[float],
    ranker: Any = None,
    keyness: Sequence[float] | None = None,
) -> dict[str, Any]:
    """One record: tags, and keyphrases with token and char offsets and a score.

    A keyphrase's score is the geometric mean of the model's probabilities of its tags
    (``ranking.phrase_score``). ``ranked`` is ranked by ``ranker`` (None: the hand rule), which
    may read each token's ``keyness`` (1 - P(O); None: 0 everywhere).
    """
    text, char_spans = token_char_spans(doc)
    phrases = []
    for start, end in sbmeo_to_spans(tags):
        lo, hi = char_spans[start][0], char_spans[end][1]
        phrases.append(
            {
                "text": text[lo:hi],
                "start_token": start,
                "end_token": end,
                "start_char": lo,
                "end_char": hi,
                "score": phrase_score(probs[start : end + 1]),
            }
        )
    record = {"id": doc.id, "tokens": doc.tokens, "tags": [SBMEO[t] for t in tags], "keyphrases": phrases}
    keyness = keyness if keyness is not None else [0.0] * len(doc.tokens)
    record["ranked"] = rank_document(record, text, char_spans, keyness, ranker)  # unique keyphrases, best first
    return record


def join_parts(
    docs: list[PredictDocument], source, piece_start, parts: list[dict]
) -> tuple[list[list[int]], list[list[float]], list[list[float]]]:
    """Per-item predictions (``decoding.tag_batch`` outputs) joined back into documents: tags, probs, keyness.

    Item ``i`` is tokens ``piece_start[i]:`` of document ``source[i]`` (long documents are tagged
    in chunks); documents without items (empty ones) stay untagged (``O``, probability 1, keyness 0).
    """
    tags = [[O] * len(d.tokens) for d in docs]
    probs = [[1.0] * len(d.tokens) for d in docs]
    keyness = [[0.0] * len(d.tokens) for d in docs]
    for part in parts:
        for i, item in enumerate(part["index"]):
            doc, start = int(source[item]), int(piece_start[item])
            for target, values in ((tags, part["tags"]), (probs, part["probs"]), (keyness, part.get("keyness"))):
                if values is not None:
                    target[doc][start : start + len(values[i])] = values[i]
    return tags, probs, keyness


def stitch(
    docs: list[PredictDocument], source, piece_start, parts: list[dict], ranker: Any = None
) -> list[dict[str, Any]]:
    """One record per document from per-item predictions (``join_parts``); ``ranker`` ranks ``ranked``."""
    joined = join_parts(docs, source, piece_start, parts)
    return [assemble_prediction(d, t, p, ranker, k) for d, t, p, k in zip(docs, *joined)]


def to_jsonl(records: list[dict[str, Any]]) -> str:
    """Records as JSON Lines (UTF-8 text kept as is)."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def render_table(records: list[dict[str, Any]], texts: list[str], color: bool = False) -> str:
    """Each document's text with its keyphrases marked, then its ranked keyphrases (``ranked``).

    ``texts[i]`` is the text that record ``i``'s char offsets point into. With ``color`` the
    phrases are shown in bold yellow (ANSI, for a terminal); otherwise in [brackets].
    """
    on, off = ("\033[1;33m", "\033[0m") if color else ("[", "]")
    out = []
    for rec, text in zip(records, texts):
        phrases = rec["keyphrases"]
        marked, pos = [], 0
        for k in phrases:
            marked += [text[pos : k["start_char"]], on, text[k["start_char"] : k["end_char"]], off]
            pos = k["end_char"]
        marked.append(text[pos:])
        out.append(f"== {rec['id']} ({len(phrases)} keyphrase{'s' * (len(phrases) != 1)})")
        out.append("".join(marked).strip() or "(empty document)")
        ranked = rec.get("ranked") or sorted(phrases, key=lambda k: -k["score"])
        out += [ranked_line(k) for k in ranked]
        out.append("")
    return "\n".join(out)


def ranked_line(keyphrase: dict[str, Any]) -> str:
    """``  0.853  fuzzy controller (x2)``: score, text, and how often it occurs when more than once."""
    n = len(keyphrase.get("occurrences") or [])
    return f"  {keyphrase['score']:.3f}  {keyphrase['text']}" + (f" (x{n})" if n > 1 else "")
