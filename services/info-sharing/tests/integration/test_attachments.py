"""INFO-02 on attachments and on every text field, and issue 17 on info-sharing's files.

What an attachment says is read — the text layer of a PDF, a .docx (headers and tracked
deletions too), an .xlsx, an .ofd, a CSV or a text file in any encoding Chinese office
software writes — in a worker process, and screened before the file is kept; what cannot
be read is refused unless its uploader declares it holds no state secret. Every text field
of every operation is screened (the OpenAPI document is walked, so a new field cannot skip
it), and a refusal leaves nothing anywhere.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest

from xietong_devtools import files_corpus as corpus

from .conftest import PROBLEM, Info, item_body
from .test_secrets import everywhere_in_the_database, in_the_blob_store, secret

pytestmark = pytest.mark.integration
PDF, TEXT = "application/pdf", "text/plain"


async def draft(info: Info) -> str:
    r = await info.post(info.codes.dept, item_body(title="可以共享的草稿"))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def attach(info: Info, item_id: str, sample: corpus.Sample, **data: str) -> Any:
    return await info.svc.client.post(
        f"/items/{item_id}/attachments",
        files={"file": sample.upload()},
        data=data,
        headers=info.clerk(info.codes.dept),
    )


def marked(needle: str) -> dict[str, corpus.Sample]:
    """The same marking, in every kind of file a clerk attaches."""
    lines = [f"机密★1年 {needle}", "关于某事项的情况报告"]
    return {
        "PDF text layer": corpus.Sample("报告.pdf", corpus.pdf(lines), PDF),
        "docx header": corpus.Sample(
            "报告.docx", corpus.docx([needle], header="机|密★1年"), corpus.DOCX
        ),
        "xlsx cell": corpus.Sample(
            "统计.xlsx", corpus.xlsx([["秘密★5年"], ["乡镇", "立案数"], [needle, 3]]), corpus.XLSX
        ),
        "ofd text": corpus.Sample("通知.ofd", corpus.ofd(lines), "application/ofd"),
        "CSV in GB18030": corpus.Sample(
            "统计.csv", f"密级,绝密\n乡镇,立案数\n{needle},3\n".encode("gb18030"), "text/csv"
        ),
        "text in UTF-16": corpus.Sample("说明.txt", "\n".join(lines).encode("utf-16"), TEXT),
        "Hangul filler": corpus.Sample("说明.txt", f"机\u3164密★1年\n{needle}".encode(), TEXT),
    }


async def test_info_02_the_content_of_every_kind_of_attachment_is_screened(
    info: Info, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    item_id = await draft(info)
    before = await info.counts()
    needles = []
    for why in marked("x"):
        needles.append(secret())
        r = await attach(info, item_id, marked(needles[-1])[why])
        assert r.status_code == 422, (why, r.text)
        problem = r.json()
        assert problem["type"] == PROBLEM + "info-classified-refused", (why, problem)
        assert problem["fields"] == ["file"], why
        assert needles[-1] not in r.text
    assert await info.counts() == before
    for needle in needles:
        assert await everywhere_in_the_database(info, needle) == []
        assert in_the_blob_store(info, needle) == []
        assert needle not in caplog.text
    withheld = await info.audit("info.withheld")
    assert len(withheld) == len(needles)
    assert all(w["detail"]["fields"] == ["file"] for w in withheld)


async def test_info_02_text_that_would_escape_the_scan_is_decoded_or_refused(info: Info) -> None:
    item_id = await draft(info)
    before = await info.counts()
    needle = secret()
    text = f"机密★1年\n{needle}".encode()
    for sample, slug in (
        # a text file declared as a PDF: what it really is decides
        (corpus.Sample("报告.pdf", text, PDF), "file-type-mismatch"),
        # UTF-8 with one stray byte: never read as something else
        (corpus.Sample("说明.txt", text + b"\xff" + "其余".encode() * 30, TEXT), "file-unreadable"),
        (corpus.Sample("说明.txt", b"\x81\xff" + text, TEXT), "file-unreadable"),
    ):
        r = await attach(info, item_id, sample)
        assert r.status_code == 422, r.text
        assert r.json()["type"] == PROBLEM + slug
    assert await info.counts() == before
    assert in_the_blob_store(info, needle) == []


@pytest.mark.parametrize(
    ("why", "sample"),
    [
        ("encrypted PDF", corpus.Sample("a.pdf", corpus.encrypted_pdf(["正文"]), PDF)),
        ("scanned PDF", corpus.Sample("扫描件.pdf", corpus.pdf(text=False), PDF)),
        ("image", corpus.Sample("照片.png", corpus.png(), "image/png")),
    ],
)
async def test_info_02_a_file_that_cannot_be_read_is_shared_only_with_a_declared_classification(
    info: Info, why: str, sample: corpus.Sample
) -> None:
    item_id = await draft(info)
    before = await info.counts()
    r = await attach(info, item_id, sample)
    assert r.status_code == 422, r.text
    assert r.json()["type"] == PROBLEM + "info-attachment-unscreened"
    assert r.json()["rule"] == "INFO-02"
    r = await attach(info, item_id, sample, classification="机密")
    assert r.json()["type"] == PROBLEM + "info-classified-refused"
    assert await info.counts() == before
    r = await attach(info, item_id, sample, classification="非涉密")
    assert r.status_code == 201, r.text
    assert (r.json()["text_screened"], r.json()["classification_declared"]) == (False, "none")


async def test_info_02_clean_attachments_of_every_kind_are_shared_with_their_real_type(
    info: Info,
) -> None:
    item_id = await draft(info)
    lines = ["关于某事项的情况报告", "商业秘密★3年", "本报告涉及商业 秘密", "工作秘密★"]
    for sample, detected in (
        (corpus.Sample("a.pdf", corpus.pdf(lines), PDF), PDF),
        (corpus.Sample("a.docx", corpus.docx(lines), corpus.DOCX), corpus.DOCX),
        (corpus.Sample("a.xlsx", corpus.xlsx([lines]), corpus.XLSX), corpus.XLSX),
        (corpus.Sample("a.ofd", corpus.ofd(lines), "application/octet-stream"), "application/ofd"),
        (corpus.Sample("a.csv", "\n".join(lines).encode("gb18030"), corpus.XLS), "text/csv"),
    ):
        r = await attach(info, item_id, sample)
        assert r.status_code == 201, (sample.name, r.text)
        assert r.json()["content_type"] == detected
        assert r.json()["text_screened"] is True


@pytest.mark.parametrize("classification", ["不涉及国家秘密", "非国家秘密", "商业秘密", "工作秘密"])
async def test_info_02_a_classification_that_is_no_state_secret_is_not_refused(
    info: Info, classification: str
) -> None:
    r = await info.post(
        info.codes.dept, item_body(classification=classification, body="商业秘密★3年\n工作秘密★")
    )
    assert r.status_code == 201, r.text


def _resolve(schema: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def text_fields(
    schema: dict[str, Any], doc: dict[str, Any], path: tuple[Any, ...] = ()
) -> set[tuple[Any, ...]]:
    """Every place a request body may hold free text, by its path."""
    schema = _resolve(schema, doc)
    found: set[tuple[Any, ...]] = set()
    for key in ("anyOf", "oneOf", "allOf"):
        for inner in schema.get(key, []):
            found |= text_fields(inner, doc, path)
    if schema.get("type") == "object" or "properties" in schema:
        for name, inner in schema.get("properties", {}).items():
            found |= text_fields(inner, doc, (*path, name))
    if schema.get("type") == "array" and "items" in schema and len(path) < 8:
        found |= text_fields(schema["items"], doc, (*path, 0))
    if (
        schema.get("type") == "string"
        and "enum" not in schema
        and schema.get("format") not in ("uuid", "date", "date-time", "binary")
    ):
        found.add(path)
    return found


def body_at(path: tuple[Any, ...], text: str) -> Any:
    value: Any = text
    for part in reversed(path):
        value = [value] if isinstance(part, int) else {part: value}
    return value


async def test_info_02_every_text_field_of_every_operation_is_screened(info: Info) -> None:
    """Walks info-sharing's OpenAPI document: each text field of each request body, with a
    marking in it, is refused before the route runs — a field added tomorrow is too."""
    doc = (await info.svc.client.get("/openapi.json")).json()
    checked: list[str] = []
    before = await info.counts()
    for template, item in doc["paths"].items():
        for method, op in item.items():
            content = op.get("requestBody", {}).get("content", {})
            if not content:
                continue
            path = template
            for param in op.get("parameters", []):
                if param["in"] == "path":
                    path = path.replace("{" + param["name"] + "}", str(uuid.uuid4()))
            for media, spec in content.items():
                fields = text_fields(spec["schema"], doc)
                assert fields, (method, template)
                for field in sorted(fields, key=str):
                    dotted = ".".join(str(p) for p in field)
                    marking = "机密" if field[-1] == "classification" else f"机密★1年 {secret()}"
                    if media == "application/json":
                        r = await info.svc.client.request(
                            method,
                            path,
                            json=body_at(field, marking),
                            headers=info.clerk(info.codes.dept),
                        )
                    else:
                        r = await info.svc.client.request(
                            method,
                            path,
                            data={dotted: marking},
                            files={"file": ("a.txt", "正文".encode(), TEXT)},
                            headers=info.clerk(info.codes.dept),
                        )
                    where = f"{method.upper()} {template} {dotted}"
                    assert r.status_code == 422, (where, r.text)
                    assert r.json()["type"] == PROBLEM + "info-classified-refused", where
                    assert dotted in r.json()["fields"], (where, r.json())
                    checked.append(where)
    assert await info.counts() == before
    # the fields the review found unscreened are among those checked
    assert any("/feedback-requests note" in c for c in checked), checked
    assert any("/subscriptions name" in c for c in checked), checked
    assert len(checked) >= 30


async def test_superseding_another_publishers_restricted_item_answers_as_a_random_id(
    info: Info,
) -> None:
    c = info.codes
    restricted = await info.publish(c.town_b, audience=[c.town_b])
    mine = await info.publish(c.town_a)
    answers = []
    for target in (restricted["id"], str(uuid.uuid4())):
        r = await info.post(c.town_a, item_body(supersedes=target))
        assert r.status_code == 404, r.text
        body = r.json()
        answers.append({k: v for k, v in body.items() if k != "instance"})
    assert answers[0] == answers[1]
    assert mine["id"]


async def test_every_malformed_attachment_is_refused_and_nothing_is_stored(info: Info) -> None:
    item_id = await draft(info)

    async def post(sample: corpus.Sample) -> Any:
        return await attach(info, item_id, sample)

    await corpus.refuses_every_malformed_file(
        post,
        counts=info.counts,
        blob_dir=info.blob_dir,
        samples=corpus.malformed_documents(),
        fuzz=corpus.Sample(
            "统计.xlsx", corpus.xlsx([["乡镇", "立案数"], ["荔枝街道", 3]]), corpus.XLSX
        ),
    )


@pytest.mark.parametrize("title", ["\u200b", " \u200b\ufeff ", "\u3164", "通报\u202egnp.exe"])
async def test_a_title_of_invisible_characters_or_with_a_bidi_control_is_refused(
    info: Info, title: str
) -> None:
    before = await info.counts()
    r = await info.post(info.codes.dept, item_body(title=title))
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["type"] in ("invisible_text", "forbidden_character")
    assert await info.counts() == before
