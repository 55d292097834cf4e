"""A plain TF-IDF keyphrase ranker: the no-model baseline of benchmarks/compare.py.

Candidates are the word n-grams (1 to 3 words) that cross no punctuation and no stop word
(scikit-learn's ``ENGLISH_STOP_WORDS``), and contain a letter in each word. A candidate's score is
the sum of the TF-IDF weights of its words: term frequency in the document times
``log((1 + N) / (1 + df)) + 1`` with ``df`` counted over a reference corpus of ``N`` documents
(the training split in compare.py; no tagger, no model, no download). Each candidate is listed
once, with the surface form of its first occurrence.

    ranker = TfIdfRanker(train_texts)
    ranker.extract("Deep neural networks for graph cuts .", top_n=20)  # [(phrase, score), ...]
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

from benchmarks.common import LETTER, stop_words

# Words (hyphenated and slashed ones whole, as Inspec writes them) and, apart, any other symbol.
_TOKEN = re.compile(r"\w+(?:[-/']\w+)*|[^\w\s]")


class TfIdfRanker:
    """Ranks a document's stop-word-bounded n-grams by the summed TF-IDF of their words.

    Args:
        reference: texts whose document frequencies give the IDF (each word counted once a text).
        max_words: longest candidate, in words.

    """

    def __init__(self, reference: Iterable[str], max_words: int = 3) -> None:
        self.stop = stop_words()
        self.max_words = max_words
        self.df: Counter[str] = Counter()
        self.n_docs = 0
        for text in reference:
            self.df.update({w.lower() for w in _TOKEN.findall(text)})
            self.n_docs += 1

    def idf(self, word: str) -> float:
        """Smoothed inverse document frequency of a lowercased word (unseen words get the largest)."""
        return math.log((1 + self.n_docs) / (1 + self.df[word])) + 1

    def runs(self, text: str) -> list[list[str]]:
        """Maximal runs of candidate words: split at punctuation, stop words and words without a letter."""
        runs, run = [], []
        for token in _TOKEN.findall(text):
            if token.lower() in self.stop or not LETTER.search(token) or not token[0].isalnum():
                if run:
                    runs.append(run)
                run = []
            else:
                run.append(token)
        if run:
            runs.append(run)
        return runs

    def extract(self, text: str, top_n: int = 20) -> list[tuple[str, float]]:
        """The ``top_n`` best candidates of ``text`` as ``(phrase, score)``, best first (ties: text order)."""
        runs = self.runs(text)
        tf = Counter(w.lower() for run in runs for w in run)
        weight = {w: count * self.idf(w) for w, count in tf.items()}
        best: dict[str, tuple[str, float]] = {}
        for run in runs:
            for n in range(1, self.max_words + 1):
                for i in range(len(run) - n + 1):
                    words = run[i : i + n]
                    key = " ".join(words).lower()
                    if key not in best:
                        best[key] = (" ".join(words), sum(weight[w.lower()] for w in words))
        ranked = sorted(best.values(), key=lambda item: -item[1])  # stable: ties keep text order
        return ranked[:top_n]
