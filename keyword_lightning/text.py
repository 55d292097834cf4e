"""Tokenizer with character offsets, matching the PTB-style tokens of the Inspec data.

Inspec's tokens were produced by a Penn-Treebank tokenizer: ``'s`` and ``n't`` are split off,
brackets are written ``-LRB-`` / ``-RRB-``, hyphenated words stay whole. Raw text given to
``predict`` is split the same way so that its tokens look like the training tokens, and every
token keeps ``(start, end)`` offsets into the original text, so ``text[start:end]`` is the token.
"""

from __future__ import annotations

import re
import unicodedata

# Order matters: the first alternative that matches at a position wins.
_TOKEN = re.compile(
    r"""
    (?:[A-Za-z]\.){2,}                  # abbreviations: i.e. e.g. U.S.
    | \d+(?:[.,]\d+)+                   # numbers with separators: 2.0 1,000
    | \w+(?=n['\u2019]t\b)              # "do" of "don't"
    | n['\u2019]t\b                     # "n't"
    | ['\u2019](?:s|re|ve|ll|d|m)\b     # clitics: 's 're ...
    | \w+(?:[-/+]\w+)*\+*               # words, hyphenated or slashed: real-time I/O C++
    | ``|''|--
    | [^\w\s]                           # any other symbol on its own
    """,
    re.VERBOSE,
)

# The PTB's escapes (as they appear in the training data) and the characters they stand for.
PTB_ESCAPES = {"-LRB-": "(", "-RRB-": ")", "-LSB-": "[", "-RSB-": "]", "-LCB-": "{", "-RCB-": "}", "``": '"', "''": '"'}


def tokenize(text: str) -> list[tuple[str, int, int]]:
    """Split ``text`` into ``(token, start_char, end_char)`` triples; ``end_char`` is exclusive.

    Zero-width and other format characters (category Cf) never start a token of their own.
    """
    tokens = []
    for match in _TOKEN.finditer(text):
        token = match.group()
        if len(token) == 1 and unicodedata.category(token) == "Cf":
            continue
        tokens.append((token, match.start(), match.end()))
    return tokens


def normalize_token(token: str, lowercase: bool) -> str:
    """The form of a token used for vocabulary lookup: PTB escapes undone, optionally lowercased.

    Training data write ``-LRB-`` where raw text has ``(``; both map to ``(``, which is also
    the form GloVe knows.
    """
    token = PTB_ESCAPES.get(token, token)
    return token.lower() if lowercase else token
