"""The message text of the robot and SMS formats, and 钉钉's 加签, without I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import pytest

from notifier.domain import WebhookFormat, compose, dingtalk_sign, format_refusal
from notifier.domain.messages import china_time, mask_identity_numbers

NAMES = {"town:lizhi": "李渡街道", "dept:ecology-environment": "区生态环境局"}


def breached(**data: Any) -> dict[str, Any]:
    return {
        "type": "xietong.deadline.breached.v1",
        "data": {
            "mechanism": "referral",
            "rule": "REF-07",
            "action": "answer",
            "organisation": "dept:ecology-environment",
            "counterparty": "town:lizhi",
            "subject": "referral:0b9c2f4e",
            "due_at": "2026-12-08T16:00:00Z",
            "kind": "no-action",
            **data,
        },
    }


def test_sup_02_the_due_time_is_shown_in_china_time_across_midnight() -> None:
    """16:00 UTC is 00:00 of the next day in Asia/Shanghai: the message says so."""
    assert china_time("2026-12-08T16:00:00Z") == "2026年12月9日 00:00"
    message = compose(breached(), name=lambda c: NAMES.get(c, c))
    assert message.title == "逾期提醒：案件移送 REF-07"
    assert "已于 2026年12月9日 00:00（北京时间）到期，逾期未办。" in message.text
    assert "应办单位：区生态环境局；等待单位：李渡街道" in message.text
    assert "记录：referral:0b9c2f4e" in message.text
    assert message.sms.startswith(
        "【协同监管平台】案件移送「书面答复是否受理」（REF-07）已于 2026年12月9日"
    )


def test_sup_02_a_reminder_counts_its_working_days_and_lead() -> None:
    event = {
        "type": "xietong.deadline.approaching.v1",
        "data": {
            **breached()["data"],
            "reference": "涪移回〔2026〕12号",
            "lead_unit": "hours",
            "lead_amount": 4,
            "working_days_left": 1,
        },
    }
    message = compose(event, name=lambda c: NAMES.get(c, c))
    assert message.lines[0] == "【协同监管平台】期限临近提醒"
    assert message.lines[1].startswith(
        "区生态环境局：案件移送事项「书面答复是否受理」（REF-07）将于"
    )
    assert "记录：涪移回〔2026〕12号（referral:0b9c2f4e）" in message.text
    assert "剩余工作日：1 个（提前 4 个小时提醒）" in message.text
    assert message.markdown.startswith("### 【协同监管平台】期限临近提醒\n\n> ")


@pytest.mark.parametrize("number", ["11010519491231002X", "11010519491231002x", "110105491231002"])
def test_sup_02_identity_numbers_are_masked_in_every_message(number: str) -> None:
    event = breached(reference=f"涪移回〔2026〕7号 {number}", subject=f"referral:{number}")
    message = compose(event, name=str)
    for text in (message.title, message.text, message.markdown, message.sms):
        assert number not in text
    assert number[:6] + "*" * (len(number) - 10) + number[-4:] in message.text
    # Longer runs of digits (a USCC-like code, an id) are not identity numbers.
    assert mask_identity_numbers("915001027626571000X1") == "915001027626571000X1"


def test_dingtalk_sign_is_base64_hmac_sha256_of_timestamp_and_secret() -> None:
    """DingTalk's documented 加签: HMAC-SHA256 keyed with the secret over
    "<timestamp ms>\\n<secret>", base64 (url-encoded when sent)."""
    secret, ts = "SEC" + "a1" * 32, 1_700_000_000_000
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert dingtalk_sign(secret, timestamp_ms=ts) == expected


@pytest.mark.parametrize(
    ("fmt", "url", "secret", "refused"),
    [
        ("cloudevents", "https://x.example/h", None, False),
        ("cloudevents", "https://x.example/h", "SEC" + "a" * 64, True),
        ("wecom-robot", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", None, False),
        ("wecom-robot-markdown", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send", None, True),
        ("dingtalk-robot", "https://oapi.dingtalk.com/robot/send?access_token=t", None, True),
        ("dingtalk-robot", "https://oapi.dingtalk.com/robot/send?access_token=t", "x" * 20, True),
        (
            "dingtalk-robot",
            "https://oapi.dingtalk.com/robot/send?access_token=t",
            "SEC" + "a" * 64,
            False,
        ),
        ("dingtalk-robot", "https://oapi.dingtalk.com/robot/send", "SEC" + "a" * 64, True),
        ("sms-gateway", "https://sms.fl.example.gov.cn/send", None, False),
    ],
)
def test_each_format_says_what_url_and_secret_it_takes(
    fmt: str, url: str, secret: str | None, refused: bool
) -> None:
    assert (format_refusal(WebhookFormat(fmt), url, secret) is not None) is refused


def test_issue_24_a_message_links_to_the_record_in_the_workbench() -> None:
    """With the workbench's public address set, every form carries the record's page; with
    none, no link at all."""
    from functools import partial

    from xietong_common.record_pages import workbench_link

    link = partial(workbench_link, "https://gzt.fuling.example.gov.cn/")
    message = compose(breached(), name=str, link=link)
    page = "https://gzt.fuling.example.gov.cn/referrals/0b9c2f4e"
    assert message.link == page
    assert message.text.endswith(f"\n查看：{page}")
    assert message.markdown.endswith(f"[在工作台中查看]({page})")
    assert message.sms_text.endswith(f"详见 {page}")
    bare = compose(breached(), name=str)
    assert bare.link is None
    assert "http" not in bare.text + bare.markdown + bare.sms_text
    assert compose(breached(), name=str, link=partial(workbench_link, "")).link is None


def test_issue_24_record_pages_by_subject() -> None:
    from xietong_common.record_pages import workbench_link

    base = "https://gzt.example.gov.cn"
    assert workbench_link(base, "inspection:7") == f"{base}/inspection/orders/7"
    assert workbench_link(base, "review:9") == f"{base}/reviews/9"
    assert workbench_link(base, "assistance:5") == f"{base}/assistance/5"
    assert workbench_link(base, "inspection-shortcoming:3") is None  # no page of its own
    assert workbench_link(base, "referral") is None
    assert workbench_link(None, "referral:1") is None
    assert workbench_link(base, "referral:a/b") == f"{base}/referrals/a%2Fb"
