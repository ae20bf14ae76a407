"""REF-08 (不得再行移送): recognising a received case referred on in disguise — drafted afresh
with another matter code or place, a character of the facts changed, the party left out.
No I/O."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import jieba

from referral.errors import OnwardReferralForbidden
from xietong_common.labels import LabelledEnum
from xietong_common.reasons import MIN_REASON, is_stated


class Ground(LabelledEnum):
    """Why a new referral looks like a case its sender received (REF-08)."""

    SAME_PARTY = "same-party", "当事人相同(统一社会信用代码/身份证件号码)", "the same party"
    SIMILAR_FACTS = "similar-facts", "案件事实相同或基本相同", "the same or nearly the same facts"
    SAME_PLACE_AND_TIME = (
        "same-place-and-time",
        "同一地点且发现时间相近(不论事项)",
        "the same place, found within the window (whatever the matter)",
    )


@dataclass(frozen=True)
class CaseKey:
    """What tells one case from another: the party, the facts, the place, the matter, when."""

    facts: str
    found_at: datetime
    party_id: str | None = None
    party_name: str | None = None
    party_is_organisation: bool = False
    matter_code: str | None = None
    place_town: str | None = None


@dataclass(frozen=True)
class Resemblance:
    """A received, unfinished case that a new referral resembles, and why."""

    referral_id: str
    grounds: tuple[Ground, ...]
    facts_similarity: float


_NOT_WORD = re.compile(r"[\W_]+")


def normalise_text(text: str) -> str:
    """Facts as compared: full-width folded to half-width (NFKC), case, spacing and
    punctuation dropped, so re-punctuating or re-spacing the facts changes nothing."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text)).casefold()


_NOT_IDENTITY = re.compile(r"[^\w*]+|_")
MASK = "*"
"""What stands for a hidden character of a citizen's number: events carry it masked
(`500102********1234`, issue 25), so a draft made from one holds it so."""


def normalise_identity(number: str | None) -> str | None:
    """A credit code or ID number as compared: letters, digits and the mask `*` only, upper
    case."""
    if not number:
        return None
    value = _NOT_IDENTITY.sub("", unicodedata.normalize("NFKC", number)).upper()
    return value if value.strip(MASK) else None


def same_identity(a: str, b: str) -> bool:
    """The same number, or the same as far as a masked one shows: of equal length, and alike
    in every character both show (a masked citizen's number shows its first 6 — the place of
    registration — and last 4). Two people of one district sharing those is possible but
    rare, and REF-08 only holds a resembling referral for a stated reason, never loses it."""
    if a == b:
        return True
    if MASK not in a + b or len(a) != len(b):
        return False
    shown = [(x, y) for x, y in zip(a, b, strict=True) if MASK not in (x, y)]
    return len(shown) >= 10 and all(x == y for x, y in shown)


def normalise_name(name: str | None) -> str | None:
    value = normalise_text(name or "")
    return value or None


# jieba logs its dictionary loading at INFO to its own handler; ours are the service's logs.
jieba.setLogLevel(logging.WARNING)
_SEGMENTER = jieba.Tokenizer()

# Below this many words a statement of facts proves little by its words alone ("排污").
MIN_WORDS = 4


@lru_cache(maxsize=4096)
def words(text: str) -> frozenset[str]:
    """The words of a statement of facts (jieba's search mode, which also yields the shorter
    words inside long ones: 生产废水 gives 生产 and 废水), single characters dropped: what two
    tellings of one case share however they are phrased (Chinese has no spaces)."""
    return frozenset(w for w in _SEGMENTER.lcut_for_search(normalise_text(text)) if len(w) > 1)


def facts_similarity(a: str, b: str) -> float:
    """How alike two statements of facts are, 0..1: the share of the shorter statement's
    words found in the other. A paraphrase keeps the case's words (the party, the river, 生产
    废水, 暗管) while changing the grammar around them, so it scores high where a character
    edit distance scores low; padding the facts with more text does not hide them either,
    since the shorter side is what is measured. Measured on a labelled set of paraphrases and
    different cases of the same kinds (tests/data/ref08_pairs.json)."""
    x, y = words(a), words(b)
    if not x or not y:
        return 0.0
    shared = len(x & y)
    if min(len(x), len(y)) < MIN_WORDS:
        return 2 * shared / (len(x) + len(y))  # too few words to judge one inside the other
    return shared / min(len(x), len(y))


# A name this short ("某厂") could be part of many others' names or facts.
MIN_NAME = 4


def _same_party(a: CaseKey, b: CaseKey) -> bool:
    """`a`'s party is `b`'s: the same credit code or ID (a masked one alike in what it
    shows: `same_identity`); an organisation's same name
    (a citizen's name, "张三", is many people's); or `b` leaves the party out but names `a`'s
    organisation, or its number, in its facts."""
    if a.party_id and b.party_id and same_identity(a.party_id, b.party_id):
        return True
    if a.party_id and MASK not in a.party_id and a.party_id.casefold() in _facts(b):
        return True
    if not (a.party_name and a.party_is_organisation):
        return False
    return a.party_name == b.party_name or (
        len(a.party_name) >= MIN_NAME and a.party_name in _facts(b)
    )


def _facts(key: CaseKey) -> str:
    return normalise_text(key.facts)


def resemblance(
    new: CaseKey, held: CaseKey, *, held_id: str, facts_threshold: float, window: timedelta
) -> Resemblance | None:
    """REF-08: does a new referral look like the held case? Any one ground is enough: the
    same party (by credit code or ID, an organisation's name, or named in the other's facts),
    the same or nearly the same facts, or the same place found within `window` of each other —
    whatever matter code each names, since switching the code is the cheapest disguise."""
    grounds: list[Ground] = []
    if _same_party(new, held) or _same_party(held, new):
        grounds.append(Ground.SAME_PARTY)
    score = facts_similarity(new.facts, held.facts)
    if score >= facts_threshold:
        grounds.append(Ground.SIMILAR_FACTS)
    if (
        new.place_town
        and new.place_town == held.place_town
        and abs(new.found_at - held.found_at) <= window
    ):
        grounds.append(Ground.SAME_PLACE_AND_TIME)
    if not grounds:
        return None
    return Resemblance(referral_id=held_id, grounds=tuple(grounds), facts_similarity=score)


def check_not_onward(resembling: Sequence[Resemblance], *, distinct_reason: str | None) -> None:
    """REF-08: a new referral resembling a case its sender received is refused as a likely
    onward referral, unless the sender states why it is a different case in at least
    MIN_REASON characters; even then it is not delivered but held for the district
    government's decision, and the sender of the received case is told."""
    if not resembling or is_stated(distinct_reason):
        return
    ids = [r.referral_id for r in resembling]
    raise OnwardReferralForbidden(
        f"this referral resembles a case referred to you ({', '.join(ids)}); a received case "
        "may not be referred on (不得再行移送). If it is not within your jurisdiction, report it "
        "to the district government (POST /referrals/{id}/answer, decision "
        "report-to-district-gov); if this is a different case, say why in distinct_case_reason "
        f"(at least {MIN_REASON} characters): it is then held for the district government's "
        "decision before delivery, and the sender of the case you received is told. This "
        "attempt is recorded",
        zh="该移送与本单位受移送的案件相似，受移送的案件不得再行移送。如认为不属于本单位管辖，应"
        "书面报请区政府决定；如确属另一案件，请在 distinct_case_reason 中说明理由(不少于"
        f"{MIN_REASON}个字)，移送将先提交区政府决定，并告知原移送单位。本次尝试已记录",
        similar_to=[
            {
                "referral_id": r.referral_id,
                "grounds": [g.value for g in r.grounds],
                "facts_similarity": round(r.facts_similarity, 2),
            }
            for r in resembling
        ],
        state_reason_in="distinct_case_reason",
        reason_min_characters=MIN_REASON,
        rule="REF-08",
    )
