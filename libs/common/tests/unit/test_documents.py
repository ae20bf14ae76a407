"""Official documents without a database: numbers and dates as GB/T 9704 writes them, the
content digest, the directory's 代字, and the layout itself — rendered, read back as text,
measured on the page, looked at as an image, its fonts checked for every character."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from xietong_common.calendar import end_of_china_day
from xietong_common.documents.content import (
    Attachment,
    Column,
    DocumentDraft,
    Fields,
    Heading,
    Issuer,
    OfficialDocument,
    Paragraph,
    Table,
    china_date,
    deadline_text,
    document_number,
)
from xietong_common.documents.kinds import KINDS, DocumentKind
from xietong_common.documents.render import (
    DocumentRenderError,
    DocumentTooLong,
    Fonts,
    RenderJob,
    document_html,
    mark_size_mm,
    render_document,
)
from xietong_common.documents.settings import DocumentSettings
from xietong_common.reference import ReferenceDataError, load_directory
from xietong_devtools import pdf_check

RULES = Path(__file__).resolve().parents[4] / "shared" / "spec" / "RULES.md"
ISSUER = Issuer(
    code="dept:ecology-environment",
    name="重庆市涪陵区生态环境局",
    signature="重庆市涪陵区生态环境局",
    prefix="涪环",
)
FACTS = (
    "2026年1月5日10时许，我局执法人员在荔枝街道太白路12号检查时发现，当事人重庆某某建材有限公司"
    "未依法取得排污许可证，擅自通过暗管向长江支流排放生产废水。"
)
ITEMS = (
    ("1", "排污软管", "20", "米", "否"),
    ("2", "水泵", "1", "台", "是：变卖，所得款项3200.00元"),
)


def letter(facts: str = FACTS, **changes: object) -> OfficialDocument:
    draft = DocumentDraft(
        kind=DocumentKind.REFERRAL_LETTER,
        subject="referral:0b6f1c9e-6f7e-4a43-9d55-2c8f3c7d1e01",
        issuer=ISSUER,
        title="案件移送函",
        addressees=("重庆市涪陵区荔枝街道办事处",),
        body=(
            Paragraph(text="我局在执法过程中发现下列违法行为，属于你单位管辖，现移送你单位处理。"),
            Heading(level=1, text="一、案件基本情况"),
            Paragraph(text=facts),
            Heading(level=2, text="（一）当事人"),
            Paragraph(text="重庆某某建材有限公司（统一社会信用代码91500102MA5U1234XY）。"),
            Paragraph(
                text="请于5个工作日内（"
                + deadline_text(end_of_china_day(date(2026, 1, 15)))
                + "）书面告知我局受理情况。"
            ),
        ),
        attachments=(
            Attachment(
                title="涉案物品清单",
                blocks=(
                    Table(
                        columns=(
                            Column(label="序号", width=8, align="center"),
                            Column(label="物品名称", width=30),
                            Column(label="数量", width=12, align="right"),
                            Column(label="单位", width=10, align="center"),
                            Column(label="先行处置", width=40),
                        ),
                        rows=ITEMS,
                    ),
                ),
            ),
        ),
        signed_on=date(2026, 1, 8),
        note="联系人：张三，联系电话：023-72221234",
        copies_to=("重庆市涪陵区司法局",),
    )
    doc = draft.numbered(document_number("涪环", draft.kind, 2026, 12), year=2026, serial=12)
    return doc.model_copy(update=changes) if changes else doc


def job(doc: OfficialDocument, **options: object) -> RenderJob:
    values: dict[str, object] = {
        "document": doc.model_dump(mode="json"),
        "fonts": Fonts.of(DocumentSettings()),
        "issued_at": datetime(2026, 1, 8, 2, 0, tzinfo=UTC),
    }
    values.update(options)
    return RenderJob(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def rendered() -> bytes:
    return render_document(job(letter())).pdf


# ---- numbers, dates, kinds ----------------------------------------------------------------------


def test_a_document_number_is_written_as_gb_t_9704_prescribes() -> None:
    assert document_number("涪环", DocumentKind.REFERRAL_LETTER, 2026, 12) == "涪环移〔2026〕12号"
    assert document_number("涪荔枝", DocumentKind.SERVICE_RECEIPT, 2026, 1) == "涪荔枝回〔2026〕1号"
    with pytest.raises(ValueError):
        document_number("涪环", DocumentKind.REFERRAL_LETTER, 2026, 0)


def test_dates_are_arabic_without_leading_zeros_and_deadlines_end_at_24_00() -> None:
    assert china_date(date(2026, 1, 5)) == "2026年1月5日"
    # 24:00 China time on 15 January, not 0:00 on the 16th
    assert deadline_text(datetime(2026, 1, 15, 16, 0, tzinfo=UTC)) == "2026年1月15日24时前"


def test_every_kind_has_its_own_mark_and_a_rule_of_the_catalogue() -> None:
    marks = [spec.mark for spec in KINDS.values()]
    assert len(marks) == len(set(marks)), "two kinds with one 代字 would share numbers"
    assert set(KINDS) == set(DocumentKind)
    rules = RULES.read_text(encoding="utf-8") if RULES.exists() else None
    for kind, spec in KINDS.items():
        assert re.fullmatch(r"[A-Z]+-\d\d", spec.rule), kind
        if rules is not None:
            assert f"- {spec.rule} " in rules, f"{kind}: {spec.rule} is not in RULES.md"
    assert KINDS[DocumentKind.SERVICE_RECEIPT].verification_qr


def test_the_content_digest_follows_every_printed_field() -> None:
    doc = letter()
    assert doc.content_digest() == letter().content_digest()
    assert re.fullmatch(r"[0-9a-f]{64}", doc.content_digest())
    assert letter(number="涪环移〔2026〕13号").content_digest() != doc.content_digest()
    assert letter(FACTS + "。").content_digest() != doc.content_digest()


def test_the_directory_gives_issuers_a_full_name_and_a_unique_prefix(tmp_path: Path) -> None:
    directory = load_directory()
    issuers = [o for o in directory if o.doc_prefix]
    assert len(issuers) >= 40  # the district, the bureau, 11 departments, 27 towns
    for org in directory.towns() + directory.departments():
        assert org.doc_prefix, org.code
        assert org.full_name_zh, org.code
    assert directory.require("dept:ecology-environment").doc_prefix == "涪环"
    assert directory.require("town:lizhi").full_name_zh == "重庆市涪陵区荔枝街道办事处"
    assert directory.require("town:baisheng").full_name_zh == "重庆市涪陵区百胜镇人民政府"
    twice = tmp_path / "organisations.yaml"
    twice.write_text(
        "organisations:\n"
        "  - {code: 'dept:water', name_zh: 区水利局, name_en: W, secondment_mode: zone,"
        " full_name_zh: 重庆市涪陵区水利局, doc_prefix: 涪水}\n"
        "  - {code: 'dept:forestry', name_zh: 区林业局, name_en: F, secondment_mode: zone,"
        " full_name_zh: 重庆市涪陵区林业局, doc_prefix: 涪水}\n",
        encoding="utf-8",
    )
    with pytest.raises(ReferenceDataError, match="doc_prefix 涪水 is also dept:water"):
        load_directory(twice)
    twice.write_text(
        "organisations:\n"
        "  - {code: 'dept:water', name_zh: 区水利局, name_en: W, secondment_mode: zone,"
        " doc_prefix: 涪水}\n",
        encoding="utf-8",
    )
    with pytest.raises(ReferenceDataError, match="full_name_zh"):
        load_directory(twice)


def test_the_mark_fits_the_type_area_however_long_the_name() -> None:
    assert mark_size_mm("重庆市涪陵区生态环境局") * 11 <= 156
    assert mark_size_mm("重庆市涪陵区公安局交巡警支队") * 14 <= 156
    assert mark_size_mm("区政府") == 15.0


# ---- the rendered document ----------------------------------------------------------------------


def test_ref_05_the_letter_says_number_parties_dates_items_and_rule(rendered: bytes) -> None:
    text = pdf_check.text(rendered)
    for expected in (
        "重庆市涪陵区生态环境局",  # 版头 and 署名
        "涪环移〔2026〕12号",
        "案件移送函",
        "重庆市涪陵区荔枝街道办事处：",  # 主送机关
        pdf_check.compact(FACTS),
        "2026年1月15日24时前",  # the deadline as the statute reads
        "2026年1月8日",  # 成文日期
        "附件：涉案物品清单",  # 附件说明
        "排污软管",
        "是：变卖，所得款项3200.00元",  # REF-05: disposed items listed with the proceeds
        "（联系人：张三，联系电话：023-72221234）",  # 附注
        "抄送：重庆市涪陵区司法局。",  # 版记
        "2026年1月8日印发",
    ):
        assert expected in text, expected
    assert re.search(r"—\s*1\s*—", pdf_check.pages_text(rendered)[0])  # 一字线 each side


def test_the_letter_is_a4_with_the_type_area_of_the_standard(rendered: bytes) -> None:
    pages = list(pdf_check.placed_chars(rendered))
    assert pages, "no text"
    assert pdf_check.outside_type_area(rendered) == []
    body = [c for c in pages if c.page == 0 and c.char == "我"]
    assert body, "the body's first character"
    # 左空二字: the first line of a paragraph starts two 3号 characters into the 版心
    assert abs(body[0].left_mm - (28 + 2 * 16 * 25.4 / 72)) < 1.0
    assert all(
        abs(w - 210) < 0.1 and abs(h - 297) < 0.1 for w, h in pdf_check.page_sizes_mm(rendered)
    )
    image = pdf_check.page_image(rendered)
    assert pdf_check.ink_ratio(image) > 0.01
    assert pdf_check.red_ratio(image) > 0.001  # the red 发文机关标志 and rule


def test_fonts_are_embedded_and_draw_every_cjk_character(rendered: bytes) -> None:
    fonts = pdf_check.embedded_fonts(rendered)
    assert fonts
    assert all(f.embedded for f in fonts), [f.name for f in fonts if not f.embedded]
    assert pdf_check.tofu(rendered, letter().printed_text()) == set()


def test_a_character_the_fonts_lack_is_found_as_tofu() -> None:
    """The tofu check itself: a CJK Extension B character Noto CJK SC does not draw."""
    strange = "\U0002a6d6"  # 𪛖
    pdf = render_document(job(letter(FACTS + strange))).pdf
    assert pdf_check.tofu(pdf, strange) == {strange}


def test_5000_characters_of_facts_paginate_inside_the_type_area() -> None:
    facts = (FACTS * 80)[:5000]
    result = render_document(job(letter(facts)))
    # Chinese line breaking: no line starts with a closing mark (，。、；：）》”)
    lines = [line for page in pdf_check.pages_text(result.pdf) for line in page.splitlines()]
    assert [line for line in lines if line[:1] in "，。、；：）》”"] == []
    assert result.pages >= 9  # about 616 characters a page
    assert pdf_check.compact(facts) in pdf_check.text(result.pdf)
    assert pdf_check.outside_type_area(result.pdf) == []
    numbers = [re.search(r"—\s*(\d+)\s*—", t) for t in pdf_check.pages_text(result.pdf)]
    assert [int(m.group(1)) for m in numbers if m] == list(range(1, result.pages + 1))


def test_a_page_limit_refuses_a_longer_document() -> None:
    with pytest.raises(DocumentTooLong) as refused:
        render_document(job(letter((FACTS * 80)[:5000]), max_pages=3))
    assert refused.value.extensions["max_pages"] == 3


def test_record_text_is_text_never_markup_and_nothing_is_fetched() -> None:
    hostile = '<img src="http://198.51.100.7/x.png"><script>x()</script>&amp;</p><h1>'
    doc = letter(FACTS + hostile)
    html = document_html(job(doc))
    assert '<img src="http' not in html
    assert "&lt;img" in html
    pdf = render_document(job(doc)).pdf
    assert pdf_check.compact(hostile) in pdf_check.text(pdf)


def test_missing_font_files_are_named(tmp_path: Path) -> None:
    fonts = Fonts(
        title=str(tmp_path / "FZXBS.ttf"),
        body=str(tmp_path / "FZFS.ttf"),
        heading=str(tmp_path / "FZHT.ttf"),
        kai=str(tmp_path / "FZKT.ttf"),
    )
    with pytest.raises(DocumentRenderError) as refused:
        render_document(job(letter(), fonts=fonts))
    assert str(tmp_path / "FZXBS.ttf") in refused.value.extensions["fonts"]


def test_the_service_receipt_carries_a_qr_code_to_its_verification_url() -> None:
    doc = letter(
        kind=DocumentKind.SERVICE_RECEIPT,
        title="行政案件移送书送达回证",
        body=(Fields(rows=(("送达文书名称及文号", "案件移送函（涪环移〔2026〕12号）"),)),),
        attachments=(),
    )
    url = f"https://xietong.example.gov.cn/referral/documents/{doc.content_digest()}"
    pdf = render_document(job(doc, verification_url=url)).pdf
    text = pdf_check.text(pdf)
    assert doc.content_digest() in text
    assert "https://xietong.example.gov.cn/referral/documents/" in text
    assert "行政案件移送书送达回证" in text
    assert pdf_check.red_ratio(pdf_check.page_image(pdf)) == 0  # a form: no red 版头
