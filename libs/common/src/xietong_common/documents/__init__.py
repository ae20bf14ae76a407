"""Official documents (公文) after GB/T 9704-2012, issued by each service for its own records
(docs/documents.md): `kinds` (what the notice requires in writing), `content` (what a
document says, built from the record), `render` (the layout, in worker processes),
`issuing` (numbers, storage, corrections), `schemas` (the API side; the routes' helpers are `xietong_common.web.documents`)."""

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
)
from xietong_common.documents.errors import (
    DocumentIssuerIncomplete,
    DocumentNotAvailable,
    DocumentNotFound,
    DocumentNotIssued,
    NotTheIssuer,
)
from xietong_common.documents.issuing import (
    DraftOf,
    IssuedDocument,
    correct,
    issuer,
    name_of,
    obtain,
)
from xietong_common.documents.kinds import DocumentKind
from xietong_common.documents.settings import DocumentSettings

__all__ = [
    "Attachment",
    "Column",
    "DocumentDraft",
    "DocumentIssuerIncomplete",
    "DocumentKind",
    "DocumentNotAvailable",
    "DocumentNotFound",
    "DocumentNotIssued",
    "DocumentSettings",
    "DraftOf",
    "Fields",
    "Heading",
    "IssuedDocument",
    "Issuer",
    "NotTheIssuer",
    "OfficialDocument",
    "Paragraph",
    "Table",
    "correct",
    "issuer",
    "name_of",
    "obtain",
]
