"""Tokenizers with character offsets, and keyphrase matching on those offsets.

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
from collections.abc import Callable, Sequence

Tokenizer = Callable[[str], list[tuple[str, int, int]]]
TOKENIZERS = ("ptb", "chars", "jieba")

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


def get_tokenizer(name: str) -> Tokenizer:
    """The tokenizer called ``name`` (one of ``TOKENIZERS``), a function ``text -> [(token, start, end)]``.

    Raises ``ValueError`` for an unknown name and ``ModuleNotFoundError`` for ``jieba`` when
    jieba is not installed.
    """
    if name == "ptb":
        return tokenize
    if name == "chars":
        return tokenize_chars
    if name == "jieba":
        return _jieba()
    raise ValueError(f"unknown tokenizer {name!r} (known: {', '.join(TOKENIZERS)})")


def normalize_token(token: str, lowercase: bool) -> str:
    """The form of a token used for vocabulary lookup: PTB escapes undone, optionally lowercased.

    Training data write ``-LRB-`` where raw text has ``(``; both map to ``(``, which is also
    the form GloVe knows. Lowercasing leaves Han and kana as they are.
    """
    token = PTB_ESCAPES.get(token, token)
    return token.lower() if lowercase else token


# What became of a keyphrase in its document (``find_keyphrases``).
PRESENT, SPLIT, OVERLAPPED, ABSENT = "present", "split", "overlapped", "absent"
_RANK = {ABSENT: 0, SPLIT: 1, OVERLAPPED: 2, PRESENT: 3}  # a phrase's fate is its best occurrence's
_SPACE = re.compile(r"\s")


def _phrase_key(phrase: str, tokenizer: str) -> tuple[str, int]:
    """A phrase as ``find_keyphrases`` looks for it, and its length for the longest-first order."""
    if tokenizer == "ptb":
        words = [t.lower() for t, _, _ in tokenize(phrase)]
        return " ".join(words), len(words)
    visible = "".join(ch for ch in phrase if unicodedata.category(ch) != "Cf")
    key = " ".join(visible.split()).lower()
    return key, len(key)


def find_keyphrases(
    text: str, tokens: Sequence[tuple[str, int, int]], phrases: Sequence[str], tokenizer: str = "ptb"
) -> tuple[list[tuple[int, int]], list[str]]:
    """Mark every case-insensitive occurrence of each phrase on ``tokens`` (``tokenizer``'s triples of ``text``).

    An occurrence must begin where a token begins and end where a token ends:

    - ``ptb``: the phrase split by ``tokenize`` equals a run of the document's tokens, both
      lowercased (what this function did before there were other tokenizers);
    - other tokenizers: the phrase as written (lowercased, whitespace runs read as one space,
      Cf characters dropped) equals the text from the start of one token to the end of another,
      read the same way. The phrase is not tokenized on its own: a jieba word can split
      differently alone than in context.

    Phrases are marked longest first (``ptb``: most tokens; others: most characters; ties in
    the order given), each one's occurrences left to right; an occurrence that overlaps a
    marked one is skipped.

    Returns the marked token spans ``(first, last)`` (inclusive, in text order) and each
    phrase's fate, one of ``PRESENT`` (an occurrence marked), ``OVERLAPPED`` (occurs, but every
    occurrence overlaps a phrase marked before it), ``SPLIT`` (occurs only with its start or
    end inside a token, so it cannot be marked; ``ptb``: its tokens joined by spaces occur so
    in the tokens joined by spaces) and ``ABSENT`` (does not occur, or is blank), in that order
    of precedence.
    """
    spaced = tokenizer == "ptb"
    parts: list[str] = []
    starts: dict[int, int] = {}  # position in `joined` -> token index
    ends: dict[int, int] = {}
    length = 0
    for i, (token, start, _) in enumerate(tokens):
        if i and (spaced or _SPACE.search(text, tokens[i - 1][2], start)):
            parts.append(" ")
            length += 1
        starts[length] = i
        parts.append(token.lower())
        length += len(parts[-1])
        ends[length] = i
    joined = "".join(parts)

    keys = [_phrase_key(p, tokenizer) for p in phrases]
    fate: dict[str, str] = {}
    taken = [False] * len(tokens)
    spans = []
    for key, _ in sorted(dict.fromkeys(keys), key=lambda k: -k[1]):  # stable: ties in the order given
        fate[key] = ABSENT
        pos = joined.find(key) if key else -1
        while pos != -1:
            first, last = starts.get(pos), ends.get(pos + len(key))
            if first is None or last is None:
                found = SPLIT
            elif any(taken[first : last + 1]):
                found = OVERLAPPED
            else:
                taken[first : last + 1] = [True] * (last - first + 1)
                spans.append((first, last))
                found = PRESENT
            fate[key] = max(fate[key], found, key=_RANK.__getitem__)
            pos = joined.find(key, pos + 1)
    return sorted(spans), [fate[key] for key, _ in keys]
