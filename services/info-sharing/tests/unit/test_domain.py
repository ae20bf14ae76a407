"""The domain rules of 信息互享, without servers: categories, states, visibility, versions,
subscriptions, the unread setting, Chinese words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from info_sharing.domain import search
from info_sharing.domain.categories import PUBLISHERS, Category, check_publisher
from info_sharing.domain.inbox import Interest, ItemFacts, overdue_before, read_due, recipients
from info_sharing.domain.items import (
    Current,
    ItemState,
    Step,
    Visibility,
    audience_of,
    check_publishable,
    check_supersedable,
    ensure_visible,
    next_state,
)
from info_sharing.errors import (
    InfoInvalidTransition,
    ItemNotFound,
    PublisherNotAllowed,
    SupersedeConflict,
    TableMissing,
)
from xietong_common.calendar import WorkingDayCalendar

# ---- INFO-01 ------------------------------------------------------------------------------


def test_info_01_exactly_nine_categories_in_the_notices_order() -> None:
    assert [c.value for c in Category] == [
        "laws-norms",
        "licensing-supervision",
        "inspection-records",
        "penalty-decisions",
        "statistics",
        "discretion-workflows",
        "dynamic",
        "complaints",
        "other",
    ]
    assert [c.number for c in Category] == list(range(1, 10))
    assert all(c.label_zh for c in Category)
    assert set(PUBLISHERS) == set(Category)
    with pytest.raises(ValueError):
        Category("tenth")


@pytest.mark.parametrize(
    ("category", "org", "allowed"),
    [
        (Category.LICENSING_SUPERVISION, "dept:urban-management", True),
        (Category.LICENSING_SUPERVISION, "town:lizhi", False),
        (Category.INSPECTION_RECORDS, "town:lizhi", False),
        (Category.DYNAMIC, "justice-bureau", False),
        (Category.PENALTY_DECISIONS, "town:lizhi", True),
        (Category.PENALTY_DECISIONS, "dept:urban-management", False),
        (Category.LAWS_NORMS, "justice-bureau", True),
        (Category.STATISTICS, "district-gov", True),
        (Category.OTHER, "justice-office:lizhi", True),
    ],
)
def test_info_01_who_publishes_each_category(category: Category, org: str, allowed: bool) -> None:
    if allowed:
        check_publisher(category, org)
    else:
        with pytest.raises(PublisherNotAllowed) as refused:
            check_publisher(category, org)
        assert refused.value.extensions["rule"] == "INFO-01"


def test_info_01_statistics_need_their_table() -> None:
    with pytest.raises(TableMissing):
        check_publishable(Category.STATISTICS, ["application/pdf"])
    check_publishable(Category.STATISTICS, ["text/csv"])
    check_publishable(
        Category.STATISTICS,
        ["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
    )
    check_publishable(Category.OTHER, [])


# ---- states, visibility, versions -----------------------------------------------------------


def test_states_as_one_table() -> None:
    assert next_state(ItemState.DRAFT, Step.PUBLISH) is ItemState.PUBLISHED
    assert next_state(ItemState.PUBLISHED, Step.SUPERSEDE) is ItemState.SUPERSEDED
    assert next_state(ItemState.SUPERSEDED, Step.UPDATE_FROM_SOURCE) is ItemState.SUPERSEDED
    for state, step in [
        (ItemState.PUBLISHED, Step.EDIT),
        (ItemState.PUBLISHED, Step.ATTACH),
        (ItemState.PUBLISHED, Step.PUBLISH),
        (ItemState.SUPERSEDED, Step.SUPERSEDE),
        (ItemState.DRAFT, Step.SUPERSEDE),
    ]:
        with pytest.raises(InfoInvalidTransition):
            next_state(state, step)
    assert ItemState.SUPERSEDED.label_zh == "已被新版本替代"


def test_visibility_shared_restricted_and_drafts() -> None:
    shared = Visibility("dept:water", ItemState.PUBLISHED, False, frozenset())
    assert shared.sees("town:lizhi")
    assert shared.sees("justice-office:lizhi")
    restricted = Visibility("town:lizhi", ItemState.PUBLISHED, True, frozenset({"dept:water"}))
    assert restricted.sees("dept:water")
    assert restricted.sees("town:lizhi")
    assert restricted.sees("justice-bureau")  # oversight of the sharing duty (SUP-01)
    assert not restricted.sees("town:baitao")
    with pytest.raises(ItemNotFound):
        ensure_visible(restricted, "dept:forestry")
    draft = Visibility("dept:water", ItemState.DRAFT, False, frozenset())
    assert draft.sees("dept:water")
    assert not draft.sees("justice-bureau")


def test_audience_adds_the_required_and_drops_the_publisher() -> None:
    assert audience_of(None, publisher="town:lizhi") == (False, [])
    assert audience_of(["dept:water", "town:lizhi"], publisher="town:lizhi") == (
        True,
        ["dept:water"],
    )
    assert audience_of(None, publisher="town:lizhi", required=["dept:water"]) == (
        True,
        ["dept:water"],
    )


def test_a_new_version_replaces_the_publishers_current_item_of_the_same_category() -> None:
    current = Current("dept:water", Category.LAWS_NORMS, ItemState.PUBLISHED, None)
    check_supersedable(current, publisher="dept:water", category=Category.LAWS_NORMS)
    with pytest.raises(ItemNotFound):
        check_supersedable(current, publisher="dept:forestry", category=Category.LAWS_NORMS)
    with pytest.raises(SupersedeConflict):
        check_supersedable(current, publisher="dept:water", category=Category.OTHER)
    old = Current("dept:water", Category.LAWS_NORMS, ItemState.SUPERSEDED, "x")
    with pytest.raises(SupersedeConflict):
        check_supersedable(old, publisher="dept:water", category=Category.LAWS_NORMS)


# ---- INFO-03 ------------------------------------------------------------------------------


def test_info_03_subscription_dimensions_and_one_notification_per_organisation() -> None:
    item = ItemFacts(
        category=Category.LAWS_NORMS,
        publisher="dept:urban-management",
        matter_codes=frozenset({"URB-001"}),
        towns=frozenset({"town:lizhi"}),
    )
    assert Interest().matches(item)
    assert Interest(categories=frozenset({Category.LAWS_NORMS})).matches(item)
    assert not Interest(categories=frozenset({Category.OTHER})).matches(item)
    assert Interest(matter_codes=frozenset({"URB-001", "X"})).matches(item)
    assert not Interest(towns=frozenset({"town:baitao"})).matches(item)
    assert not Interest(
        categories=frozenset({Category.LAWS_NORMS}), publishers=frozenset({"dept:water"})
    ).matches(item)
    subs = [
        ("town:lizhi", Interest(categories=frozenset({Category.LAWS_NORMS}))),
        ("town:lizhi", Interest(towns=frozenset({"town:lizhi"}))),  # matches too: still once
        ("town:baitao", Interest(towns=frozenset({"town:baitao"}))),
        ("dept:urban-management", Interest()),  # the publisher itself
    ]
    assert recipients(item, subs) == {"town:lizhi"}
    assert recipients(item, subs, audience=["dept:water"], can_see=["dept:water"]) == {"dept:water"}


def test_info_03_read_within_working_days_counting_the_spring_festival() -> None:
    calendar = WorkingDayCalendar.load()
    # Delivered Fri 9 Feb 2024 (除夕): 10–17 Feb are holidays, Sun 18 Feb a working day.
    delivered = datetime(2024, 2, 9, 2, 0, tzinfo=UTC)
    due = read_due(calendar, delivered, 3)
    assert due.due_at == datetime(2024, 2, 20, 16, 0, tzinfo=UTC)  # Tue 20 Feb 24:00 CST
    # On Wed 21 Feb, deliveries up to the last holiday (17 Feb) were due on 20 Feb: late;
    # one of Sun 18 Feb (a working day) is due on 21 Feb: not yet.
    cutoff = overdue_before(calendar, datetime(2024, 2, 21, 2, 0, tzinfo=UTC), 3)
    assert cutoff == datetime(2024, 2, 17, 16, 0, tzinfo=UTC)  # end of 17 Feb CST
    assert overdue_before(calendar, datetime(2024, 2, 20, 15, 0, tzinfo=UTC), 3) == datetime(
        2024, 2, 8, 16, 0, tzinfo=UTC
    )


# ---- search words ---------------------------------------------------------------------------


def test_two_character_words_not_shared_characters() -> None:
    assert search.query_terms("餐饮") == ["餐饮"]
    indexed = search.index_words("某餐饮店油烟直排").split()
    assert "餐饮" in indexed
    assert "餐饮店" in indexed
    # 快餐饮料 contains the characters 餐饮 across two words: not the word 餐饮
    assert "餐饮" not in search.index_words("快餐饮料店开业").split()
    assert "餐饮" not in search.index_words("餐厅饮水机").split()
    # full-width digits and letters match half-width; punctuation is no word
    assert search.query_terms("２０２４年 ＡＢＣ-12，") == ["2024", "年", "abc", "12"]


def test_highlight_and_snippet_are_escaped_and_marked() -> None:
    text = "<b>某餐饮店</b>油烟直排，快餐饮料店无问题"
    marked = search.highlight(text, ["餐饮"])
    assert marked.count("<mark>") == 1
    assert "&lt;b&gt;" in marked
    assert "<mark>餐饮</mark>" in marked
    long = "前言" * 100 + "发现餐饮店油烟直排" + "结尾" * 100
    snippet = search.snippet(long, ["油烟"], width=60)
    assert snippet.startswith("…")
    assert snippet.endswith("…")
    assert "<mark>油烟</mark>" in snippet
    assert search.snippet("短文本", []) == "短文本"
