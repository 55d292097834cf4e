"""Text: tokenizers with character offsets (``tokenizers.py``) and finding keyphrases on them (``matching.py``)."""

from keyword_lightning.text.matching import ABSENT, OVERLAPPED, PRESENT, SPLIT, find_keyphrases
from keyword_lightning.text.tokenizers import (
    PTB_ESCAPES,
    TOKENIZERS,
    Tokenizer,
    get_tokenizer,
    normalize_token,
    tokenize,
    tokenize_chars,
)

__all__ = [
    "ABSENT",
    "OVERLAPPED",
    "PRESENT",
    "PTB_ESCAPES",
    "SPLIT",
    "TOKENIZERS",
    "Tokenizer",
    "find_keyphrases",
    "get_tokenizer",
    "normalize_token",
    "tokenize",
    "tokenize_chars",
]
