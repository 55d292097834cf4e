"""CSL's present-keyword scores (benchmarks/scoring.py) and csl.py's helpers on a tiny hand example (no jieba)."""

from __future__ import annotations

import pytest

from benchmarks.common import with_section, write_results
from benchmarks.csl import SECTION, ranked_in_order
from benchmarks.scoring import present, score_present

DOCS = [
    # 深度学习 and 神经网络 occur in the text; 机器翻译 does not (an absent keyword).
    {"id": "a", "text": "基于深度学习的神经网络方法", "keyphrases": ["深度学习", "神经网络", "机器翻译"]},
    # Case-insensitive presence: BERT is in the text as bert.
    {"id": "b", "text": "用bert做关键词抽取", "keyphrases": ["BERT", "关键词抽取"]},
]


def test_present_is_verbatim_and_case_insensitive():
    assert present(DOCS[0]["keyphrases"], DOCS[0]["text"]) == ["深度学习", "神经网络"]
    assert present(DOCS[1]["keyphrases"], DOCS[1]["text"]) == ["BERT", "关键词抽取"]
    assert present(["", " "], "任何文本") == []


def test_ranked_in_order_keeps_the_order():
    ranked = ranked_in_order(["甲", "乙", "丙"])
    assert [p for p, _ in sorted(ranked, key=lambda x: -x[1])] == ["甲", "乙", "丙"]


def test_absent_keywords_lower_recall_against_all_only():
    # Every present keyword found, plus one wrong phrase in document a.
    predicted = [
        [("深度学习", 0.9), ("神经网络", 0.8), ("方法", 0.1)],
        [("bert", 0.7), ("关键词抽取", 0.6)],
    ]
    s = score_present(predicted, DOCS)
    # present: 4 gold, 5 predicted, 4 hits -> F1 = 8 / 9
    assert s["present_f1@5"] == pytest.approx(8 / 9)
    assert s["present_f1@M"] == pytest.approx(8 / 9)
    # all: 5 gold (机器翻译 absent), 5 predicted, 4 hits -> F1 = 8 / 10
    assert s["all_f1@5"] == pytest.approx(0.8)
    assert s["all_f1@5"] < s["present_f1@5"]
    # cut at k: only the top phrase of each document at k=1 would be scored; k=10 keeps all here
    assert s["present_f1@10"] == s["present_f1@5"]


def test_cut_at_five_uses_the_ranking():
    doc = {"id": "c", "text": "一二三四五六七", "keyphrases": ["七"]}
    predicted = [[(c, 1.0 - i / 10) for i, c in enumerate("一二三四五六七")]]  # 七 ranked 7th
    s = score_present(predicted, [doc])
    assert s["present_f1@5"] == 0.0
    assert s["present_f1@10"] == pytest.approx(2 / 8)  # 1 hit, 7 predicted, 1 gold


def test_the_summary_section_is_replaced_in_place_or_appended():
    start, end = "<!-- csl-kg: written by benchmarks/csl.py -->", "<!-- /csl-kg -->"
    first = with_section("# Accuracy\n\ntable\n", "## CSL\nold", *SECTION)
    assert first == f"# Accuracy\n\ntable\n\n{start}\n## CSL\nold\n{end}\n"
    second = with_section(first + "after\n", "## CSL\nnew\n", *SECTION)
    assert second == f"# Accuracy\n\ntable\n\n{start}\n## CSL\nnew\n{end}\nafter\n"


def test_a_rewritten_results_file_keeps_the_sections_other_scripts_wrote(tmp_path):
    path = tmp_path / "accuracy.md"
    write_results(path, with_section("# Accuracy\n\nold table\n", "## CSL\nrows", *SECTION))
    write_results(path, "# Accuracy\n\nnew table\n")  # what benchmarks/accuracy.py writes
    assert path.read_text() == with_section("# Accuracy\n\nnew table\n", "## CSL\nrows", *SECTION)
    write_results(path, "# Accuracy\n\nnewer\n", keep_sections=False)
    assert path.read_text() == "# Accuracy\n\nnewer\n" and [p.name for p in tmp_path.iterdir()] == ["accuracy.md"]
