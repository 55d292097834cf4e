import pytest

from keyword_lightning.text import normalize_token, tokenize


@pytest.mark.parametrize(
    "text",
    [
        "Real-time systems (RTS) don't use C++, i.e. version 2.0's I/O.",
        "Émoji 🚀 rockets, עברית RTL text, cafe\u0301 combining, zero\u200bwidth.",
        "",
        "   ",
        "a",
    ],
)
def test_offsets_slice_back_to_tokens(text):
    for token, start, end in tokenize(text):
        assert text[start:end] == token
        assert token.strip() == token and token


def test_ptb_style_splits():
    tokens = [t for t, _, _ in tokenize("The system's users don't (often) wait.")]
    assert tokens == ["The", "system", "'s", "users", "do", "n't", "(", "often", ")", "wait", "."]


def test_normalize_undoes_ptb_escapes():
    assert normalize_token("-LRB-", lowercase=True) == "("
    assert normalize_token("(", lowercase=True) == "("
    assert normalize_token("Neural", lowercase=True) == "neural"
    assert normalize_token("Neural", lowercase=False) == "Neural"


def test_zero_width_characters_are_not_tokens():
    assert [t for t, _, _ in tokenize("a \u200b b")] == ["a", "b"]
