"""serve/requests.py: what POST /predict accepts, checked without a server."""

import json

import pytest

from keyword_lightning.serve.requests import Limits, RequestError, error_body, parse_body, texts_of

LIMITS = Limits(max_body_bytes=1000, max_texts=3, max_chars=200)


def refused(body: bytes, limits: Limits = LIMITS) -> RequestError:
    with pytest.raises(RequestError) as info:
        parse_body(body, limits)
    err = info.value
    assert 400 <= err.status < 500 and err.message and "\n" not in err.message
    return err


def test_one_text_or_a_list_in_order():
    assert parse_body(b'{"text": "Fuzzy control."}', LIMITS) == ["Fuzzy control."]
    assert parse_body(json.dumps({"texts": ["b", "a", ""]}).encode(), LIMITS) == ["b", "a", ""]
    text = "caf\u00e9 \u4e2d\u6587 \U0001f600"
    assert parse_body(("\ufeff" + json.dumps({"text": text}, ensure_ascii=False)).encode(), LIMITS) == [text]


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"not json", 400, "not JSON"),
        (b"", 400, "not JSON"),
        (b'{"text": "caf\xe9"}', 400, "not valid UTF-8 (byte 13)"),
        (b"[" * 900, 400, "not JSON"),
        (b'["a"]', 422, "got a list"),
        (b'"a"', 422, "got a string"),
        (b"null", 422, "got null"),
        (b'{"text": 3}', 422, "'text' must be a string, got a number"),
        (b'{"text": null}', 422, "got null"),
        (b'{"texts": "a"}', 422, "'texts' must be a list"),
        (b'{"texts": []}', 422, "empty list"),
        (b'{"texts": ["a", 2]}', 422, "texts[1] must be a string"),
        (b'{"texts": [["a"]]}', 422, "texts[0] must be a string, got a list"),
        (b'{"text": "a", "texts": ["b"]}', 422, "exactly one"),
        (b"{}", 422, "exactly one"),
        (b'{"txt": "a"}', 422, "unknown field 'txt'"),
        (b'{"text": "a \\ud800 b"}', 422, "unpaired surrogate at character 2"),
        (b'{"texts": ["a", "b", "c", "d"]}', 413, "4 texts in one request, over 3"),
        (json.dumps({"text": "x" * 201}).encode(), 413, "201 characters in one request, over 200"),
        (json.dumps({"text": "x" * 1000}).encode(), 413, "over 1000 bytes"),
    ],
)
def test_bad_requests_get_a_4xx_and_a_message(body, status, words):
    err = refused(body)
    assert err.status == status
    assert words in err.message


def test_deep_nesting_is_a_400_not_a_recursion_crash():
    deep = b"[" * 200_000 + b"]" * 200_000
    assert refused(deep, Limits(max_body_bytes=10**6)).status == 400


def test_a_text_longer_than_the_model_handles_is_not_refused():
    text = "graph theory " * 5000  # far over max_length (1000 tokens): tagged chunk by chunk
    assert parse_body(json.dumps({"text": text}).encode(), Limits()) == [text]


def test_texts_of_and_error_body():
    assert texts_of({"texts": ["a"]}, LIMITS) == ["a"]
    assert json.loads(error_body('say "no"')) == {"error": 'say "no"'}


def test_a_document_body_is_what_an_upload_becomes_and_is_checked():
    from keyword_lightning.documents import SourceText
    from keyword_lightning.serve.requests import DocumentTexts, document_json, texts_of

    source = SourceText("Graph theory.\n\nOptimization.", "paper.pdf", "pdf", "Graph theory", (0, 15))
    texts = texts_of(json.loads(json.dumps(document_json(source))), Limits())
    assert isinstance(texts, DocumentTexts) and texts == [source.text] and texts.source == source
    for bad in ({"text": "x"}, {**document_json(source)["document"], "page_starts": [5, 2]},
                {**document_json(source)["document"], "page_starts": [0, 99]},
                {**document_json(source)["document"], "kind": "exe"}):  # fmt: skip
        with pytest.raises(RequestError) as caught:
            texts_of({"document": bad}, Limits())
        assert caught.value.status == 422
    with pytest.raises(RequestError, match="over 10"):
        texts_of(document_json(source), Limits(max_chars=10))
