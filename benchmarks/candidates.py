"""Candidates beyond the tagger's spans: do stop-word-bounded n-grams help the document-level ranking?

    python -m benchmarks.candidates --ckpt demo/runs/version_0/checkpoints/best-*.ckpt

Issue 22 proposes scoring, besides every phrase the tagger marks, other candidates from the text
(n-grams between stop words), so that recall is not capped by the tagger's threshold. This probe
measures it on the corpora of ``../shared/data`` before anything of the kind goes into the package.

Per document (the checkpoint's tags, read from raw text as ``benchmarks/ranking.py`` reads it):

- candidates: the tagger's spans, or those and every 1-3-gram of tokens that cross no stop word
  (scikit-learn's ``ENGLISH_STOP_WORDS``, as ``tfidf_ranker.py``), no punctuation and no token
  without a letter; one candidate per Porter-stemmed key (``scoring.normalize``);
- features over a candidate's places in the set (with n-grams, every place it occurs as a span or
  an n-gram; without, the tagger's spans only): count, how many the tagger marked, the
  sum and max of the marked ones' phrase scores, the mean and max over places of the tokens' mean
  probability of a keyword tag (1 - P(O)), first and last place, spread, a start in the first 15%
  of tokens, length;
- a logistic regression over them (``scoring.scorer.newton``, standardized, L2 1.0), fitted on a
  validation corpus (Inspec valid, SemEval-2017 dev), ranking each test corpus; gold: each
  document's Porter-stemmed keyphrases (all present: CoNLL), F1@5/@10/@M (``score_present``).

Also the share of gold keyphrases among the candidates (the recall ceiling of each set).
Writes ``benchmarks/results/candidates.md``.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

from benchmarks.common import (
    CORPORA,
    LETTER,
    RESULTS,
    TESTS,
    VALIDATION,
    command,
    header,
    shown,
    stop_words,
    write_results,
)
from benchmarks.corpora import read_corpus
from benchmarks.scoring import normalize, score_present
from keyword_lightning.data.inputs import documents_from_texts
from keyword_lightning.inference.extractor import KeywordExtractor
from keyword_lightning.scoring.keyphrases import HEAD_FRACTION
from keyword_lightning.scoring.ranking import phrase_score
from keyword_lightning.scoring.scorer import newton
from keyword_lightning.tagging.decoding import decode, tag_probabilities, tag_scores
from keyword_lightning.tagging.schemes import O, sbmeo_to_spans

CANDIDATE_FEATURES = tuple(
    "count marked score_sum score_max keyword_mean keyword_max first last spread in_head length".split()
)
CANDIDATE_LOGGED = {"count", "marked", "score_sum", "length"}
MAX_WORDS = 3
Candidate = tuple[tuple[str, ...], str, dict[str, float]]  # (stemmed key, first surface text, features)


def tag(extractor: KeywordExtractor, docs: list) -> list[tuple[list[int], list[float], list[float]]]:
    """Each document's tags, each token's probability of its tag and of a keyword tag (1 - P(O))."""
    corpus, source, piece_start = extractor.encode(docs)
    out = [([O] * len(d.tokens), [1.0] * len(d.tokens), [0.0] * len(d.tokens)) for d in docs]
    for batch, (logits1, logits2) in extractor.run(corpus):
        scores = tag_scores(logits1, logits2, extractor.decoding.fusion_weight)  # [B,T,5] log-probabilities
        tags = decode(scores, batch.lengths, extractor.decoding.decoder, extractor.net.crf)
        chosen, keyword = tag_probabilities(scores, tags), 1 - scores[..., O].exp()
        for row, item in enumerate(batch.index.tolist()):
            doc, start, n = int(source[item]), int(piece_start[item]), int(batch.lengths[row])
            for target, values in zip(out[doc], (tags, chosen, keyword)):
                target[start : start + n] = values[row, :n].tolist()
    return out


def candidates(doc, tags: list[int], probs: list[float], keyword: list[float], ngrams: bool) -> list[Candidate]:
    """A document's candidates, one per stemmed key, with their features over every place they occur."""
    n, stop = len(doc.tokens), stop_words()
    marked = {(a, b - a + 1): phrase_score(probs[a : b + 1]) for a, b in sbmeo_to_spans(tags)}
    places = set(marked)
    if ngrams:
        ok = [t.lower() not in stop and LETTER.search(t) is not None and t[0].isalnum() for t in doc.tokens]
        for a in range(n):
            for length in range(1, MAX_WORDS + 1):
                if a + length <= n and all(ok[a : a + length]):
                    places.add((a, length))
    by_key: dict[tuple[str, ...], list[tuple[int, int]]] = {}
    for a, length in sorted(places):
        text = doc.text[doc.spans[a][0] : doc.spans[a + length - 1][1]]
        if key := normalize(text, True):
            by_key.setdefault(key, []).append((a, length))
    out = []
    for key, where in by_key.items():
        if not any(w in marked for w in where) and not ngrams:
            continue
        scores = [marked[w] for w in where if w in marked]
        keyness = [sum(keyword[a : a + k]) / k for a, k in where]
        first, last = where[0][0] / max(1, n), where[-1][0] / max(1, n)
        f = {
            "count": len(where),
            "marked": len(scores),
            "score_sum": sum(scores),
            "score_max": max(scores, default=0.0),
            "keyword_mean": sum(keyness) / len(keyness),
            "keyword_max": max(keyness),
            "first": first,
            "last": last,
            "spread": last - first,
            "in_head": float(first < HEAD_FRACTION),
            "length": where[0][1],
        }
        a, k = where[0]
        out.append((key, doc.text[doc.spans[a][0] : doc.spans[a + k - 1][1]], f))
    return out


def candidate_vector(f: dict[str, float]) -> list[float]:
    return [math.log1p(f[name]) if name in CANDIDATE_LOGGED else f[name] for name in CANDIDATE_FEATURES]


class CandidateScorer:
    """A logistic regression over ``CANDIDATE_FEATURES``, fitted on documents' candidates against their gold keys."""

    def __init__(self, docs: list[list[Candidate]], gold: list[set]) -> None:
        rows = [candidate_vector(f) for cands in docs for _, _, f in cands]
        labels = [float(key in g) for cands, g in zip(docs, gold) for key, _, _ in cands]
        x = np.asarray(rows)
        self.mean, self.scale = x.mean(axis=0), x.std(axis=0)
        self.scale[self.scale < 1e-9] = 1.0
        self.w = newton((x - self.mean) / self.scale, np.asarray(labels), 1.0)

    def rank(self, cands: list[Candidate]) -> list[tuple[str, float]]:
        """``(text, logit)``, best first (ties: text order)."""
        if not cands:
            return []
        z = (np.asarray([candidate_vector(f) for _, _, f in cands]) - self.mean) / self.scale
        logits = (z @ self.w[:-1] + self.w[-1]).tolist()
        return sorted(((text, s) for (_, text, _), s in zip(cands, logits)), key=lambda r: -r[1])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=RESULTS / "candidates.md")
    args = ap.parse_args(argv)
    extractor = KeywordExtractor.from_checkpoint(args.ckpt)
    sets: dict[str, dict] = {}
    recall = []
    for name, path in CORPORA.items():
        corpus = read_corpus(path)
        docs = documents_from_texts(corpus.texts, corpus.ids, extractor.tokenizer)
        tagged = tag(extractor, docs)
        gold = [{normalize(k, True) for k in keys} for keys in corpus.keyphrases]
        sets[name] = {"corpus": corpus, "gold": gold}
        for label, ngrams in (("tagger", False), ("tagger + n-grams", True)):
            cands = [candidates(d, *t, ngrams) for d, t in zip(docs, tagged)]
            sets[name][label] = cands
            found = sum(len({key for key, _, _ in c} & g) for c, g in zip(cands, gold))
            per_doc = sum(len(c) for c in cands) / len(cands)
            recall.append(f"| {name} | {label} | {per_doc:.0f} | {found / sum(map(len, gold)):.3f} |")
            print(recall[-1], file=sys.stderr)
    lines = [
        "# Candidates beyond the tagger's spans",
        "",
        header(command("candidates", argv if argv is not None else sys.argv[1:])),
        f"Checkpoint `{shown(args.ckpt)}`. F1@k (Porter-stemmed) against each document's unique gold keyphrases;",
        "logistic regressions over the same features, fitted on a validation corpus (`benchmarks/candidates.py`).",
        "",
        "| corpus | candidates | candidates per document | gold keyphrases among them |",
        "|---|---|---:|---:|",
        *recall,
        "",
        "| test corpus | candidates | scorer fitted on | F1@5 | F1@10 | F1@M |",
        "|---|---|---|---:|---:|---:|",
    ]
    for test in TESTS:
        for label in ("tagger", "tagger + n-grams"):
            for fit_on in VALIDATION:
                scorer = CandidateScorer(sets[fit_on][label], sets[fit_on]["gold"])
                ranked = [scorer.rank(c) for c in sets[test][label]]
                s = score_present(ranked, sets[test]["corpus"].records(), stem=True)
                f1 = " | ".join(f"{s[f'all_f1@{k}_stem']:.3f}" for k in ("5", "10", "M"))
                lines.append(f"| {test} | {label} | {fit_on} | {f1} |")
                print(lines[-1], file=sys.stderr)
    write_results(args.out, "\n".join(lines) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
