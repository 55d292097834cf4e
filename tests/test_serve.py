"""keyword-lightning serve: a tiny checkpoint behind LitServe, in a child process on a loopback port."""

import json
import signal
import subprocess
import sys
import threading
import time

import pytest
import torch

from keyword_lightning import KeywordExtractor
from tests.conftest import run_env
from tests.serving import Server, make_tiny_checkpoint

# Small limits, so that the refused requests are cheap to send.
LIMITS = ["--max_body_mb", "0.05", "--max_texts", "4", "--max_chars", "30000", "--max_file_mb", "1"]
TEXTS = [
    "A survey of graph theory in optimization.",
    "Neural networks learn keyphrase extraction.",
    "",
    "We study graph theory and optimization \u2014 caf\u00e9 \U0001f600 neural networks.",
]


@pytest.fixture(scope="module")
def tiny_ckpt(tmp_path_factory):
    return make_tiny_checkpoint(tmp_path_factory.mktemp("serve"))


@pytest.fixture(scope="module")
def server(tiny_ckpt):
    srv = Server(tiny_ckpt, *LIMITS, "--max_batch_size", "8")
    yield srv
    assert srv.stop() == 0, srv.output()[-3000:]


def expected(ckpt, texts):
    """The extractor's records, computed here with one torch thread, as the server's worker runs.

    (Two threads on cores that other processes keep busy can be many times slower than one.)
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return KeywordExtractor.from_checkpoint(ckpt).predict(texts)
    finally:
        torch.set_num_threads(threads)


def test_health_page_and_one_text(server, tiny_ckpt):
    assert server.request("GET", "/health")[::2] == (200, b"ok")
    status, headers, page = server.request("GET", "/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert b"<textarea" in page and b"http" not in page.split(b"<body>")[1]  # no external assets
    status, body = server.post({"text": TEXTS[0]})
    assert status == 200
    assert body == {"records": expected(tiny_ckpt, TEXTS[:1])}
    assert any(k["text"] == "graph theory" for k in body["records"][0]["keyphrases"])


def test_a_list_comes_back_in_request_order_as_the_extractor_gives_it(server, tiny_ckpt):
    status, body = server.post({"texts": TEXTS})
    assert status == 200
    assert body["records"] == expected(tiny_ckpt, TEXTS)
    status, body = server.post({"texts": TEXTS[::-1]})
    assert [r["tokens"] for r in body["records"]] == [r["tokens"] for r in expected(tiny_ckpt, TEXTS[::-1])]
    assert [r["id"] for r in body["records"]] == ["0", "1", "2", "3"]


def test_curl_style_form_content_type_is_read_as_json(server):
    form = {"Content-Type": "application/x-www-form-urlencoded"}  # what curl -d sends
    status, _, raw = server.request("POST", "/predict", json.dumps({"text": TEXTS[1]}).encode(), form)
    assert status == 200 and json.loads(raw)["records"][0]["tokens"][0] == "Neural"


def test_many_clients_at_once_each_get_their_own_answer(server, tiny_ckpt):
    texts = [f"Graph theory number {i} and neural networks of optimization {i}." for i in range(48)]
    want = {t: r["tokens"] for t, r in zip(texts, expected(tiny_ckpt, texts))}
    got, errors = {}, []

    def client(k):
        for t in texts[k::8]:
            status, body = server.post({"text": t})
            if status != 200:
                errors.append(status)
            got[t] = body["records"][0]["tokens"]

    threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and got == want


BAD = [
    (b"this is not json", 400, "not JSON"),
    (b'{"text": "caf\xe9"}', 400, "UTF-8"),
    (b'{"text": 42}', 422, "must be a string"),
    (b'{"texts": "one"}', 422, "must be a list"),
    (b'{"texts": [1, 2]}', 422, "texts[0] must be a string"),
    (b'{"texts": []}', 422, "empty list"),
    (b'{"text": "a", "extra": 1}', 422, "unknown field"),
    (b"[" * 40000, 400, "not JSON"),
    (b'{"text": "\\udc80"}', 422, "surrogate"),
    (json.dumps({"texts": ["a"] * 5}).encode(), 413, "5 texts"),
    (json.dumps({"text": "x " * 20000}).encode(), 413, "characters"),
    (json.dumps({"text": "x" * 60000}).encode(), 413, "bytes"),
]


@pytest.mark.parametrize(("body", "status", "words"), BAD, ids=[w for _, _, w in BAD])
def test_bad_requests_get_a_4xx_json_message_and_the_server_keeps_serving(server, body, status, words):
    got, headers, raw = server.request("POST", "/predict", body, {"Content-Type": "application/json"})
    assert got == status, raw
    assert headers["content-type"] == "application/json"
    assert words in json.loads(raw)["error"]
    assert server.post({"text": TEXTS[0]})[0] == 200  # still answering


def test_over_the_limit_by_content_length_alone(server):
    # A declared body far over the limit is refused without being kept (the rest is drained).
    body = b'{"text": "' + b"y" * 200_000 + b'"}'
    got, _, raw = server.request("POST", "/predict", body, {"Content-Type": "application/json"})
    assert got == 413 and "bytes" in json.loads(raw)["error"]
    assert server.post({"text": TEXTS[1]})[0] == 200


def test_a_text_longer_than_the_model_handles_is_chunked_not_refused(server, tiny_ckpt):
    text = "We study graph theory and optimization . " * 400  # 2,800 tokens, max_length 1,000
    status, body = server.post({"text": text})
    assert status == 200
    (record,) = body["records"]
    assert len(record["tokens"]) == len(record["tags"]) == 2800
    assert record == expected(tiny_ckpt, [text])[0]
    assert all(text[k["start_char"] : k["end_char"]] == k["text"] for k in record["keyphrases"])


def test_other_routes_and_methods_are_4xx(server):
    assert server.request("GET", "/predict")[0] == 405
    assert server.request("GET", "/nope")[0] == 404


def test_sigterm_answers_the_requests_in_flight_then_exits_0(tiny_ckpt):
    srv = Server(tiny_ckpt, "--max_batch_size", "1")
    texts = ["We study graph theory and optimization of neural networks. " * 80] * 150  # ~0.7M chars
    results, done_at = [], []

    def big():
        results.append(srv.post({"texts": texts}, timeout=120))
        done_at.append(time.time())

    threads = [threading.Thread(target=big) for _ in range(3)]  # one in the model, two queued behind it
    for t in threads:
        t.start()
    time.sleep(0.5)
    sent = time.time()
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(90) == 0, srv.output()[-3000:]
    for t in threads:
        t.join()
    assert [status for status, _ in results] == [200] * 3, results
    assert all(len(body["records"]) == 150 for _, body in results)
    assert max(done_at) > sent, "no request was still in flight at SIGTERM: make them bigger"
    with pytest.raises(OSError):
        srv.request("GET", "/health", timeout=2)


@pytest.mark.parametrize("content", [b"not a checkpoint at all", None])
def test_a_bad_checkpoint_refuses_to_start_in_one_line(tmp_path, content):
    ckpt = tmp_path / "model.ckpt"
    if content is not None:
        ckpt.write_bytes(content)
    proc = subprocess.run(
        [sys.executable, "-m", "keyword_lightning.cli", "serve", "--ckpt_path", str(ckpt)],
        env=run_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("keyword-lightning serve: error: "), proc.stderr
    assert "model.ckpt" in lines[0]


def test_best_without_a_fit_run_is_one_line_too(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "keyword_lightning.serve", "--ckpt_path", "best"],
        cwd=tmp_path,
        env=run_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0
    assert "no earlier fit run" in proc.stderr


def test_serve_help_needs_no_lightning_cli():
    proc = subprocess.run(
        [sys.executable, "-m", "keyword_lightning.cli", "serve", "--help"],
        env=run_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0 and "--max_batch_size" in proc.stdout and "--trainer" not in proc.stdout


def test_the_api_answers_a_bad_request_alone_and_isolates_a_failing_one(tiny_ckpt, monkeypatch):
    tiny_checkpoint = tiny_ckpt
    from keyword_lightning.serve.api import KeywordAPI
    from keyword_lightning.serve.requests import Limits

    api = KeywordAPI(str(tiny_checkpoint), Limits(max_texts=2), max_batch_size=4)
    api.setup("cpu")
    inputs = [api.decode_request(r) for r in ({"text": TEXTS[0]}, {"texts": ["a", "b", "c"]}, {"texts": TEXTS[:2]})]
    responses = [api.encode_response(out) for out in api.predict(api.batch(inputs))]
    assert [r.status_code for r in responses] == [200, 413, 200]
    assert json.loads(responses[2].body)["records"] == expected(tiny_checkpoint, TEXTS[:2])
    assert "over 2" in json.loads(responses[1].body)["error"]

    real = api.extractor.predict

    def broken(texts):
        if "boom" in texts:
            raise RuntimeError("boom")
        return real(texts)

    monkeypatch.setattr(api.extractor, "predict", broken)
    outs = api.predict([[TEXTS[0]], ["boom"], [TEXTS[1]]])
    responses = [api.encode_response(out) for out in outs]
    assert [r.status_code for r in responses] == [200, 500, 200]
    assert json.loads(responses[0].body)["records"] == expected(tiny_checkpoint, TEXTS[:1])


def test_workers_default_to_one_per_core_at_most_four(monkeypatch):
    from keyword_lightning.serve import api as serve

    for cores, expected in ((1, 1), (2, 2), (16, serve.MAX_AUTO_WORKERS), (None, 1)):
        monkeypatch.setattr(serve.os, "cpu_count", lambda cores=cores: cores)
        assert serve.worker_count(0, "cpu") == expected
    assert serve.worker_count(0, "gpu") == 1
    assert serve.worker_count(3, "cpu") == 3
    assert serve.parser().parse_args(["--ckpt_path", "x"]).workers == 0


def test_the_worker_trims_its_heap_every_few_batches():
    from keyword_lightning.serve.loop import SteadyMalloc

    memory, trims = SteadyMalloc(), []
    memory._trim = trims.append  # glibc's malloc_trim, counted instead
    for _ in range(3 * SteadyMalloc.TRIM_EVERY + 1):
        memory.after_batch()
    assert trims == [0, 0, 0]


# ----------------------------------------------------------------------------- file uploads (multipart/form-data)


def multipart(filename: str, data: bytes, field: str = "file") -> tuple[bytes, dict]:
    """A ``multipart/form-data`` body with one file, as a browser's form sends it, and its headers."""
    boundary = "kwboundary7MA4YWxkTrZu0gW"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n").encode()  # fmt: skip
    body = head + data + f"\r\n--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    from benchmarks.make_files import write_bad_files, write_pdf
    from tests.test_documents import TITLE, paragraphs

    folder = tmp_path_factory.mktemp("uploads")
    write_pdf(folder / "paper.pdf", TITLE, paragraphs(30, seed=11))
    write_bad_files(folder, paragraphs(4))
    (folder / "huge.pdf").unlink()  # 500 MB: the server's own limit is what is tested here
    (folder / "big.pdf").write_bytes(b"%PDF-1.4\n" + b"0" * (2 * 2**20))
    return folder


def test_an_uploaded_pdf_gets_its_record_with_pages_and_what_was_read(server, tiny_ckpt, files):
    from pathlib import Path

    body, headers = multipart("C:\\Users\\me\\paper.pdf", (files / "paper.pdf").read_bytes())
    status, _, raw = server.request("POST", "/predict", body, headers)
    assert status == 200, raw
    answer = json.loads(raw)
    (record,) = answer["records"]
    document = answer["document"]
    assert record["id"] == document["name"] == "paper.pdf"  # the client's folders are not kept
    assert document["kind"] == "pdf" and document["pages"] >= 3 and record["source"]["pages"] == document["pages"]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        (want,) = KeywordExtractor.from_checkpoint(tiny_ckpt).predict([Path(files / "paper.pdf")], ["paper.pdf"])
    finally:
        torch.set_num_threads(threads)
    assert record["ranked"] == json.loads(json.dumps(want["ranked"])) and record["ranked"]
    assert all(k["page"] >= 1 for k in record["keyphrases"]) and all(k["pages"] for k in record["ranked"])
    assert all(document["text"][k["start_char"] : k["end_char"]] == k["text"] for k in record["keyphrases"])


UPLOADS = [
    ("truncated.pdf", 422, "truncated PDF"),
    ("encrypted.pdf", 422, "encrypted PDF"),
    ("scanned.pdf", 422, "no text layer"),
    ("page.pdf", 422, "not a PDF (it holds HTML)"),
    ("legacy.docx", 422, "not a Word .docx"),
    ("binary.md", 422, "not text"),
    ("bomb.docx", 413, "zip bomb"),
    ("big.pdf", 413, "request body over"),
]


@pytest.mark.parametrize(("name", "status", "words"), UPLOADS, ids=[n for n, _, _ in UPLOADS])
def test_a_bad_upload_gets_a_4xx_naming_the_file_and_the_server_keeps_serving(server, files, name, status, words):
    body, headers = multipart(name, (files / name).read_bytes())
    got, _, raw = server.request("POST", "/predict", body, headers)
    assert got == status, raw
    error = json.loads(raw)["error"]
    assert words in error and "\n" not in error and (status == 413 and "body" in error or error.startswith(name))
    assert server.post({"text": TEXTS[0]})[0] == 200  # still answering


def test_a_form_without_a_file_or_a_broken_form_is_400(server):
    body, headers = multipart("notes.txt", b"graph theory", field="document")
    got, _, raw = server.request("POST", "/predict", body, headers)
    assert got == 400 and "field named 'file'" in json.loads(raw)["error"]
    got, _, raw = server.request("POST", "/predict", b"garbage", {"Content-Type": "multipart/form-data"})
    assert got == 400 and "multipart" in json.loads(raw)["error"]
    assert server.post({"text": TEXTS[1]})[0] == 200
