"""Prediction records: tags joined back into documents, keyphrases with offsets and scores.

Also their renderings (JSONL, a highlighted table). Used by the prediction writer, the extractor
and any other caller; needs no Lightning and no model.

A record: ``{"id", "tokens", "tags", "keyphrases": [{"text", "start_token", "end_token",
"start_char", "end_char", "score"}], "ranked": [{"text", "score", "occurrences"}]}``; token
offsets are inclusive, ``end_char`` exclusive. ``keyphrases`` are the tagger's occurrences in
text order; ``ranked`` is the document's unique keyphrases, best first, each with its
occurrences' ``[start_char, end_char]`` (``scoring/keyphrases.py``), ranked by the hand rule or by the
model's learned scorer (``scoring/scorer.py``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from keyword_lightning.data.inputs import PredictDocument
from keyword_lightning.scoring.keyphrases import rank_record
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
    doc: PredictDocument, tags: Sequence[int], probs: Sequence[float], scorer: Any = None
) -> dict[str, Any]:
    """One record: tags, and keyphrases with token and char offsets and a score.

    A keyphrase's score is the geometric mean of the model's probabilities of its tags
    (``ranking.phrase_score``). ``ranked`` is ranked by ``scorer`` (None: the hand rule).
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
    record["ranked"] = rank_record(record, scorer)  # the document's unique keyphrases, best first
    return record


def stitch(
    docs: list[PredictDocument], source, piece_start, parts: list[dict], scorer: Any = None
) -> list[dict[str, Any]]:
    """Join per-item predictions (``decoding.tag_batch`` outputs) back into one record per document.

    Item ``i`` is tokens ``piece_start[i]:`` of document ``source[i]`` (long documents are tagged
    in chunks); documents without items (empty ones) stay untagged. ``scorer`` ranks ``ranked``.
    """
    tags = [[O] * len(d.tokens) for d in docs]
    probs = [[1.0] * len(d.tokens) for d in docs]
    for part in parts:
        for item, t, p in zip(part["index"], part["tags"], part["probs"]):
            doc, start = int(source[item]), int(piece_start[item])
            tags[doc][start : start + len(t)] = t
            probs[doc][start : start + len(p)] = p
    return [assemble_prediction(d, t, p, scorer) for d, t, p in zip(docs, tags, probs)]


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
