"""Tokenizers with character offsets (keyphrase matching on those offsets: ``matching.py``).

Three tokenizers (``TOKENIZERS``, by name through ``get_tokenizer``) split raw text into
``(token, start, end)`` triples with ``text[start:end] == token``: in order, non-overlapping,
never empty, never holding whitespace or a format character (category Cf: zero-width space,
BOM, soft hyphen ...). A dataset records the tokenizer it was prepared with, so raw text given
to ``predict`` is split the way the training text was.

- ``ptb`` (``tokenize``, the default) matches the PTB-style tokens of the Inspec data: ``'s`` and
  ``n't`` are split off, hyphenated words stay whole; the data write brackets ``-LRB-`` /
  ``-RRB-`` (``normalize_token`` maps them back). Every character other than whitespace and Cf
  is in some token.
- ``chars`` (``tokenize_chars``): one token per Han character (CJK Unified Ideographs with all
  their extensions, compatibility ideographs, 〇 々 〻) and per kana character (Japanese writes
  no spaces either), an ideographic variation selector kept with its character; the text
  between them is split as ``ptb`` splits it, so ``C++``, ``2.0``, ``real-time`` and words of
  other scripts (Hangul, which Korean separates with spaces, Cyrillic ...) stay whole, and
  every other symbol, full-width punctuation ``，。（）：；、“”`` included, is a token of its
  own. Every character other than whitespace and Cf is in some token.
- ``jieba``: jieba 0.42.1's precise mode (``Tokenizer.tokenize(mode="default")``, HMM on) with
  its own dictionary, whatever the caller did to jieba's global one; words that hold
  whitespace or Cf characters are cut at them. An optional extra:
  ``pip install 'keyword-lightning[zh]'``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable

Tokenizer = Callable[[str], list[tuple[str, int, int]]]

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

# One token each in ``chars``: Han ideographs and kana, with any variation selector that follows.
_ONE_CHAR = re.compile(
    "["
    "\u3005\u3007\u303b"  # 々 〇 〻
    "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f"  # hiragana, katakana, halfwidth katakana
    "\u3400-\u4dbf\u4e00-\u9fff"  # CJK Unified Ideographs and extension A
    "\uf900-\ufaff"  # compatibility ideographs
    "\U00020000-\U0003ffff"  # planes 2 and 3: extensions B-I, compatibility supplement
    "][\ufe00-\ufe0f\U000e0100-\U000e01ef]*"
)


def _ptb(text: str, lo: int, hi: int) -> list[tuple[str, int, int]]:
    """PTB-style tokens of ``text[lo:hi]``, offsets into ``text``."""
    tokens = []
    for match in _TOKEN.finditer(text, lo, hi):
        token = match.group()
        if len(token) == 1 and unicodedata.category(token) == "Cf":
            continue
        tokens.append((token, match.start(), match.end()))
    return tokens


def tokenize(text: str) -> list[tuple[str, int, int]]:
    """Split ``text`` into ``(token, start_char, end_char)`` triples; ``end_char`` is exclusive.

    Zero-width and other format characters (category Cf) never start a token of their own.
    """
    return _ptb(text, 0, len(text))


def tokenize_chars(text: str) -> list[tuple[str, int, int]]:
    """The ``chars`` tokenizer: one token per Han or kana character, the rest split as ``tokenize`` does."""
    tokens = []
    pos = 0
    for match in _ONE_CHAR.finditer(text):
        if match.start() > pos:
            tokens.extend(_ptb(text, pos, match.start()))
        tokens.append((match.group(), match.start(), match.end()))
        pos = match.end()
    tokens.extend(_ptb(text, pos, len(text)))
    return tokens


def _visible_runs(word: str, start: int) -> list[tuple[str, int, int]]:
    """Maximal runs of ``word`` (found at ``start``) free of whitespace and Cf characters."""
    if word.isalnum():  # the common case: no whitespace, no Cf
        return [(word, start, start + len(word))]
    runs = []
    run_start = None
    for i, ch in enumerate(word + " "):
        hidden = ch.isspace() or unicodedata.category(ch) == "Cf"
        if hidden and run_start is not None:
            runs.append((word[run_start:i], start + run_start, start + i))
            run_start = None
        elif not hidden and run_start is None:
            run_start = i
    return runs


def _tokenize_jieba(jieba_tokenizer, text: str) -> list[tuple[str, int, int]]:
    tokens = []
    for word, start, end in jieba_tokenizer.tokenize(text, mode="default"):
        if text[start:end] != word:  # jieba yields every character in order; check rather than trust
            raise RuntimeError(f"jieba returned {word!r} at {start}:{end}, where the text holds {text[start:end]!r}")
        tokens.extend(_visible_runs(word, start))
    return tokens


@functools.lru_cache(maxsize=1)
def _jieba() -> Tokenizer:
    """The jieba tokenizer with its default dictionary, loaded once (about a second), quietly."""
    try:
        import jieba
    except ImportError:
        raise ModuleNotFoundError(
            "the jieba tokenizer needs jieba: pip install 'keyword-lightning[zh]'", name="jieba"
        ) from None
    import logging

    jieba.setLogLevel(logging.WARNING)  # it logs its dictionary loading to stderr at DEBUG
    instance = jieba.Tokenizer()  # not jieba's global one, which user dictionaries change
    instance.initialize()
    return functools.partial(_tokenize_jieba, instance)


# The registry: name -> what gives the tokenizer (loaded on first use: jieba takes a second and is optional).
# A new tokenizer is a function ``text -> [(token, start, end)]`` and its entry here.
TOKENIZERS: dict[str, Callable[[], Tokenizer]] = {
    "ptb": lambda: tokenize,
    "chars": lambda: tokenize_chars,
    "jieba": _jieba,
}


def get_tokenizer(name: str) -> Tokenizer:
    """The tokenizer called ``name`` (a key of ``TOKENIZERS``), a function ``text -> [(token, start, end)]``.

    Raises ``ValueError`` for an unknown name and ``ModuleNotFoundError`` for ``jieba`` when
    jieba is not installed.
    """
    if name not in TOKENIZERS:
        raise ValueError(f"unknown tokenizer {name!r} (known: {', '.join(TOKENIZERS)})")
    return TOKENIZERS[name]()


def normalize_token(token: str, lowercase: bool) -> str:
    """The form of a token used for vocabulary lookup: PTB escapes undone, optionally lowercased.

    Training data write ``-LRB-`` where raw text has ``(``; both map to ``(``, which is also
    the form GloVe knows. Lowercasing leaves Han and kana as they are.
    """
    token = PTB_ESCAPES.get(token, token)
    return token.lower() if lowercase else token
