"""How far a recipe's trained checkpoints can be pushed without training: seed ensembles and decoding.

    python -m benchmarks.ceiling --ckpt A.ckpt B.ckpt C.ckpt --out benchmarks/results/ceiling.md

Each checkpoint is one fit of the same recipe (one seed each). On Inspec's validation and test
splits (the CoNLL tokens, scored here against the CoNLL gold, strict spans) it reports:
- each checkpoint alone, as it decodes (Viterbi, with its CRF's transitions if it has one);
- their ensemble: the mean of their head-1 and head-2 log-probabilities, decoded the same way;
- each checkpoint with a bias added to head 2's O score before Viterbi (negative: more phrases,
  positive: fewer), to see whether moving the precision/recall balance helps.
If an ensemble of seeds scores no better than its members, the recipe's errors are shared by
every fit: they come from what the network reads, not from one fit's luck.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from itertools import combinations
from pathlib import Path

import torch

from benchmarks.common import RESULTS, SHARED, command, header, write_results
from benchmarks.gold import read_conll_gold, spans_from_bio
from benchmarks.scoring import strict_f1
from keyword_lightning import KeywordExtractor
from keyword_lightning.data.inputs import PredictDocument
from keyword_lightning.tagging import O, sbmeo_to_spans
from keyword_lightning.tagging.decoding import decode, tag_scores

O_BIASES = (-0.5, -0.25, 0.25, 0.5)
Scores = list[tuple[torch.Tensor, torch.Tensor]]  # per document: head-1 [T,2] and head-2 [T,5] log-probs


def log_probs(extractor: KeywordExtractor, docs: list[list[str]]) -> Scores:
    """Each document's head-1 and head-2 log-probabilities, in document order."""
    corpus, source, _ = extractor.encode([PredictDocument(str(i), t) for i, t in enumerate(docs)])
    if len(source) != len(docs):
        raise SystemExit("a document was split in chunks; raise the extractor's max_length")
    out: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
    for batch, (logits1, logits2) in extractor.run(corpus):
        for row, (item, n) in enumerate(zip(batch.index.tolist(), batch.lengths.tolist())):
            out[item] = (logits1[row, :n].log_softmax(-1), logits2[row, :n].log_softmax(-1))
    empty = (torch.zeros(0, 2), torch.zeros(0, 5))
    return [out.get(i, empty) for i in range(len(docs))]


def decoded_f1(scores: Scores, gold: list[set[tuple[int, int]]], crf, o_bias: float = 0.0) -> float:
    """Micro strict span F1 (``scoring.strict_f1``) of the Viterbi decoding of ``scores`` (head 2, ``o_bias`` on O)."""
    found = []
    for head1, head2 in scores:
        s = tag_scores(head1, head2).clone()  # fusion weight 0: head 2's log-probabilities
        s[:, O] += o_bias
        tags = decode(s.unsqueeze(0), torch.tensor([s.shape[0]]), "viterbi", crf)[0].tolist()
        found.append(set(sbmeo_to_spans(tags)))
    return strict_f1(found, gold)


def mean_scores(members: list[Scores]) -> Scores:
    """The ensemble's log-probabilities: the members' mean, document by document."""
    return [tuple(torch.stack(parts).mean(0) for parts in zip(*docs)) for docs in zip(*members)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", type=Path, nargs="+", required=True, help="fits of one recipe, one seed each")
    ap.add_argument("--data", type=Path, default=SHARED / "inspec", help="folder with valid.txt and test.txt")
    ap.add_argument("--names", nargs="+", default=None, help="a name per checkpoint for the results (default: files)")
    ap.add_argument("--out", type=Path, default=RESULTS / "ceiling.md")
    args = ap.parse_args()
    if len(args.ckpt) < 2:
        ap.error("give at least two checkpoints (an ensemble needs two)")
    if args.names and len(args.names) != len(args.ckpt):
        ap.error("--names needs one name per --ckpt")
    splits = ("valid", "test")
    rows: dict[str, dict[str, list[float]]] = {}  # row name -> split -> F1 per checkpoint (or one)
    extractors = [KeywordExtractor.from_checkpoint(c) for c in args.ckpt]
    if len({e.net.crf is not None for e in extractors}) > 1:
        ap.error("the checkpoints differ in having a CRF: give fits of one recipe")
    for split in splits:
        docs, _ = read_conll_gold(args.data / f"{split}.txt")
        gold = spans_from_bio(args.data / f"{split}.txt")
        members = [log_probs(e, docs) for e in extractors]
        crf = extractors[0].net.crf  # the ensemble decodes with the first member's transitions
        rows.setdefault("each alone", {})[split] = [decoded_f1(m, gold, e.net.crf) for m, e in zip(members, extractors)]
        for k in range(2, len(members) + 1):
            name = f"ensembles of {k}" if k < len(members) else f"the ensemble of all {k}"
            rows.setdefault(name, {})[split] = [
                decoded_f1(mean_scores([members[i] for i in combo]), gold, crf)
                for combo in combinations(range(len(members)), k)
            ]
        for bias in O_BIASES:
            rows.setdefault(f"each alone, O bias {bias:+g}", {})[split] = [
                decoded_f1(m, gold, e.net.crf, bias) for m, e in zip(members, extractors)
            ]
        print(f"{split}: done", file=sys.stderr, flush=True)

    def cell(values: list[float]) -> str:
        sd = f" ± {statistics.stdev(values):.3f}" if len(values) > 1 else ""
        return f"{statistics.mean(values):.3f}{sd}"

    names = args.names or [c.name for c in args.ckpt]
    lines = [
        "# What a recipe's checkpoints give without more training: ensembles and decoding",
        "",
        header(command("ceiling", sys.argv[1:])),
        f"Checkpoints: {', '.join(names)}.",
        "",
        "Strict span F1 (micro over documents) on Inspec valid and test, mean ± std over the fits or",
        "the ensembles named in the row. An ensemble averages its members' log-probabilities.",
        "",
        "| row | valid F1 | test F1 |",
        "|---|---:|---:|",
        *(f"| {name} | {cell(by_split['valid'])} | {cell(by_split['test'])} |" for name, by_split in rows.items()),
        "",
    ]
    report = "\n".join(lines)
    print(report)
    write_results(args.out, report)


if __name__ == "__main__":
    main()
