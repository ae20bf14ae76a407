"""Errors of the enforcement assistance service: one root, one problem type per rule that can refuse."""

from __future__ import annotations

from xietong_common.errors import AppError, Conflict, InvalidInput, InvalidTransition


class AssistanceError(AppError):
    """Root of the enforcement assistance service's errors."""

    slug = "assistance-error"
    title = "The enforcement assistance request cannot be processed"
    title_zh = "执法协助请求无法处理"


class AssistanceInvalidTransition(AssistanceError, InvalidTransition):
    """The action is not allowed in the request's current state."""

    slug = "assistance-invalid-transition"
    title = "This action is not allowed in the assistance request's current state"
    title_zh = "执法协助请求当前状态下不允许此操作"


class RequesterNotATown(AssistanceError, InvalidInput):
    """ASSIST-01: a township or street (乡镇/街道) asks a district department for help."""

    slug = "assistance-requester-not-a-town"
    title = "Only a town (乡镇/街道) asks for enforcement assistance"
    title_zh = "只有乡镇(街道)可以提出执法协助请求"


class GroundNotDescribed(AssistanceError, InvalidInput):
    """ASSIST-01: the fourth ground ('other') needs a description of the situation."""

    slug = "assistance-ground-not-described"
    title = "The ground 'other' needs a description"
    title_zh = "“其他情形”须说明具体情况"


class RefusalUnfounded(AssistanceError, InvalidInput):
    """ASSIST-03: a refusal needs a legal ground and a written reason."""

    slug = "assistance-refusal-unfounded"
    title = "A refusal needs a legal ground and a written reason"
    title_zh = "不予协助须有法定理由并书面说明理由"


class RefusalWithinPowers(AssistanceError, InvalidInput):
    """ASSIST-02/03: 'outside powers' is refused for a matter the catalogue puts within them."""

    slug = "assistance-within-powers"
    title = "The matter is within the department's powers: it must assist"
    title_zh = "该事项属于本机关职权范围，应当依法予以协助"


class OfficerIneligible(AssistanceError, InvalidInput):
    """ASSIST-02/SEC-04: a named officer may not act on this request."""

    slug = "assistance-officer-ineligible"
    title = "An officer named for the assistance may not act on it"
    title_zh = "所指派的执法人员不符合条件"


class CompletionDateNotAllowed(AssistanceError, InvalidInput):
    """ASSIST-02/04: the agreed completion date lies in the past or beyond the longest period."""

    slug = "assistance-completion-date-not-allowed"
    title = "The completion date is not allowed"
    title_zh = "完成日期不符合要求"


class ExtensionNotAllowed(AssistanceError, Conflict):
    """ASSIST-04: an extension is bounded in number and asked for before the date passes."""

    slug = "assistance-extension-not-allowed"
    title = "The completion date cannot be extended now"
    title_zh = "当前不能延长完成日期"


class ResultMissing(AssistanceError, Conflict):
    """ASSIST-02: materials, an appraisal or a test report are delivered as files."""

    slug = "assistance-result-missing"
    title = "The result has no files to deliver"
    title_zh = "协助结果缺少材料文件"


class ReasonMissing(AssistanceError, InvalidInput):
    """A flag, a return or a withdrawal states its reason in words."""

    slug = "assistance-reason-missing"
    title = "A written reason is required"
    title_zh = "须书面说明理由"


class RefusalNotOpenToRuling(AssistanceError, Conflict):
    """ASSIST-03: the justice bureau rules once, on a refusal of an owned matter or a contested
    one; the town contests a refusal once, before the ruling."""

    slug = "assistance-refusal-not-open-to-ruling"
    title = "The refusal is not open to this ruling or contest"
    title_zh = "该不予协助决定不能再提出异议或作出裁决"


class MaterialsHolderNotAllowed(AssistanceError, InvalidInput):
    """ASSIST-02: the holder of the materials is named on ground 2 only."""

    slug = "assistance-materials-holder-not-allowed"
    title = "The holder of the materials is named on ground 2 only"
    title_zh = "仅在“所需材料为其他行政执法机关所掌握”时填写材料掌握机关"


class IfMatchRequired(AssistanceError):
    """ASSIST-03: the justice bureau's ruling names the version of the request it read
    (`If-Match` with its ETag), so that no ruling is given on a refusal it has not seen as it
    stands (a contest added meanwhile)."""

    status = 428
    slug = "assistance-if-match-required"
    title = "The ruling needs If-Match with the request's current version"
    title_zh = "裁决须在 If-Match 中注明所读取的协助请求版本"


class RequestChanged(AssistanceError):
    """ASSIST-03: `If-Match` names a version that is no longer the request's current one."""

    status = 412
    slug = "assistance-request-changed"
    title = "The request has changed since it was read"
    title_zh = "协助请求已被变更，请重新读取"
