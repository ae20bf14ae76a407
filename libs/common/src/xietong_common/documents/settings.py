"""Settings of the services that issue official documents (env prefix `XIETONG_`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from xietong_common.settings import ServiceSettings

NOTO = Path("/usr/share/fonts/opentype/noto")
PdfVariant = Literal["pdf/a-2b", "pdf/a-2u", "pdf/a-3b", "pdf/a-3u", "none"]


class DocumentSettings(ServiceSettings):
    """Fonts, limits and the verification address of the documents a service issues
    (docs/documents.md). A service that issues documents subclasses this instead of
    `ServiceSettings`."""

    # GB/T 9704 names 小标宋 for the 版头 and the title, 仿宋_GB2312 for the body, 黑体 and 楷体
    # for headings: licensed fonts. The defaults are Noto CJK (SIL Open Font License) from
    # Debian's fonts-noto-cjk; an operator holding licences points these at the installed
    # files. A .ttc collection is read for its simplified-Chinese face.
    document_font_title: Path = Field(
        default=NOTO / "NotoSerifCJK-Bold.ttc",
        description="font file of the 发文机关标志 and the title (小标宋 in GB/T 9704)",
    )
    document_font_body: Path = Field(
        default=NOTO / "NotoSerifCJK-Regular.ttc",
        description="font file of the body, the 发文字号 and the dates (仿宋_GB2312 in GB/T 9704)",
    )
    document_font_heading: Path = Field(
        default=NOTO / "NotoSansCJK-Bold.ttc",
        description="font file of first-level headings and 附件 (黑体 in GB/T 9704)",
    )
    document_font_kai: Path | None = Field(
        default=None,
        description="font file of second-level headings (楷体_GB2312 in GB/T 9704); unset: "
        "the body font (no freely licensed 楷体 ships with Debian's Noto CJK)",
    )
    document_public_base_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
        description="the address at which people reach this service (e.g. "
        "https://xietong.example.gov.cn/referral): the QR code of a 送达回证 links to "
        "<this>/documents/<digest>; unset, the address the issuing request came to",
    )
    document_pdf_variant: PdfVariant = Field(
        default="pdf/a-2u",
        description="PDF/A conformance the files claim (pdf/a-2u: archival, with Unicode text); "
        "`none`: plain PDF",
    )
    document_render_workers: int = Field(
        default=1,
        ge=1,
        le=16,
        description="processes laying out documents (CPU-heavy: never on the event loop)",
    )
    document_render_queue: int = Field(
        default=8,
        ge=1,
        le=1000,
        description="documents being laid out or waiting at once; beyond it a request is "
        "answered 503 document-render-busy with Retry-After",
    )
    document_render_warm: bool = Field(
        default=True,
        description="lay a small document out when the service starts (in the background), "
        "so the first real one does not wait for the worker to start and load the fonts",
    )
    document_render_timeout_s: float = Field(
        default=120.0,
        gt=0,
        le=3600,
        description="longest a document may take to lay out; past it the worker is replaced "
        "and the request answered 503 (nothing issued)",
    )
    document_max_pages: int = Field(
        default=60, ge=1, le=2000, description="longest document, in pages; longer is refused"
    )
