"""Files in, keyphrases out: ``KeywordExtractor`` with a ``Path`` and ``extract`` over a folder of mixed files.

A tiny checkpoint (tests/serving.py), files built from a known text (benchmarks/make_files.py).
"""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest

from benchmarks.make_files import write_bad_files, write_docx, write_html, write_markdown, write_pdf
from keyword_lightning import KeywordExtractor
from keyword_lightning.documents import DocumentError
from tests.conftest import run_cli, run_env
from tests.serving import make_tiny_checkpoint
from tests.test_documents import TITLE, paragraphs


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory) -> Path:
    return make_tiny_checkpoint(tmp_path_factory.mktemp("files"))


@pytest.fixture(scope="module")
def extractor(ckpt) -> KeywordExtractor:
    return KeywordExtractor.from_checkpoint(ckpt, threads=1)


def phrases(ranked: list[dict]) -> list[tuple[str, float, int]]:
    return [(k["text"], round(k["score"], 6), len(k["occurrences"])) for k in ranked]


def test_keyphrases_of_a_pdf_are_those_of_its_text_with_pages(extractor, tmp_path):
    paras = paragraphs(30, seed=4)
    pdf = write_pdf(tmp_path / "paper.pdf", TITLE, paras)
    from_file = extractor.keyphrases(pdf)
    text = extractor.read([pdf])[0][0]
    assert phrases(from_file) == phrases(extractor.keyphrases(text)) and from_file
    assert " ".join(text.split()) == " ".join([TITLE, *paras])
    pages = extractor.read([pdf])[1][0].pages
    assert pages >= 3
    for k in from_file:
        assert k["page"] == min(k["pages"]) and set(k["pages"]) <= set(range(1, pages + 1))
    assert any(max(k["pages"]) >= 3 for k in from_file)  # pages past the first are found
    occurrences = extractor.extract(pdf)
    assert occurrences and all(1 <= k["page"] <= pages for k in occurrences)


def test_a_str_stays_text_and_records_name_the_file(extractor, tmp_path):
    html = write_html(tmp_path / "page.html", TITLE, paragraphs(2, seed=5))
    as_text = extractor.predict([str(html)])[0]  # a path given as str is text: tagged as it is, not read
    assert "source" not in as_text and "".join(as_text["tokens"]) == str(html)
    record, plain = extractor.predict([html, "graph theory and optimization"])
    assert record["id"] == str(html) and plain["id"] == "1" and "source" not in plain
    assert record["source"] == {"name": str(html), "kind": "html", "title": TITLE, "pages": None}
    assert all("page" not in k for k in record["ranked"])  # no pages in an HTML page
    with pytest.raises(DocumentError, match="encrypted.pdf: encrypted PDF"):
        write_bad_files(tmp_path / "bad", paragraphs(3))
        extractor.keyphrases(tmp_path / "bad" / "encrypted.pdf")


def test_extract_over_a_folder_of_mixed_files_writes_each_once_and_the_bad_ones_to_errors(ckpt, tmp_path):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    good = {
        "a.pdf": write_pdf(src / "a.pdf", TITLE, paragraphs(30, seed=6)),
        "b.html": write_html(src / "b.html", TITLE, paragraphs(2, seed=7)),
        "sub/c.docx": write_docx(src / "sub" / "c.docx", TITLE, paragraphs(2, seed=8)),
        "d.md": write_markdown(src / "d.md", TITLE, paragraphs(2, seed=9)),
        "e.txt": src / "e.txt",
    }
    good["e.txt"].write_text("We study graph theory and optimization.")
    bad = {f"bad/{name}": word for name, word in write_bad_files(src / "bad", paragraphs(4)).items()}
    out = tmp_path / "out"
    args = ["extract", "--ckpt_path", ckpt, "--input", src, "--output", out, "--workers", "2", "--shard-mb", "0.01"]
    proc = run_cli(args, tmp_path, env=run_env(OMP_NUM_THREADS="1"))
    assert f"{len(bad)} failed (see errors.jsonl)" in proc.stderr
    found = [json.loads(line) for shard in sorted(out.glob("part-*.jsonl")) for line in shard.open()]
    counts = collections.Counter(r["id"] for r in found)
    assert counts == collections.Counter(list(good))  # every good file once, named by its path in the folder
    errors = {e["id"]: e["reason"] for e in map(json.loads, (out / "errors.jsonl").open())}
    assert set(errors) == set(bad) and all(word in errors[name] for name, word in bad.items())
    by_id = {r["id"]: r for r in found}
    assert by_id["a.pdf"]["source"]["kind"] == "pdf" and by_id["a.pdf"]["source"]["pages"] >= 3
    assert all(k["page"] >= 1 for k in by_id["a.pdf"]["keyphrases"])
    assert by_id["sub/c.docx"]["source"]["title"] == TITLE and "source" not in by_id["e.txt"]
    again = run_cli(args, tmp_path, env=run_env(OMP_NUM_THREADS="1"))  # a re-run: everything done, nothing twice
    assert "already done" in again.stderr
    assert sum(1 for shard in out.glob("part-*.jsonl") for _ in shard.open()) == len(good)


def test_predict_reads_a_folder_of_mixed_files_and_a_single_pdf(ckpt, tmp_path):
    from keyword_lightning.data.formats import DataError
    from keyword_lightning.data.inputs import read_predict_input

    folder = tmp_path / "docs"
    folder.mkdir()
    paras = paragraphs(30, seed=13)
    write_pdf(folder / "b.pdf", TITLE, paras)
    write_markdown(folder / "a.md", TITLE, paragraphs(2, seed=14))
    (folder / "c.txt").write_text("graph theory")
    (folder / "notes.json").write_text("{}")
    docs = read_predict_input(str(folder))
    assert [d.id for d in docs] == ["a.md", "b.pdf", "c.txt"]
    assert " ".join(docs[1].text.split()) == " ".join([TITLE, *paras])
    (single,) = read_predict_input(str(folder / "b.pdf"))
    assert single.id == "b.pdf" and single.text == docs[1].text
    write_bad_files(tmp_path / "bad", paragraphs(3))
    with pytest.raises(DataError, match="scanned.pdf: no text layer"):
        read_predict_input(str(tmp_path / "bad" / "scanned.pdf"))
    out = tmp_path / "predictions.jsonl"
    run_cli(["predict", "--ckpt_path", ckpt, "--data.predict_file", folder, "--trainer.callbacks.output_path", out,
             "--threads", "1", "--quiet"], tmp_path)  # fmt: skip
    assert [json.loads(line)["id"] for line in out.open()] == ["a.md", "b.pdf", "c.txt"]
    bad = run_cli(["predict", "--ckpt_path", ckpt, "--data.predict_file", tmp_path / "bad" / "encrypted.pdf",
                   "--threads", "1"], tmp_path, check=False)  # fmt: skip
    last = bad.stderr.strip().splitlines()[-1]
    assert bad.returncode == 2 and "encrypted.pdf: encrypted PDF (it needs a password to open)" in last
