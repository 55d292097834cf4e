"""Finding keyphrases in a tokenized text: every occurrence that starts and ends at token boundaries.

Used to tag training documents (``data/readers.py``); the tokens come from ``tokenizers.py``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from keyword_lightning.text.tokenizers import tokenize

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
