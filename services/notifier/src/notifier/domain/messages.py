"""Chinese message text of the robot and SMS formats, from the templates below (kept here, in
one place). No I/O.

A message says what deadline (the mechanism, the rule, the owed action by its Chinese name
from the shared table `xietong_common.owed_actions`, its code only where the table has
none), which record (its
reference, and its `<kind>:<id>`), when it is due in China time (Asia/Shanghai), and, for a
reminder, the working days left; for a breach, who owed it and who is kept waiting.
Organisations are named as the directory names them. No personal ID number ever appears:
whatever a record's reference or assignee carries, a resident identity number in the text is
masked (`xietong_common.parties.mask_identity`: first 6 and last 4 characters) before it is
sent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from string import Template
from typing import Any

from xietong_common.calendar import CHINA_TZ
from xietong_common.contracts.deadlines import BreachKind, DeadlineUnit
from xietong_common.owed_actions import MECHANISMS_ZH, action_zh
from xietong_common.parties import mask_identity

SIGNATURE = "协同监管平台"  # the sender named in every message (an SMS signature too)


TITLES = {
    "approaching": Template("期限临近提醒：$mechanism $rule"),
    "breached": Template("逾期提醒：$mechanism $rule"),
}

# Plain text: robots' msgtype text, and the body of markdown messages line by line.
LINES = {
    "approaching": (
        Template("【$signature】期限临近提醒"),
        Template("$organisation：$mechanism事项「$action」（$rule）将于 $due（北京时间）到期。"),
        Template("记录：$record"),
        Template("剩余工作日：$days_left 个（提前 $lead提醒）"),
        Template("请及时办理。"),
    ),
    "breached": (
        Template("【$signature】逾期提醒（$breach）"),
        Template("$mechanism事项「$action」（$rule）已于 $due（北京时间）到期，$breach。"),
        Template("应办单位：$organisation$waiting"),
        Template("记录：$record"),
        Template("请尽快办理并说明情况。"),
    ),
}
WAITING = Template("；等待单位：$counterparty")

# SMS: one short line (a gateway splits longer ones into several billed messages).
SMS = {
    "approaching": Template(
        "【$signature】$organisation：$mechanism「$action」（$rule）将于 $due 到期，"
        "剩余 $days_left 个工作日，记录 $record_short，请及时办理。"
    ),
    "breached": Template(
        "【$signature】$mechanism「$action」（$rule）已于 $due 到期，$breach，"
        "应办单位 $organisation，记录 $record_short，请尽快办理。"
    ),
}

# A resident identity number (18 characters, the last a digit or X; or the old 15 digits),
# not inside a longer run of digits.
IDENTITY_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")


def mask_identity_numbers(text: str) -> str:
    """The text with every identity-number-shaped run masked."""
    return IDENTITY_NUMBER.sub(lambda m: mask_identity(m.group(1)), text)


def china_time(value: str | datetime) -> str:
    """`2026年12月8日 17:30` in China time."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = moment.astimezone(CHINA_TZ)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def _lead(data: Mapping[str, Any]) -> str:
    try:
        unit = DeadlineUnit(str(data.get("lead_unit")))
    except ValueError:
        return str(data.get("lead", ""))
    return f"{data.get('lead_amount')} 个{unit.label_zh}"


def _breach(data: Mapping[str, Any]) -> str:
    try:
        return BreachKind(str(data.get("kind"))).label_zh
    except ValueError:
        return "已逾期"


LINK = Template("查看：$link")
MARKDOWN_LINK = Template("[在工作台中查看]($link)")
SMS_LINK = Template("详见 $link")


def _no_link(subject: str) -> str | None:
    return None


@dataclass(frozen=True)
class Message:
    """One notification in Chinese: a title and its lines, the short SMS form, and the
    record's page in the workbench (None when no public address is configured)."""

    title: str
    lines: tuple[str, ...]
    sms: str
    link: str | None = None

    @property
    def text(self) -> str:
        extra = [LINK.substitute(link=self.link)] if self.link else []
        return "\n".join([*self.lines, *extra])

    @property
    def markdown(self) -> str:
        head, *rest = self.lines
        extra = [MARKDOWN_LINK.substitute(link=self.link)] if self.link else []
        return "\n\n".join([f"### {head}", *(f"> {line}" for line in rest), *extra])

    @property
    def sms_text(self) -> str:
        return f"{self.sms}{SMS_LINK.substitute(link=self.link)}" if self.link else self.sms


def event_kind(event: Mapping[str, Any]) -> str:
    """`approaching` or `breached`, from the CloudEvent's type."""
    return "breached" if ".deadline.breached." in f".{event.get('type', '')}." else "approaching"


# A record's event (a referral's lifecycle): what happened, by the kind of event.
RECORD_TITLES: Mapping[str, str] = {
    "case.referred": "案件已移送",
    "case.received": "移送案件已签收",
    "case.answered": "移送案件已书面答复",
    "case.escalated": "移送案件已报请区政府决定",
    "case.assigned": "区政府已指定管辖",
    "case.filed": "移送案件已立案",
    "case.concluded": "移送案件已办结",
}
RECORD_LINES = (
    Template("【$signature】$what"),
    Template("$mechanism：$sender → $other"),
    Template("记录：$record"),
    Template("时间：$when（北京时间）"),
)
RECORD_SMS = Template("【$signature】$what：$sender → $other，记录 $record_short，$when。")
# The moment each kind of event names, the first one present.
MOMENTS = (
    "sent_at",
    "received_at",
    "answered_at",
    "reported_at",
    "assigned_at",
    "filed_at",
    "concluded_at",
)
VERSION = re.compile(r"\.v\d+$")


def kind_of(event: Mapping[str, Any]) -> str:
    """The event's kind from its CloudEvent type (`xietong.case.referred.v1` →
    `case.referred`)."""
    return VERSION.sub("", str(event.get("type", ""))).removeprefix("xietong.")


def _compose_record_event(
    event: Mapping[str, Any],
    *,
    name: Callable[[str], str],
    link: Callable[[str], str | None],
) -> Message:
    kind = kind_of(event)
    data: Mapping[str, Any] = event.get("data") or {}
    subject = f"referral:{data['referral_id']}" if data.get("referral_id") else ""
    reference = data.get("case_number") or data.get("receipt_number")
    # The other side from the sender's: the assignee the district government named, the
    # handler, or the receiver.
    other = data.get("assignee") or data.get("handler") or data.get("receiver") or ""
    moment = next((data[m] for m in MOMENTS if data.get(m)), None)
    values = {
        "signature": SIGNATURE,
        "what": RECORD_TITLES.get(kind, kind),
        "mechanism": MECHANISMS_ZH["referral"],
        "sender": name(str(data.get("sender", ""))),
        "other": name(str(other)),
        "record": f"{reference}（{subject}）" if reference else subject,
        "record_short": reference or subject,
        "when": china_time(moment) if moment else "（未知）",
    }
    masked = {k: mask_identity_numbers(str(v)) for k, v in values.items()}
    url = link(subject) if subject else None
    return Message(
        title=f"{masked['what']}：{masked['mechanism']}",
        lines=tuple(t.substitute(masked) for t in RECORD_LINES),
        sms=RECORD_SMS.substitute(masked),
        link=mask_identity_numbers(url) if url else None,
    )


def compose(
    event: Mapping[str, Any],
    *,
    name: Callable[[str], str],
    link: Callable[[str], str | None] = _no_link,
) -> Message:
    """The message of a deadline event (the CloudEvent as delivered); `name` gives an
    organisation's Chinese name from its code, `link` the record's page in the workbench
    from its subject (`xietong_common.record_pages.workbench_link`). A record's event (a
    referral's lifecycle) says what happened to it, between whom, and when."""
    if not kind_of(event).startswith("deadline."):
        return _compose_record_event(event, name=name, link=link)
    kind = event_kind(event)
    data: Mapping[str, Any] = event.get("data") or {}
    subject = str(data.get("subject", ""))
    reference = data.get("reference")
    record = f"{reference}（{subject}）" if reference else subject
    counterparty = data.get("counterparty")
    mechanism, action = str(data.get("mechanism")), str(data.get("action", ""))
    values = {
        "signature": SIGNATURE,
        "mechanism": MECHANISMS_ZH.get(mechanism, mechanism),
        "rule": data.get("rule", ""),
        "action": action_zh(mechanism, action) or action,
        "organisation": name(str(data.get("organisation", ""))),
        "waiting": WAITING.substitute(counterparty=name(counterparty)) if counterparty else "",
        "due": china_time(data["due_at"]) if data.get("due_at") else "（未知）",
        "days_left": data.get("working_days_left", "—"),
        "lead": _lead(data),
        "breach": _breach(data),
        "record": record,
        "record_short": reference or subject,
    }
    masked = {k: mask_identity_numbers(str(v)) for k, v in values.items()}
    url = link(subject) if subject else None
    return Message(
        title=TITLES[kind].substitute(masked),
        lines=tuple(t.substitute(masked) for t in LINES[kind]),
        sms=SMS[kind].substitute(masked),
        link=mask_identity_numbers(url) if url else None,
    )
