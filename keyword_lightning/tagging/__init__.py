"""Tagging: label schemes and spans (``schemes.py``), Viterbi (``viterbi.py``), the CRF (``crf.py``), decoding.

From the two heads' logits to S/B/M/E/O tags: ``decoding.py`` fuses the heads and decodes by
Viterbi (``viterbi.py``, with ``crf.py``'s learned transitions) or argmax. The schemes and
Viterbi are re-exported here and need numpy only; ``crf.py`` and ``decoding.py`` need torch.
"""

from keyword_lightning.tagging.schemes import (
    BIO_B,
    BIO_I,
    BIO_O,
    IGNORE_INDEX,
    KEYWORD,
    KEYWORD_LABELS,
    KEYWORD_OF_TAG,
    NOT_KEYWORD,
    SBMEO,
    B,
    E,
    M,
    O,
    S,
    Span,
    TagError,
    bio_codes,
    bio_codes_to_labels,
    bio_codes_to_spans,
    sbmeo_to_spans,
    spans_to_bio_codes,
    spans_to_sbmeo,
)
from keyword_lightning.tagging.viterbi import (
    ALLOWED,
    END_ALLOWED,
    START_ALLOWED,
    viterbi_decode,
    viterbi_decode_transitions,
)

__all__ = [
    "ALLOWED",
    "BIO_B",
    "BIO_I",
    "BIO_O",
    "END_ALLOWED",
    "IGNORE_INDEX",
    "KEYWORD",
    "KEYWORD_LABELS",
    "KEYWORD_OF_TAG",
    "NOT_KEYWORD",
    "SBMEO",
    "START_ALLOWED",
    "B",
    "E",
    "M",
    "O",
    "S",
    "Span",
    "TagError",
    "bio_codes",
    "bio_codes_to_labels",
    "bio_codes_to_spans",
    "sbmeo_to_spans",
    "spans_to_bio_codes",
    "spans_to_sbmeo",
    "viterbi_decode",
    "viterbi_decode_transitions",
]
