"""Where the staff workbench shows a record (issue 24): a message about a deadline links to
the record's page, `<workbench public URL><path>`, built from the record's subject
(`<kind>:<id>`). One table for every service's kinds of record; tests/test_owed_actions.py
checks each path is a page the workbench serves. A kind without a page of its own gets no
link.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

# subject prefix -> the workbench's page of such a record ({id}: the record's id)
WORKBENCH_PAGES: Mapping[str, str] = {
    "referral": "/referrals/{id}",
    "assistance": "/assistance/{id}",
    "review": "/reviews/{id}",
    "inspection": "/inspection/orders/{id}",
    "inspection-plan": "/inspection/plans/{id}",
    "inspection-selection": "/inspection/selections/{id}",
    "item": "/info/items/{id}",
    "team": "/secondment/teams/{id}",
}


def workbench_link(public_url: str | None, subject: str) -> str | None:
    """The record's page in the workbench at `public_url`, or None (no address configured,
    a subject not `<kind>:<id>`, or a kind without a page)."""
    if not public_url:
        return None
    kind, sep, record_id = subject.partition(":")
    path = WORKBENCH_PAGES.get(kind)
    if not sep or not record_id or path is None:
        return None
    return public_url.rstrip("/") + path.format(id=quote(record_id, safe=""))
