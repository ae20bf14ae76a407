"""Which URLs a webhook may be sent to (SSRF), and what may be subscribed to. No I/O.

A webhook URL is typed by whoever administers an organisation's account; the service then
POSTs to it from inside the district's network. Without these checks a URL could make the
service call its own database, Kafka, the cloud's metadata endpoint (169.254.169.254) or
any internal system, and read their answers back in the delivery log. So: https only
(http only where an operator allows it), and every address the host resolves to must be a
public one — checked when the URL is registered and again at every connection (a name can
be re-pointed to a private address after registration: DNS rebinding). Redirects are never
followed.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import SplitResult

from xietong_common.labels import LabelledEnum

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class EventKind(LabelledEnum):
    """The events an organisation may subscribe to (what this service consumes). Each is
    delivered only to the organisations that are its parties (domain/kinds.py): the ones
    the REST API shows the record to as a party."""

    DEADLINE_APPROACHING = (
        "deadline.approaching",
        "期限临近提醒",
        "a deadline the organisation owes is due soon (催办)",
    )
    DEADLINE_BREACHED = (
        "deadline.breached",
        "逾期",
        "a deadline was missed: the organisation owed the action, or was kept waiting",
    )
    CASE_REFERRED = (
        "case.referred",
        "案件已移送",
        "REF-01/03: a case was referred (told to its sender and its receiver)",
    )
    CASE_RECEIVED = (
        "case.received",
        "移送案件已签收",
        "REF-06: the receiver signed for a referred case (sender and receiver)",
    )
    CASE_ANSWERED = (
        "case.answered",
        "移送案件已书面答复",
        "REF-07: the receiver answered in writing whether it accepts (sender and receiver)",
    )
    CASE_ESCALATED = (
        "case.escalated",
        "移送案件已报请区政府",
        "REF-08: the receiver reported the case to the district government (sender, receiver, "
        "the district government)",
    )
    CASE_ASSIGNED = (
        "case.assigned",
        "区政府已指定管辖",
        "REF-08: the district government decided who handles the case (sender, receiver, the "
        "assignee, the district government)",
    )
    CASE_FILED = (
        "case.filed",
        "移送案件已立案",
        "REF-09: the handling party filed the case (the handler and the sender)",
    )
    CASE_CONCLUDED = (
        "case.concluded",
        "移送案件已办结",
        "REF-09: the handling party concluded the case (the handler and the sender)",
    )


def forbidden_address(address: IPAddress) -> str | None:
    """Why a target address is refused (None: a public address). Anything not globally
    routable is refused: private (10/8, 172.16/12, 192.168/16, fc00::/7), loopback,
    link-local (169.254/16 with the metadata endpoint, fe80::/10), shared (100.64/10),
    reserved, unspecified, multicast; an IPv4-mapped or NAT64-embedded IPv6 address is
    judged by the IPv4 address inside it."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour
        if inner is None and address in ipaddress.IPv6Network("64:ff9b::/96"):
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is not None:
            return forbidden_address(inner)
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local (cloud metadata)"
    if address.is_multicast:
        return "multicast"
    if address.is_unspecified:
        return "unspecified"
    if not address.is_global:
        return "private or reserved"
    return None


def scheme_refusal(url: SplitResult, *, allow_http: bool) -> str | None:
    """Why the URL's form is refused (None: acceptable)."""
    if url.scheme == "http" and not allow_http:
        return "only https:// URLs are accepted"
    if url.scheme not in ("https", "http"):
        return "only https:// URLs are accepted"
    if not url.hostname:
        return "the URL names no host"
    if url.username is not None or url.password is not None:
        return "credentials in the URL are not accepted (the signature authenticates)"
    if url.fragment:
        return "a fragment is never sent; leave it out"
    return None
