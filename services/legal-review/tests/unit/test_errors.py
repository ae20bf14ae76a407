"""Every refusal of legal review reads in Chinese (the district's users) and in English."""

from __future__ import annotations

from pathlib import Path

from legal_review import errors
from xietong_common.errors import AppError
from xietong_devtools.i18n_check import raises_without_chinese


def test_every_error_class_has_its_own_chinese_title() -> None:
    classes = [
        c
        for c in vars(errors).values()
        if isinstance(c, type) and issubclass(c, AppError) and c.__module__ == errors.__name__
    ]
    assert len(classes) > 10
    for cls in classes:
        assert "title_zh" in vars(cls), f"{cls.__name__} has no title_zh of its own"
        assert any("\u4e00" <= ch <= "\u9fff" for ch in cls.title_zh), cls.__name__


def test_every_raise_gives_a_chinese_detail() -> None:
    src = Path(errors.__file__).parent
    assert raises_without_chinese(src) == []
