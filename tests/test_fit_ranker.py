"""``keyword-lightning fit-ranker``: a checkpoint's ranker fitted on the user's documents, the tagger kept;
the figures it was chosen by against ``scoring.choice.choose`` on the same documents; bad input in one line,
no output."""

from __future__ import annotations

import hashlib
import json

import pytest
import torch

from keyword_lightning.model.checkpoint import CHECKPOINT_KEY, read_checkpoint
from tests.conftest import TINY_DOCS, run_cli

TAGS = {"B-KEY", "I-KEY"}


def jsonl_documents(path, copies: int = 4):
    """TINY_DOCS as ``{"text", "keyphrases"}`` lines (tokens joined by spaces), ``copies`` times."""
    lines = []
    for i in range(copies):
        for d, doc in enumerate(TINY_DOCS):
            phrases, current = [], []
            for token, tag in doc:
                if tag == "B-KEY" or (tag == "O" and current):
                    phrases += [" ".join(current)] if current else []
                    current = [token] if tag == "B-KEY" else []
                elif tag == "I-KEY":
                    current.append(token)
            phrases += [" ".join(current)] if current else []
            text = " ".join(token for token, _ in doc)
            lines.append(json.dumps({"id": f"{i}-{d}", "text": text, "keyphrases": phrases}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_fit_ranker_writes_a_copy_with_the_ranker_chosen_on_the_documents(tiny_checkpoint, tmp_path):
    from keyword_lightning.inference.extractor import KeywordExtractor
    from keyword_lightning.inference.fit_ranker import read_groups
    from keyword_lightning.inference.labelling import labelled_documents
    from keyword_lightning.scoring.choice import choose

    docs = jsonl_documents(tmp_path / "mine.jsonl")
    words = tmp_path / "words.txt"
    words.write_text("the\nof\nnetworks\ngraph\n", encoding="utf-8")  # a frequency list, most common first
    before = digest(tiny_checkpoint)
    out = tmp_path / "out" / "mine.ckpt"
    args = ["fit-ranker", "--ckpt_path", tiny_checkpoint, "--documents", docs, "--output", out, "--common-words", words]
    done = run_cli(args, tmp_path)
    assert done.stdout == "" and "16 documents" in done.stderr and f"wrote {out}" in done.stderr
    assert digest(tiny_checkpoint) == before  # the input checkpoint is never changed
    old, new = torch.load(tiny_checkpoint, weights_only=True), torch.load(out, weights_only=True)
    assert all(torch.equal(old["state_dict"][k], new["state_dict"][k]) for k in old["state_dict"])  # the tagger kept
    state = read_checkpoint(out)[CHECKPOINT_KEY]["ranker"]
    assert state["validation"]["documents"] == 16 and state["fitted_on"] == ["mine.jsonl"]
    assert set(state["validation"]) == {"documents", "hand", "logistic", "candidates"}
    # The same choice as scoring.choice.choose on the same documents, tagged as fit-ranker tags them.
    extractor = KeywordExtractor.from_checkpoint(tiny_checkpoint, threads=1)
    common = {"the": 0, "of": 1, "networks": 2, "graph": 3}
    documents = labelled_documents(extractor, read_groups([str(docs)])["mine.jsonl"], "mine.jsonl", common)
    chosen, figures = choose(documents, common_words=list(common))
    assert state["kind"] == chosen.kind
    for kind, figure in figures.items():  # each kind's cross-fitted figures, as fit-ranker recorded them
        assert state["validation"][kind] == pytest.approx({k: v for k, v in figure.items() if v == v}, abs=1e-6)
    assert KeywordExtractor.from_checkpoint(out, threads=1).ranker.kind == chosen.kind
    # Gold keys are the stems of the keyphrases' tokens, as the ranking's keys are.
    assert ("graph", "theori") in documents[1].gold and ("optim",) in documents[1].gold


def test_fit_ranker_fits_the_kind_it_is_asked_for(tiny_checkpoint, tmp_path):
    from keyword_lightning.inference.extractor import KeywordExtractor

    docs = jsonl_documents(tmp_path / "mine.jsonl")
    out = tmp_path / "mine.ckpt"
    base = ["fit-ranker", "--ckpt_path", tiny_checkpoint, "--documents", docs, "--output", out]
    run_cli([*base, "--kinds", "candidates"], tmp_path)
    ranker = KeywordExtractor.from_checkpoint(out, threads=1).ranker
    assert ranker.kind == "candidates" and ranker.common_words == []  # no --common-words: no frequency list
    done = run_cli([*base, "--kinds", "forest"], tmp_path, check=False)
    assert done.returncode == 2 and "--kinds forest" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_conll_documents_read_as_jsonl_ones(tmp_path):
    from keyword_lightning.data.readers import read_labelled_texts
    from tests.conftest import write_conll

    conll = read_labelled_texts(write_conll(tmp_path / "mine.txt", TINY_DOCS))
    jsonl = read_labelled_texts(jsonl_documents(tmp_path / "mine.jsonl", copies=1))
    assert [(d["text"], d["keyphrases"]) for d in conll] == [(d["text"], d["keyphrases"]) for d in jsonl]


@pytest.mark.parametrize(
    "name, content, message",
    [
        (
            "mine.jsonl",
            '{"text": "graph theory", "keyphrases": ["graph theory"]}\n{"text": "x"\n',
            "mine.jsonl:2: not valid JSON",
        ),
        ("mine.jsonl", '{"text": "graph theory"}\n', "mine.jsonl:1: field 'keyphrases' is missing"),
        ("mine.jsonl", '{"text": "graph theory", "keyphrases": ["graph theory"]}\n', "1 document(s) with text"),
        ("mine.txt", "graph\tB-KEY\ntheory\tI-KEY\nand\n", "mine.txt:3"),
    ],
)
def test_bad_documents_end_in_one_line_and_keep_the_output(tiny_checkpoint, tmp_path, name, content, message):
    (tmp_path / name).write_text(content, encoding="utf-8")
    out = tmp_path / "mine.ckpt"
    out.write_bytes(b"an earlier output")
    args = ["fit-ranker", "--ckpt_path", tiny_checkpoint, "--documents", name, "--output", out]
    done = run_cli(args, tmp_path, check=False)
    assert done.returncode == 2 and message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert out.read_bytes() == b"an earlier output"  # nothing already written is lost
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []  # nor half-written


def test_a_missing_checkpoint_or_option_ends_in_one_line(tmp_path):
    docs = jsonl_documents(tmp_path / "mine.jsonl")
    for args in (["--ckpt_path", "nope.ckpt", "--documents", docs, "--output", "o.ckpt"], ["--documents", docs]):
        done = run_cli(["fit-ranker", *args], tmp_path, check=False)
        assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert done.stderr.startswith("keyword-lightning fit-ranker: error:") and not (tmp_path / "o.ckpt").exists()


def test_the_output_is_never_the_input_nor_a_folder(tiny_checkpoint, tmp_path):
    docs = jsonl_documents(tmp_path / "mine.jsonl")
    before = digest(tiny_checkpoint)
    (tmp_path / "folder").mkdir()
    for out, message in ((tiny_checkpoint, "would replace the input checkpoint"), (tmp_path / "folder", "is a folder")):
        done = run_cli(
            ["fit-ranker", "--ckpt_path", tiny_checkpoint, "--documents", docs, "--output", out], tmp_path, check=False
        )
        assert done.returncode == 2 and message in done.stderr and str(out) in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
    assert digest(tiny_checkpoint) == before and list((tmp_path / "folder").iterdir()) == []


def test_a_checkpoint_that_ranked_by_hand_ranks_by_the_fitted_ranker_after(tiny_checkpoint, tmp_path):
    from keyword_lightning.inference.extractor import KeywordExtractor
    from keyword_lightning.inference.fit_ranker import fit_ranker

    ckpt = torch.load(tiny_checkpoint, weights_only=True)
    ckpt["hyper_parameters"]["decoding"]["ranker"] = "hand"
    torch.save(ckpt, tmp_path / "hand.ckpt")
    assert KeywordExtractor.from_checkpoint(tmp_path / "hand.ckpt", threads=1).decoding.ranker == "hand"
    docs = jsonl_documents(tmp_path / "mine.jsonl")
    state = fit_ranker(tmp_path / "hand.ckpt", [str(docs), str(docs)], tmp_path / "out.ckpt", threads=1)
    assert state["validation"]["documents"] == 16 and state["fitted_on"] == ["mine.jsonl"]  # a file named twice: once
    assert KeywordExtractor.from_checkpoint(tmp_path / "out.ckpt", threads=1).decoding.ranker == "auto"


def test_an_internal_error_is_shown_as_one_not_as_a_users(tiny_checkpoint, tmp_path, monkeypatch, capsys):
    """numpy's LinAlgError is a ValueError: neither a ranker that "cannot be fitted" nor the user's input's fault."""
    import numpy as np

    from keyword_lightning.inference.fit_ranker import main
    from keyword_lightning.scoring import candidate_ranker, phrase_ranker

    def singular(*args, **kwargs):
        raise np.linalg.LinAlgError("Singular matrix")

    for module in (phrase_ranker, candidate_ranker):  # both rankers' fits solve with it
        monkeypatch.setattr(module, "newton", singular)
    docs = jsonl_documents(tmp_path / "mine.jsonl")
    with pytest.raises(SystemExit) as exit_:
        main(["--ckpt_path", str(tiny_checkpoint), "--documents", str(docs), "--output", str(tmp_path / "o.ckpt")])
    err = capsys.readouterr().err
    assert exit_.value.code == 1 and "Traceback" in err and not (tmp_path / "o.ckpt").exists()
    last = err.strip().splitlines()[-1]
    assert last.startswith("keyword-lightning fit-ranker: internal error: LinAlgError: Singular matrix (a fault")
    assert "fit-ranker: error:" not in err
