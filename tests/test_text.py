import os
import subprocess
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keyword_lightning.text import TOKENIZERS, get_tokenizer, normalize_token, tokenize, tokenize_chars
from keyword_lightning.text import tokenizers as text_module
from tests.conftest import ROOT


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


# --------------------------------------------------------------------------- tokenizers by name

# Han (basic, extension A, extension B, compatibility), kana, Hangul, Latin, digits, full-width
# and ASCII punctuation and letters, spaces of several kinds, emoji, zero-width and other format
# characters, a combining accent and variation selectors.
MIXED = list(
    "基于深度学习的代码生成版水运工程项目中文㐀𠀀豈かなカナ한국어abcXYZ0129"
    "，。（）：；、“”！？【】《》ＧＰＵ１２"
    ".,;:'\"()-+/`_#%&"
) + [
    " ",
    "  ",
    "\t",
    "\n",
    "\u3000",
    "\u00a0",
    "🚀",
    "👍",
    "\u200b",
    "\u200d",
    "\ufeff",
    "\u00ad",
    "\u0301",
    "\ufe0f",
    "\U000e0100",
    "C++",
    "2.0",
    "real-time",
    "don't",
    "I/O",
    "U.S.",
]
mixed_text = st.lists(st.sampled_from(MIXED) | st.characters(), max_size=40).map("".join)


def _hidden(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch) == "Cf"


def _check_triples(text, triples, covers_every_visible_character):
    previous_end = 0
    for token, start, end in triples:
        assert text[start:end] == token and token
        assert not any(_hidden(ch) for ch in token), token
        assert start >= previous_end  # in order, not overlapping
        previous_end = end
    if covers_every_visible_character:
        covered = set()
        for _, start, end in triples:
            covered.update(range(start, end))
        assert [i for i, ch in enumerate(text) if not _hidden(ch) and i not in covered] == []


@pytest.mark.parametrize("name", TOKENIZERS)
@settings(max_examples=300, deadline=None)
@given(text=mixed_text)
def test_every_tokenizer_slices_back_in_order_and_keeps_every_visible_character(name, text):
    _check_triples(text, get_tokenizer(name)(text), covers_every_visible_character=True)


VARIATION_SELECTORS = "".join(map(chr, [*range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)]))


def _is_han(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith(("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH"))


@settings(max_examples=300, deadline=None)
@given(before=mixed_text, han=st.sampled_from("基㐀𠀀豈中〇") | st.characters().filter(_is_han), after=mixed_text)
def test_chars_makes_each_han_character_a_token_and_splits_the_rest_alone(before, han, after):
    after = after.lstrip(VARIATION_SELECTORS)  # one would join the Han character
    text = before + han + after
    shift = len(before) + 1
    expected = tokenize_chars(before) + [(han, len(before), shift)]
    expected += [(t, s + shift, e + shift) for t, s, e in tokenize_chars(after)]
    assert tokenize_chars(text) == expected


NO_HAN_NOR_KANA = [m for m in MIXED if not any(_is_han(ch) or "\u3040" <= ch <= "\u30ff" for ch in m)]


@settings(max_examples=300, deadline=None)
@given(text=st.lists(st.sampled_from(NO_HAN_NOR_KANA), max_size=30).map("".join))
def test_chars_splits_text_without_han_or_kana_as_ptb(text):
    assert tokenize_chars(text) == tokenize(text)


EXAMPLE = "基于深度学习的C++代码生成（2.0版）。"


def test_chars_on_mixed_chinese_latin_and_full_width_text():
    assert [t for t, _, _ in tokenize_chars(EXAMPLE)] == "基 于 深 度 学 习 的 C++ 代 码 生 成 （ 2.0 版 ） 。".split()
    text = "ＧＰＵ加速，real-time 系统\u200b！한국어 テスト 漢\U000e0100字"
    tokens = [t for t, _, _ in tokenize_chars(text)]
    assert tokens == "ＧＰＵ 加 速 ， real-time 系 统 ！ 한국어 テ ス ト 漢\U000e0100 字".split()


def test_ptb_and_jieba_on_the_example():
    assert [t for t, _, _ in tokenize(EXAMPLE)] == ["基于深度学习的C++", "代码生成", "（", "2.0", "版", "）", "。"]
    tokens = [t for t, _, _ in get_tokenizer("jieba")(EXAMPLE)]
    assert tokens == "基于 深度 学习 的 C++ 代码生成 （ 2.0 版 ） 。".split()
    assert get_tokenizer("jieba")("水运 \u200b工程") == [("水运", 0, 2), ("工程", 4, 6)]


def test_get_tokenizer_names():
    assert get_tokenizer("ptb") is tokenize and get_tokenizer("chars") is tokenize_chars
    with pytest.raises(ValueError, match=r"unknown tokenizer 'spacy' \(known: ptb, chars, jieba\)"):
        get_tokenizer("spacy")


def test_jieba_missing_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "jieba", None)  # import jieba raises ImportError
    text_module._jieba.cache_clear()
    try:
        with pytest.raises(ModuleNotFoundError, match=r"pip install 'keyword-lightning\[zh\]'"):
            get_tokenizer("jieba")
    finally:
        text_module._jieba.cache_clear()


def test_jieba_is_quiet_and_ignores_changes_to_jiebas_global_dictionary():
    code = (
        "import jieba\n"
        "from keyword_lightning.text import get_tokenizer\n"
        "print([t for t, _, _ in get_tokenizer('jieba')('代码生成')])\n"
        "jieba.del_word('代码生成')\n"  # jieba's global dictionary forgets the word ...
        "assert jieba.lcut('代码生成') == ['代码', '生成']\n"
        "print([t for t, _, _ in get_tokenizer('jieba')('代码生成')])\n"  # ... ours does not
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["['代码生成']", "['代码生成']"]
    assert proc.stderr == ""  # jieba logs loading its dictionary to stderr unless told not to
