"""What counts as a stated reason and a cited law (REV-08, ASSIST-03, REF-08, REF-09)."""

from __future__ import annotations

import pytest

from xietong_common.reasons import MIN_REASON, is_law_title, is_stated, meaningful_chars


@pytest.mark.parametrize(
    "title",
    [
        "《中华人民共和国保守国家秘密法》",
        "《重庆市环境保护条例》",
        "《行政执法协助办法(试行)》",
        "《中华人民共和国国家安全法》",
        "中华人民共和国行政处罚法",
    ],
)
def test_assist_03_a_law_cited_by_its_title_is_a_citation(title: str) -> None:
    assert is_law_title(title)


@pytest.mark.parametrize(
    "title",
    ["有关规定", "《有关规定》", "相关法律法规", "上级规定", "《规定》", "依照法律", "", None],
)
def test_assist_03_a_gesture_at_the_law_is_not_a_citation(title: str | None) -> None:
    assert not is_law_title(title)


def test_a_reason_is_eight_letters_or_characters_not_punctuation() -> None:
    assert MIN_REASON == 8
    assert not is_stated("x")
    assert not is_stated("不同案件")
    assert not is_stated("。。。。。。。。。。")
    assert is_stated("经核查系另一案件")
    assert meaningful_chars("a b,c") == 3
