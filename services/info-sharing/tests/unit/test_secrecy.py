"""INFO-02: secrecy markings found however they are typed; mere mentions of secrets are not."""

from __future__ import annotations

import pytest

from info_sharing.domain.secrecy import (
    Classification,
    declared_level,
    flatten,
    levels_in,
    screen,
)

C = Classification

MARKED = [
    ("机密★1年", C.CONFIDENTIAL),
    ("秘密★", C.SECRET),
    ("绝密★长期", C.TOP_SECRET),
    ("机 密★1年 关于某事的报告", C.CONFIDENTIAL),  # a space between the characters
    ("机　密 关于某事", C.CONFIDENTIAL),  # a full-width space, then set apart
    ("机密*1年", C.CONFIDENTIAL),  # an asterisk for the star
    ("机密＊１年", C.CONFIDENTIAL),  # full-width asterisk and digit
    ("機密★", C.CONFIDENTIAL),  # traditional form
    ("絕密★", C.TOP_SECRET),
    ("祕密★", C.SECRET),
    ("机\u200b密★", C.CONFIDENTIAL),  # a zero-width space
    ("秘·密★5年", C.SECRET),
    ("绝_密☆", C.TOP_SECRET),
    ("【秘密】关于印发某方案的通知", C.SECRET),
    ("关于某事项的通知（机密）", C.CONFIDENTIAL),
    ("密级：机密", C.CONFIDENTIAL),
    ("密 级:秘 密", C.SECRET),
    ("秘密 会议纪要", C.SECRET),
    ("机密：关于某事", C.CONFIDENTIAL),
    ("第一行\n机密\n第三行", C.CONFIDENTIAL),  # a marking on a line of its own
    ("  机密  ", C.CONFIDENTIAL),
    ("ｍｅｍｏ\n秘密★10年", C.SECRET),
]

MENTIONS = [
    "商业秘密",
    "中华人民共和国保守国家秘密法",
    "涉及国家秘密的信息不予共享",
    "机密性、完整性和可用性",
    "请勿泄露手机密码",
    "有机密封材料",
    "国家秘密的密级分为绝密、机密、秘密三级",
    "绝密、机密、秘密级国家秘密不属于共享范围",
    "机密文件管理办法",
    "绝密级国家秘密是最重要的国家秘密",
    "机关密切配合",
    "秘密侦查",
    "保密工作",
]


@pytest.mark.parametrize(("text", "level"), MARKED)
def test_info_02_marking_found_however_typed(text: str, level: Classification) -> None:
    assert levels_in(text) == {level}


@pytest.mark.parametrize("text", MENTIONS)
def test_info_02_words_about_secrets_are_not_markings(text: str) -> None:
    assert levels_in(text) == set()
    assert levels_in(text, name=True) == set()


@pytest.mark.parametrize(
    ("name", "level"),
    [
        ("报告_机密.xlsx", C.CONFIDENTIAL),
        ("秘密-统计表.csv", C.SECRET),
        ("机密.pdf", C.CONFIDENTIAL),
        ("统计表（秘密）.xlsx", C.SECRET),
        ("会议纪要 绝密", C.TOP_SECRET),
    ],
)
def test_info_02_titles_and_file_names_also_end_with_a_marking(
    name: str, level: Classification
) -> None:
    assert levels_in(name, name=True) == {level}


@pytest.mark.parametrize(
    ("typed", "level"),
    [
        ("机密", C.CONFIDENTIAL),
        ("机 密★", C.CONFIDENTIAL),
        ("confidential", C.CONFIDENTIAL),
        ("TOP-SECRET", C.TOP_SECRET),
        ("秘密", C.SECRET),
        ("绝密", C.TOP_SECRET),
        ("none", None),
        ("非涉密", None),
        ("公开", None),
    ],
)
def test_info_02_declared_classification(typed: str, level: Classification | None) -> None:
    assert declared_level(typed) is level


def test_info_02_screen_names_fields_and_levels_never_text() -> None:
    payload = {
        "title": "统计表",
        "case": {"facts": "第一行\n秘密★\n", "party": {"name": "某公司"}},
        "targets": [{"summary": "无"}, {"summary": "【绝密】"}],
    }
    texts = flatten(payload)
    assert texts["case.facts"].startswith("第一行")
    assert "targets.1.summary" in texts
    found = screen(texts, declared=Classification.CONFIDENTIAL)
    assert {(m.field, m.level) for m in found} == {
        ("classification", C.CONFIDENTIAL),
        ("case.facts", C.SECRET),
        ("targets.1.summary", C.TOP_SECRET),
    }
    assert screen({"title": "商业秘密保护工作通报"}) == []


# Issue 20: markings a clerk writes that escaped the screen, and what it wrongly refused.
ESCAPED = [
    ("关于XX的机密报告", False, C.CONFIDENTIAL),
    ("绝密文件", False, C.TOP_SECRET),
    ("机密文件：关于某事", False, C.CONFIDENTIAL),
    ("本件机密，请勿外传", False, C.CONFIDENTIAL),
    ("密级为机密", False, C.CONFIDENTIAL),
    ("此文件定为秘密级", False, C.SECRET),
    ("机    密★1年", False, C.CONFIDENTIAL),  # four spaces
    ("机密●1年", False, C.CONFIDENTIAL),  # a dot for the star
    ("机\u3164密★1年", False, C.CONFIDENTIAL),  # a Hangul filler between the characters
    ("机\u115f密★", False, C.CONFIDENTIAL),
    ("秘\u2800密★", False, C.SECRET),  # the braille blank
    ("机\u202e密★1年", False, C.CONFIDENTIAL),  # a bidi control
    ("机密报告.pdf", True, C.CONFIDENTIAL),
    ("报告机密.pdf", True, C.CONFIDENTIAL),
    ("机密报告", True, C.CONFIDENTIAL),
    ("关于XX的机密报告", True, C.CONFIDENTIAL),
]

NOT_STATE_SECRETS = [
    "商业秘密★3年",
    "工作秘密★",
    "核心商密★",
    "普通商密★5年",
    "【商业秘密】",
    "技术\n秘密: 配方",  # a wrapped 技术秘密
    "本报告涉及商业 秘密",
    "不涉及国家秘密",
    "商业机密★",
    "机密文件管理办法",
    "绝密级国家秘密是最重要的国家秘密",
]


@pytest.mark.parametrize(("text", "name", "level"), ESCAPED)
def test_info_02_markings_a_clerk_writes_are_found(
    text: str, name: bool, level: Classification
) -> None:
    assert levels_in(text, name=name) == {level}


@pytest.mark.parametrize("text", NOT_STATE_SECRETS)
def test_info_02_secrets_that_are_not_state_secrets_are_not_refused(text: str) -> None:
    assert levels_in(text) == set()
    assert levels_in(text, name=True) == set()


@pytest.mark.parametrize(
    "typed", ["不涉及国家秘密", "非国家秘密", "商业秘密", "工作秘密", "不涉密", "非机密", "无密级"]
)
def test_info_02_a_classification_that_declares_no_state_secret_is_accepted(typed: str) -> None:
    from info_sharing.domain.secrecy import declares_none

    assert declared_level(typed) is None
    assert declares_none(typed)


def test_info_02_a_classification_naming_a_state_secret_without_its_level_is_secret() -> None:
    assert declared_level("国家秘密") is C.SECRET
    assert declared_level("机密级") is C.CONFIDENTIAL
