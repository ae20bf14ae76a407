"""REF-08 (不得再行移送): the facts measure against a labelled set of pairs written by hand —
paraphrases of one case (what a unit referring a received case on would write) and different
cases of the same kinds, places and wording (what towns really refer). Its precision and
recall at the configured threshold are printed and held to a floor, so a change of measure
that lets paraphrases through, or flags ordinary cases, fails here."""

from __future__ import annotations

import json
from pathlib import Path

from referral.domain import facts_similarity
from referral.settings import ReferralSettings

PAIRS = json.loads((Path(__file__).parent.parent / "data" / "ref08_pairs.json").read_text())[
    "pairs"
]


def test_ref_08_the_labelled_set_is_large_enough_and_balanced() -> None:
    same = [p for p in PAIRS if p["same"]]
    assert len(PAIRS) >= 30
    assert 0.4 <= len(same) / len(PAIRS) <= 0.6


def test_ref_08_paraphrases_are_caught_and_different_cases_pass() -> None:
    threshold = ReferralSettings().referral_onward_facts_similarity
    flagged = [facts_similarity(p["a"], p["b"]) >= threshold for p in PAIRS]
    tp = sum(f and p["same"] for f, p in zip(flagged, PAIRS, strict=True))
    fp = sum(f and not p["same"] for f, p in zip(flagged, PAIRS, strict=True))
    fn = sum(not f and p["same"] for f, p in zip(flagged, PAIRS, strict=True))
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    print(f"REF-08 facts at {threshold}: precision {precision:.2f}, recall {recall:.2f}")
    assert recall >= 0.9, "paraphrases of a received case get through"
    assert precision >= 0.9, "ordinary referrals would be held"


def test_ref_08_the_review_s_paraphrase_is_caught() -> None:
    held = "巡查发现某某化工有限公司通过暗管向麻溪河直排生产废水，现场水体明显发黑"
    sent = "某某化工公司利用隐蔽管道将生产废水排入麻溪河，致河水变黑"
    threshold = ReferralSettings().referral_onward_facts_similarity
    assert facts_similarity(held, sent) >= threshold
    # padding or re-punctuating changes nothing; an empty statement resembles nothing
    assert facts_similarity(held, "。".join([held, "另查明该公司无排污许可证"])) == 1.0
    assert facts_similarity(held, "") == 0.0
