"""What counts as a stated reason, law or ground: text someone can rule on.

Every rule that lets a unit depart from its duty on a reason (decide against a legal review,
refuse assistance, hold a referral for the district government, file without a time limit)
was walked around with one character ("x", "同上") or a non-citation ("有关规定 第1条"). The
measures live here so that every service judges a reason alike. No I/O."""

from __future__ import annotations

import re
import unicodedata

# A reason the district government, a reviewer or oversight can rule on: at least this many
# letters, digits or Chinese characters, punctuation and spacing not counted. The notice sets
# no number; eight characters is a short sentence (经核查系另一案件).
MIN_REASON = 8


def meaningful_chars(text: str | None) -> int:
    """Letters, digits and Chinese characters: what a reason says, without its punctuation."""
    return sum(1 for c in text or "" if unicodedata.category(c)[0] in ("L", "N"))


def is_stated(text: str | None, minimum: int = MIN_REASON) -> bool:
    """A real reason: at least `minimum` letters, digits or characters."""
    return meaningful_chars(text) >= minimum


# A Chinese law, regulation or rule is cited by its title in 《》: 《中华人民共和国保守国家秘密法》,
# 《重庆市环境保护条例》, 《行政执法协助办法》. The title ends in the kind of instrument.
_INSTRUMENT = "法|条例|规定|办法|规则|细则|决定|规章|准则|条款|意见|通知"
_LAW_TITLE = re.compile(rf"^《[^《》]{{2,60}}(?:{_INSTRUMENT})(?:（[^（）]{{1,20}}）)?》$")
# "有关规定", "相关法律", "上级规定": a gesture at the law, not a citation of one.
_VAGUE = re.compile(r"^《?(?:有关|相关|上级|其他|另有|法律|法规|规章|规定|按照|依照|根据)")


def is_law_title(text: str | None) -> bool:
    """A citation of a law by its title (《…法》), not a gesture at 'the relevant rules'."""
    title = unicodedata.normalize("NFKC", (text or "").strip())
    # NFKC folds full-width parentheses; titles are matched in their usual Chinese form.
    title = title.replace("(", "（").replace(")", "）")
    if not title.startswith("《"):
        title = f"《{title}》"  # the brackets forgotten: the title is judged all the same
    return bool(_LAW_TITLE.match(title)) and not _VAGUE.match(title)


# A Chinese statute is cited by article: 第二十八条, 第28条 (with 款/项 after it as needed).
ARTICLE = re.compile(r"第\s*[0-9０-９一二三四五六七八九十百千零〇两]+\s*条")


def is_article(text: str | None) -> bool:
    """A citation of an article (第…条), not 'the relevant article'."""
    return bool(ARTICLE.search(text or ""))
