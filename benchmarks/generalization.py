"""The transfer check over four genres: which recipe ships, and how each holds on a genre it never saw.

    python -m benchmarks.generalization --workdir W --parallel 2     # ~11 fits: hours on 2 cores
    (run again with the same --workdir: the fits and rankers already there are read, not refitted)

Genres, baselines and scoring: ``benchmarks/genres.py`` (F1@10 of the reference scorer, stemmed,
against all gold keyphrases, on each genre's dev split; YAKE and plain term frequency beside).

1. **Recipes.** Each recipe fits ``configs/general.yaml`` on all four genres' train splits (its
   checkpoint chosen on ``val/macro_f1@10``), with the mixing weights it names; on its tagger, each
   kind of ranker (hand rule, phrase ranker, candidate ranker; ``scoring/rankers.py``) is scored on
   each dev split by 2-fold cross-fitting over all four (fitted on one half of every genre, scored on
   the other half, both ways; the candidate ranker's threshold as ``scoring/choice.py`` chooses it).
   The recipe and kind with the best macro-average over the genres ship (``make general``).
2. **Transfer.** The chosen recipe fitted on each genre alone, on all four, and on three of them
   (leave one genre out: the fourth is a stand-in for a genre never seen). A fit's ranker is fitted
   on the dev splits of its own genres (``keyword-lightning fit-ranker``); a genre it saw is scored
   cross-fitted as above, one it never saw by the ranker fitted on all the others' dev documents.
   The fit on all four also scores the two test splits (its ranker fitted on the four dev splits).
3. **What generality costs.** Each genre with its tagger and its ranker fitted on it alone or on
   all four: how much of a genre's F1@10 the shared tagger gives up, and how much the shared ranker.

Writes ``benchmarks/results/generalization.md``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from benchmarks.common import RESULTS, SHARED, command, header, run_all, write_results
from benchmarks.corpora import read_corpus
from benchmarks.genres import GENRES, GLOVE, TESTS, baselines, dev, f1_at_10, fit_ranker, fit_tagger, ranked
from benchmarks.transfer import crossfitted, labelled, unseen

RECIPES = {  # name -> data.corpus_weights over configs/general.yaml (a corpus is its data folder's name)
    "every corpus as it comes": {},
    "news weighted 0.5": {"kpcrowd": 0.5},
    "news 0.5, SemEval-2017 2": {"kpcrowd": 0.5, "semeval2017": 2.0},
}
KINDS = ("hand", "logistic", "candidates")
SHIPPED_KIND = "candidates"  # what fit-ranker keeps for the transfer fits (the recipes table says why)


def recipe_rows(work: Path, parallel: int) -> tuple[list[str], str]:
    """The recipes table's rows (each recipe and kind, cross-fitted) and the chosen recipe's name."""
    genres = list(GENRES)
    fits, failed = run_all(
        [(name, 0) for name in RECIPES],
        lambda name, _: fit_tagger(genres, work / slug(name), weights(RECIPES[name], genres)),
        parallel,
    )
    if failed:
        raise SystemExit(f"recipe fits failed: {[name for name, _ in failed]}")
    rows, macros = [], {}
    for name in RECIPES:
        docs = labelled(fits[(name, 0)], genres)
        for kind in KINDS:
            scores = crossfitted(kind, docs)
            macros[(name, kind)] = sum(scores.values()) / len(scores)
            cells = " | ".join(f"{scores[g]:.3f}" for g in genres)
            rows.append(f"| {name} | {kind} | {cells} | {macros[(name, kind)]:.3f} |")
            print(rows[-1], file=sys.stderr, flush=True)
    best = max(macros, key=macros.get)
    rows = [row + (" **chosen**" if row.startswith(f"| {best[0]} | {best[1]} |") else "") for row in rows]
    return rows, best[0]


def transfer_rows(work: Path, recipe: str, parallel: int) -> tuple[list[str], list[str]]:
    """The transfer table's rows (alone, all, leave one out) and the all-four fit's test rows."""
    genres = list(GENRES)
    mixes = {f"{g} alone": [g] for g in genres}
    mixes["all four (shipped recipe)"] = genres
    mixes.update({f"all but {g}": [h for h in genres if h != g] for g in genres})
    folder = {
        name: work / slug(recipe) if len(mix) == len(genres) else work / slug(name) for name, mix in mixes.items()
    }
    fits, failed = run_all(
        [(name, 0) for name in mixes],
        lambda name, _: fit_tagger(mixes[name], folder[name], weights(RECIPES[recipe], mixes[name])),
        parallel,
    )
    if failed:
        raise SystemExit(f"transfer fits failed: {[name for name, _ in failed]}")
    rows, tests, tagged = [], [], {}
    for name, mix in mixes.items():
        ckpt = fits[(name, 0)]
        docs = tagged[name] = labelled(ckpt, genres)
        scores = crossfitted(SHIPPED_KIND, [d for d in docs if d.group in mix])
        ranker = fit_ranker(ckpt, mix, folder[name] / "ranked.ckpt", SHIPPED_KIND)
        scores.update(unseen(ranker, [d for d in docs if d.group not in mix]))
        cells = " | ".join(f"{scores[g]:.3f}" if g in mix else f"*{scores[g]:.3f}*" for g in genres)
        rows.append(f"| {name} | {cells} | {sum(scores.values()) / len(scores):.3f} |")
        print(rows[-1], file=sys.stderr, flush=True)
        if len(mix) == len(genres):
            for test, file in TESTS.items():
                corpus = read_corpus(SHARED / file)
                tests.append(f"| {test} | {f1_at_10(ranked(ranker, corpus)[0], corpus):.3f} |")
    return rows, tests, cost_rows(tagged, genres)


def cost_rows(tagged: dict[str, list], genres: list[str]) -> list[str]:
    """Where each genre's F1@10 goes when one model serves all four: its tagger, its ranker, or both general.

    For each genre, four cross-fitted figures: the tagger fitted on that genre alone or on all four,
    each with a candidate ranker fitted on that genre's dev documents alone or on all four genres'.
    """
    rows = []
    for genre in genres:
        cells = []
        for tagger in (f"{genre} alone", "all four (shipped recipe)"):
            docs = tagged[tagger]
            alone = crossfitted(SHIPPED_KIND, [d for d in docs if d.group == genre])[genre]
            cells += [alone, crossfitted(SHIPPED_KIND, docs)[genre]]
        rows.append(f"| {genre} dev | {' | '.join(figure(c) for c in cells)} |")
        print(rows[-1], file=sys.stderr, flush=True)
    return rows


def weights(recipe: dict[str, float], genres: list[str]) -> list[str]:
    """The ``fit`` flags of a recipe's corpus weights, for the corpora of ``genres`` only."""
    if len(genres) == 1:  # one corpus: its documents are not named by corpus, and there is nothing to weigh
        return []
    present = {GENRES[g][0].split("/")[0] for g in genres}
    kept = {corpus: w for corpus, w in recipe.items() if corpus in present}
    return ["--data.corpus_weights", "{" + ", ".join(f"{c}: {w}" for c, w in kept.items()) + "}"] if kept else []


def figure(value: float) -> str:
    """A table's F1 figure."""
    return f"{value:.3f}"


def slug(name: str) -> str:
    """A folder name for a recipe or a mix."""
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workdir", type=Path, default=None, help="where to prepare and fit (default: a temporary folder)")
    ap.add_argument("--parallel", type=int, default=1, help="fits at a time (one thread each)")
    ap.add_argument("--out", type=Path, default=RESULTS / "generalization.md")
    args = ap.parse_args(argv)
    genres = list(GENRES)
    base = {g: baselines(dev(g)) for g in genres}
    with tempfile.TemporaryDirectory() as tmp:
        work = (args.workdir or Path(tmp)).resolve()
        recipes, chosen = recipe_rows(work, args.parallel)
        transfer, tests, costs = transfer_rows(work, chosen, args.parallel)
    names = " | ".join(f"{g} dev" for g in genres)
    line = " | ".join
    beside = [  # YAKE and term frequency beside every table's rows, on the same dev splits
        f"| YAKE 0.7.3 (n=3, top 20) |{{}} {line(figure(base[g]['YAKE'][0]) for g in genres)} | "
        f"{figure(sum(base[g]['YAKE'][0] for g in genres) / len(genres))} |",
        f"| plain term frequency |{{}} {line(figure(base[g]['TF'][0]) for g in genres)} | "
        f"{figure(sum(base[g]['TF'][0] for g in genres) / len(genres))} |",
    ]
    lines = [
        "# Generalization: four genres, the recipe that ships, and leave-one-genre-out",
        "",
        header(command("generalization", argv if argv is not None else sys.argv[1:])),
        "F1@10 of the reference scorer (`benchmarks/scoring.py`), Porter-stemmed, against all gold keyphrases, on each",
        f"genre's dev split; GloVe `{GLOVE.name}`; `benchmarks/genres.py` and `benchmarks/transfer.py` say how.",
        "",
        "## The baselines, on the same texts",
        "",
        f"| tool | {names} |",
        "|---|" + "---:|" * len(genres),
        f"| YAKE 0.7.3 (n=3, top 20) | {line(figure(base[g]['YAKE'][0]) for g in genres)} |",
        f"| plain term frequency | {line(figure(base[g]['TF'][0]) for g in genres)} |",
        f"| the better of the two | {line(figure(max(v for v, _ in base[g].values())) for g in genres)} |",
        "",
        "## Recipes: each kind of ranker on each recipe's tagger, cross-fitted on the four dev splits",
        "",
        f"| recipe | ranker | {names} | macro |",
        "|---|---|" + "---:|" * (len(genres) + 1),
        *recipes,
        *(row.format(" |") for row in beside),
        "",
        f"## Transfer: the chosen recipe ({chosen}, {SHIPPED_KIND} ranker) on each mix of genres",
        "",
        "*Italics*: a genre the fit never saw (neither its tagger nor its ranker).",
        "",
        f"| trained on | {names} | macro |",
        "|---|" + "---:|" * (len(genres) + 1),
        *transfer,
        *(row.format("") for row in beside),
        "",
        "The fit on all four on the test splits (its ranker fitted on the four dev splits):",
        "",
        "| test split | F1@10 |",
        "|---|---:|",
        *tests,
        "",
        "## What one model for four genres costs each genre",
        "",
        "Each genre's dev F1@10 (cross-fitted, candidate ranker) with its tagger fitted on the genre alone or",
        "on all four, and its ranker fitted on that genre's dev documents alone or on all four genres':",
        "",
        "| genre | tagger alone, ranker alone | tagger alone, ranker on four | tagger on four, ranker alone "
        "| tagger on four, ranker on four (shipped) |",
        "|---|---:|---:|---:|---:|",
        *costs,
    ]
    write_results(args.out, "\n".join(lines) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
