"""What an official document says, apart from how it is laid out: the record's facts put in
the places GB/T 9704-2012 gives them (版头, 发文字号, 标题, 主送机关, 正文, 附件说明,
发文机关署名, 成文日期, 附注, 版记).

A service builds a `DocumentDraft` from its record — every name, number and date taken from
the record and the organisation directory, never typed again — and the facility numbers it
(`OfficialDocument`). The numbered document is stored as JSON beside the PDF: it is what
was issued, what `GET /documents/{digest}` answers with, and what another format (OFD) can
be made from later without the record.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from xietong_common.calendar import CHINA_TZ, due_labels
from xietong_common.documents.kinds import DocumentKind

# Bounds on what one document may carry: a record's text fields are bounded already; these
# keep a document a few dozen pages at most whatever a service puts in (docs/documents.md).
MAX_TEXT = 20_000
MAX_ROWS = 500
MAX_BLOCKS = 200


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Paragraph(_Frozen):
    """A paragraph of the body: 3号仿宋, first line indented two characters (左空二字)."""

    type: Literal["paragraph"] = "paragraph"
    text: str = Field(max_length=MAX_TEXT)
    indent: bool = True


class Heading(_Frozen):
    """A heading of the body: level 1 一、 (黑体), level 2 （一） (楷体)."""

    type: Literal["heading"] = "heading"
    level: Literal[1, 2] = 1
    text: str = Field(max_length=500)


class Fields(_Frozen):
    """A bordered two-column table of labels and values (a form: 送达回证, 工单)."""

    type: Literal["fields"] = "fields"
    rows: tuple[tuple[str, str], ...] = Field(max_length=MAX_ROWS)


class Column(_Frozen):
    label: str = Field(max_length=100)
    width: float = Field(gt=0, le=100, description="share of the 版心 width, in per cent")
    align: Literal["left", "center", "right"] = "left"


class Table(_Frozen):
    """A bordered table with a header row repeated on every page (清单)."""

    type: Literal["table"] = "table"
    columns: tuple[Column, ...] = Field(min_length=1, max_length=12)
    rows: tuple[tuple[str, ...], ...] = Field(max_length=MAX_ROWS)
    empty: str = "无"  # what the table says when it has no row


Block = Annotated[Paragraph | Heading | Fields | Table, Field(discriminator="type")]


class Attachment(_Frozen):
    """附件: named in the 附件说明 after the body, laid out on pages of its own."""

    title: str = Field(max_length=200)
    blocks: tuple[Block, ...] = Field(max_length=MAX_BLOCKS)


class Issuer(_Frozen):
    """The issuing organisation: its code, the name in its 版头 (发文机关标志) and the name it
    signs with (发文机关署名), both from the organisation directory."""

    code: str
    name: str
    signature: str
    prefix: str  # 发文机关代字


class DocumentDraft(_Frozen):
    """Everything a document says but its number: what a service builds from its record."""

    kind: DocumentKind
    subject: str = Field(description="the record: `referral:<id>`, `review:<id>` …")
    instance: str = Field(
        default="",
        max_length=100,
        description="which of the record's documents of this kind (`round-2`, a target id); "
        "empty when a record has one",
    )
    issuer: Issuer
    title: str = Field(max_length=200)
    addressees: tuple[str, ...] = Field(default=(), max_length=50)
    body: tuple[Block, ...] = Field(max_length=MAX_BLOCKS)
    attachments: tuple[Attachment, ...] = Field(default=(), max_length=20)
    signed_on: date = Field(description="成文日期: the China date of the act the document records")
    note: str | None = Field(default=None, max_length=2_000, description="附注")
    copies_to: tuple[str, ...] = Field(default=(), max_length=50, description="抄送机关")

    def printed_text(self) -> str:
        """Every text the document prints, one per line (for checks: each of its characters
        must be drawn by an embedded font)."""
        parts = [self.issuer.name, self.issuer.signature, self.title, *self.addressees]
        for block in [*self.body, *(b for a in self.attachments for b in a.blocks)]:
            if isinstance(block, Paragraph | Heading):
                parts.append(block.text)
            elif isinstance(block, Fields):
                parts += [cell for row in block.rows for cell in row]
            else:
                parts += [c.label for c in block.columns]
                parts += [cell for row in block.rows for cell in row] or [block.empty]
        parts += [a.title for a in self.attachments]
        parts += [self.note or "", *self.copies_to]
        return "\n".join(p for p in parts if p)

    def numbered(self, number: str, *, year: int, serial: int) -> OfficialDocument:
        return OfficialDocument(
            **self.model_dump(exclude={"body", "attachments"}),
            body=self.body,
            attachments=self.attachments,
            number=number,
            year=year,
            serial=serial,
        )


class OfficialDocument(DocumentDraft):
    """A numbered document: the content that is rendered, stored and verified."""

    number: str = Field(examples=["涪环移〔2026〕12号"])
    year: int
    serial: int

    def canonical(self) -> bytes:
        """The content as canonical JSON (sorted keys, UTF-8): what the content digest hashes."""
        return json.dumps(
            self.model_dump(mode="json"),
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
        ).encode()

    def content_digest(self) -> str:
        """SHA-256 of the canonical content. A paper copy carries it in its QR code: a document
        cannot carry the hash of its own file, but it can carry the hash of what it says."""
        return hashlib.sha256(self.canonical()).hexdigest()


# ---- how dates, numbers, parties and the notice are written on a document ----------------

NOTICE = (
    "《重庆市涪陵区人民政府办公室关于建立健全乡镇（街道）与区级行政执法部门行政执法协调协同"
    "机制的通知》（涪陵府办〔2024〕1号）"
)
_PARTY_KINDS = {"citizen": "公民", "legal-person": "法人", "other-organisation": "其他组织"}


def party_text(party: Mapping[str, Any] | None) -> str:
    """当事人 as a document names them: the name, the kind and the identity number held on
    the record (`某某公司（法人，统一社会信用代码：9150…）`)."""
    if not party:
        return "（记录未载明当事人）"
    kind = str(party.get("kind", ""))
    label = _PARTY_KINDS.get(kind, kind)
    number = party.get("id_number")
    if number:
        what = "身份证件号码" if kind == "citizen" else "统一社会信用代码"
        return f"{party.get('name', '')}（{label}，{what}：{number}）"
    return f"{party.get('name', '')}（{label}）" if label else str(party.get("name", ""))


def document_number(prefix: str, kind: DocumentKind, year: int, serial: int) -> str:
    """发文字号 (GB/T 9704-2012 7.2.4): 代字, the year in full in 六角括号, the serial without
    第 and without leading zeros, then 号: `涪环移〔2026〕12号`."""
    if serial < 1:
        raise ValueError("a document serial starts at 1")
    return f"{prefix}{kind.spec.mark}〔{year}〕{serial}号"


def china_date(day: date) -> str:
    """成文日期 as GB/T 9704-2012 7.3.5.2 writes it: Arabic numerals, the year in full, month and
    day without leading zeros (`2026年1月5日`)."""
    return f"{day.year}年{day.month}月{day.day}日"


def china_day_of(at: datetime) -> date:
    """The China date (Asia/Shanghai) of an aware moment."""
    if at.tzinfo is None:
        raise ValueError("a moment on a document must be timezone-aware")
    return at.astimezone(CHINA_TZ).date()


def china_time(at: datetime) -> str:
    """A moment in China time: `2026年1月5日10时30分`."""
    local = at.astimezone(CHINA_TZ)
    return f"{china_date(local.date())}{local.hour}时{local.minute:02d}分"


def deadline_text(due_at: datetime, *, provisional: bool = False) -> str:
    """A deadline as the statute reads it: 24:00 of the last day, not 0:00 of the next
    (`2026年1月12日24时前`)."""
    return due_labels(due_at, provisional=provisional)[0]


def amount_text(value: object) -> str:
    """An amount of money in yuan, as the record holds it (`50000.00元`)."""
    return f"{value}元"
