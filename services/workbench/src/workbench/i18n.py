"""Chinese first, English second: the language a page is drawn in and the APIs answer in.

The choice is the person's (the language switch, kept in a cookie), else their browser's
`Accept-Language` read the same way the services read it (Chinese unless English is
preferred), so a page and the API problems shown on it are in one language.
"""

from __future__ import annotations

from typing import Literal

from fastapi import Request

from xietong_common.web.problems import language as accepted_language

Lang = Literal["zh", "en"]
LANG_COOKIE = "xietong-lang"


def language_of(request: Request) -> Lang:
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in ("zh", "en"):
        return "en" if chosen == "en" else "zh"
    return accepted_language(request)


def html_lang(lang: Lang) -> str:
    return "en" if lang == "en" else "zh-CN"


class Translator:
    """`t("待办", "To-do")`: both words side by side in the template, the page's one shown."""

    def __init__(self, lang: Lang) -> None:
        self.lang = lang

    def __call__(self, zh: str, en: str) -> str:
        return en if self.lang == "en" else zh
