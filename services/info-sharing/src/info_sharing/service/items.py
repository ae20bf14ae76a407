"""The publisher's use cases: draft, replace, attach, publish, new versions (INFO-01..INFO-03).

Every text is screened for secrecy markings (INFO-02) before anything is written: the
request's fields first, an attachment's title and file name, then its content — the text
of a PDF, .docx, .xlsx, .ofd, CSV or text file, read in a worker process — before the file
is kept in the blob store. A file whose text cannot be read is kept only with its
uploader's declaration that it holds no state secret.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from info_sharing.domain import categories, secrecy
from info_sharing.domain.categories import THROUGH_COMPLAINT_API, Category
from info_sharing.domain.items import (
    Current,
    ItemState,
    Step,
    audience_of,
    check_publishable,
    check_supersedable,
)
from info_sharing.errors import (
    AttachmentNotFound,
    AttachmentUnscreened,
    FeedbackNotRequested,
    InfoInvalidInput,
    ItemNotFound,
    ThroughComplaintApi,
)
from info_sharing.models import Attachment, Item
from info_sharing.schemas.requests import ItemFields, category_of
from info_sharing.service.common import (
    ITEM,
    PUBLISHING_ROLES,
    markings_in,
    own_item,
    publish,
    refusal,
    requesting_departments,
    screen_model,
)
from xietong_common import idempotency, materials
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.files.inspection import Inspection
from xietong_common.materials import safe_filename
from xietong_common.reference import OrgKind
from xietong_common.uow import UnitOfWork

CREATE_SCOPE = "info.item.create"


async def _content(
    uow: UnitOfWork, ctx: ServiceContext, actor: Principal, data: ItemFields, category: Category
) -> tuple[list[str], list[str], bool, list[str]]:
    """The checked matters, towns and audience of an item (category 4: the departments that
    asked for the feedback are always among its audience)."""
    matters = sorted(ctx.catalogue.require_all(data.matter_codes))
    towns = sorted(ctx.directory.require_all(data.towns, OrgKind.TOWN))
    given = sorted(ctx.directory.require_all(data.audience)) if data.audience is not None else None
    required: list[str] = []
    if category is Category.PENALTY_DECISIONS:
        required = await requesting_departments(uow, ctx, matters)
        if not required:
            raise FeedbackNotRequested(
                "a penalty decision is shared where the department concerned asked for "
                "feedback on its matter (二(一) 4.); no department asked for feedback on "
                + (", ".join(matters) or "an item without matter codes")
                + ". Share it as category 9 (other) if it must be shared.",
                zh="第4类信息限于区级行政执法部门要求反馈的行政处罚决定；相关部门未要求反馈该事项，"
                "如确需共享请作为第9类（其他）信息发布",
                matter_codes=matters,
                rule="INFO-01",
            )
    restricted, audience = audience_of(given, publisher=actor.org, required=required)
    return matters, towns, restricted, audience


async def _to_replace(uow: UnitOfWork, item_id: uuid.UUID) -> Item:
    """The item a new version replaces. One answer for an id that does not exist and for
    another publisher's item (`check_supersedable`): no way to learn that a restricted item
    exists."""
    try:
        return await ITEM.get(uow, item_id)
    except ItemNotFound:
        raise ItemNotFound("no such item to replace", zh="未找到要替代的信息") from None


def _check(actor: Principal, data: ItemFields, category: Category) -> None:
    """INFO-02 first (before any write), then who publishes what (INFO-01)."""
    screen_model(data, declared=data.classification)
    actor.require_role(*PUBLISHING_ROLES)
    if category in THROUGH_COMPLAINT_API:
        raise ThroughComplaintApi(
            "complaint and report records are posted to POST /complaints by the intake "
            "platform, once per record id, so their handling status stays current",
            zh="投诉举报记录由受理平台通过 POST /complaints 报送（每条记录一次），以保持办理状态最新",
            rule="INFO-04",
        )
    categories.check_publisher(category, actor.org)


async def create(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    data: ItemFields,
    idempotency_key: str | None = None,
) -> Item:
    """A draft item, or a published one with `publish`; with `supersedes`, a newer version of
    the publisher's current item (its attachments carried over)."""
    category = category_of(data)
    _check(actor, data, category)
    replay = await idempotency.claim(
        uow, scope=CREATE_SCOPE, org=actor.org, key=idempotency_key, request=data
    )
    if replay is not None:
        return await ITEM.get(uow, uuid.UUID(replay))
    matters, towns, restricted, audience = await _content(uow, ctx, actor, data, category)
    series_id, version, carried = None, 1, []
    item_id = uuid.uuid4()
    if data.supersedes is not None:
        older = await _to_replace(uow, data.supersedes)
        check_supersedable(
            Current(
                publisher=older.publisher,
                category=Category(older.category),
                state=ItemState(older.state),
                superseded_by=str(older.superseded_by) if older.superseded_by else None,
            ),
            publisher=actor.org,
            category=category,
        )
        series_id, version = older.series_id, older.version + 1
        carried = [
            Attachment(
                id=uuid.uuid4(),
                item_id=item_id,
                title=a.title,
                filename=a.filename,
                content_type=a.content_type,
                size=a.size,
                sha256=a.sha256,
                uploaded_at=a.uploaded_at,
                uploaded_by=a.uploaded_by,
                text_screened=a.text_screened,
                classification_declared=a.classification_declared,
            )
            for a in older.attachments
        ]
    item = ITEM.new(
        id=item_id,
        series_id=series_id or item_id,
        version=version,
        supersedes=data.supersedes,
        state=ItemState.DRAFT.value,
        category=category.value,
        publisher=actor.org,
        title=data.title,
        body=data.body,
        details=data.details.model_dump(mode="json"),
        matter_codes=matters,
        towns=towns,
        restricted=restricted,
        audience=audience,
        source_kind="manual",
        created_at=uow.now,
        created_by=actor.user,
        updated_at=uow.now,
        attachments=carried,
        updates=[],
    )
    await ITEM.insert(uow, item)  # a new version with carried attachments is flushed
    await idempotency.remember(
        uow, scope=CREATE_SCOPE, org=actor.org, key=idempotency_key, resource_id=str(item.id)
    )
    ITEM.audit(
        uow,
        item,
        "drafted",
        rule="INFO-01",
        version=version,
        supersedes=str(data.supersedes) if data.supersedes else None,
        restricted=restricted,
    )
    if data.publish:
        await _publish_checked(uow, ctx, item, actor)
    return item


async def replace(
    uow: UnitOfWork, *, ctx: ServiceContext, item_id: uuid.UUID, actor: Principal, data: ItemFields
) -> Item:
    """Replace a draft's content (the category and the version it replaces stay)."""
    category = category_of(data)
    _check(actor, data, category)
    item = await own_item(uow, item_id, actor)
    ITEM.transition(item, Step.EDIT, uow.now)
    if category.value != item.category or data.supersedes != item.supersedes:
        raise InfoInvalidInput(
            "a draft keeps its category and the version it replaces; discard it and create "
            "another to change them",
            zh="草稿的类别和所替代的版本不能修改；如需修改请删除草稿后重新创建",
            category=item.category,
        )
    matters, towns, restricted, audience = await _content(uow, ctx, actor, data, category)
    item.title, item.body = data.title, data.body
    item.details = data.details.model_dump(mode="json")
    item.matter_codes, item.towns = matters, towns
    item.restricted, item.audience = restricted, audience
    ITEM.audit(uow, item, "draft-replaced", rule="INFO-01")
    if data.publish:
        await _publish_checked(uow, ctx, item, actor)
    return item


async def discard(uow: UnitOfWork, *, item_id: uuid.UUID, actor: Principal) -> None:
    """Delete a draft (a published item stays; a newer version replaces it)."""
    item = await own_item(uow, item_id, actor)
    ITEM.transition(item, Step.DISCARD, uow.now)
    ITEM.audit(uow, item, "draft-discarded", rule="INFO-01")
    await uow.session.delete(item)


async def _publish_checked(
    uow: UnitOfWork, ctx: ServiceContext, item: Item, actor: Principal
) -> None:
    category = Category(item.category)
    check_publishable(category, [a.content_type for a in item.attachments])
    if category is Category.PENALTY_DECISIONS:
        # the departments that ask now (a request may have come or gone since the draft)
        required = await requesting_departments(uow, ctx, item.matter_codes)
        if not required:
            raise FeedbackNotRequested(
                "no department concerned asks for feedback on these matters any more",
                zh="相关行政执法部门已不再要求反馈该事项",
                matter_codes=list(item.matter_codes),
                rule="INFO-01",
            )
        item.restricted = True
        item.audience = sorted(set(item.audience) | set(required))
    if item.supersedes is not None:
        older = await ITEM.get(uow, item.supersedes)
        check_supersedable(
            Current(
                publisher=older.publisher,
                category=Category(older.category),
                state=ItemState(older.state),
                superseded_by=str(older.superseded_by) if older.superseded_by else None,
            ),
            publisher=item.publisher,
            category=category,
        )
    await publish(uow, ctx, item, by=actor.user, rule="INFO-03")


async def publish_draft(
    uow: UnitOfWork, *, ctx: ServiceContext, item_id: uuid.UUID, actor: Principal
) -> Item:
    """INFO-03: publish a draft; every subscriber's inbox gets it at once."""
    item = await own_item(uow, item_id, actor)
    await _publish_checked(uow, ctx, item, actor)
    return item


# ---- attachments -----------------------------------------------------------------------------


_UNREAD_ZH = {
    "image": "图片",
    "media": "音视频文件",
    "legacy-binary": "97-2003 格式的 Office 文件",
    "encrypted": "加密文件",
    "no-text-layer": "没有文字层的 PDF（扫描件）",
    "embedded-file": "内嵌其他文件的文档",
}


def _screened(declared: secrecy.Classification | None) -> Callable[[Inspection], None]:
    """INFO-02 on what the worker read of the file: a marking anywhere refuses it; a file
    whose text could not be read whole is kept only with a declaration that it holds no
    state secret."""

    def accept(found: Inspection) -> None:
        levels = {secrecy.Classification(v) for hits in found.findings.values() for v in hits}
        if levels:
            raise refusal([secrecy.Marking(field="file", level=lv) for lv in sorted(levels)])
        if not found.text_complete and declared is None:
            why = found.unread or "unreadable"
            raise AttachmentUnscreened(
                f"the file's text cannot be read to screen it ({why}); a file that cannot be "
                "screened is shared only when its uploader declares it holds no state secret: "
                "send it again with classification=none",
                zh=f"无法读取该文件（{_UNREAD_ZH.get(why, why)}）的文字进行涉密审查；确认不涉及"
                "国家秘密的，请声明密级为“非涉密”（classification=none）后重新上传",
                reason=why,
                detected_type=found.media_type,
                rule="INFO-02",
            )

    return accept


async def add_attachment(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    item_id: uuid.UUID,
    actor: Principal,
    title: str | None,
    upload: materials.Upload,
    classification: secrecy.Classification | None = None,
) -> Attachment:
    """Attach a file to a draft: its title and name are screened (INFO-02), then — in a
    worker process, before the file is stored — what it really is and its text; a file
    whose text cannot be read needs `classification=none` (its uploader's declaration)."""
    filename = safe_filename(upload.filename, "attachment.bin")
    texts = {"filename": filename, **({"title": title} if title else {})}
    found = markings_in(texts, declared=classification)
    if found:
        raise refusal(found)
    item = await own_item(uow, item_id, actor)
    ITEM.transition(item, Step.ATTACH, uow.now)
    stored = await materials.store_material(
        ctx,
        upload,
        fallback="attachment.bin",
        screen=secrecy.level_values,
        accept=_screened(classification),
    )
    screened = stored.inspection is not None and stored.inspection.text_complete
    attachment, _ = await materials.add_material(
        uow,
        Attachment(
            item_id=item.id,
            title=title or stored.filename,
            text_screened=screened,
            classification_declared=None
            if screened or classification is None
            else classification.value,
        ),
        stored,
        by=actor,
    )
    item.attachments.append(attachment)
    await uow.session.flush()
    ITEM.audit(
        uow,
        item,
        "attachment-added",
        rule="INFO-01",
        attachment_id=str(attachment.id),
        sha256=stored.sha256,
        size=stored.size,
        content_type=stored.content_type,
        text_screened=screened,
        classification_declared=attachment.classification_declared,
    )
    return attachment


async def remove_attachment(
    uow: UnitOfWork, *, item_id: uuid.UUID, attachment_id: uuid.UUID, actor: Principal
) -> None:
    """Take a file off a draft (e.g. one carried over from the version it replaces)."""
    item = await own_item(uow, item_id, actor)
    ITEM.transition(item, Step.ATTACH, uow.now)
    attachment = next((a for a in item.attachments if a.id == attachment_id), None)
    if attachment is None:
        raise AttachmentNotFound("no such attachment", zh="未找到该附件")
    item.attachments.remove(attachment)
    ITEM.audit(uow, item, "attachment-removed", rule="INFO-01", attachment_id=str(attachment_id))
