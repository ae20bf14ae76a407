"""SEC-03: a seconded officer keeps his establishment and identity; his department assesses
and pays him. Those records are the department's alone. The town he serves records, as its
own, his daily work under its command (共用共管, SEC-01). Pure."""

from __future__ import annotations

from secondment.errors import NotTheTownsRecord, PersonnelIsTheDepartments
from xietong_common.labels import LabelledEnum
from xietong_common.reference import is_town


class Establishment(LabelledEnum):
    """编制: where the officer's post is established; it stays with the department (SEC-03)."""

    ADMINISTRATIVE = "administrative", "行政编制", "administrative establishment"
    MANAGED_AS_CIVIL_SERVICE = (
        "managed-as-civil-service",
        "参照公务员法管理事业编制",
        "public-institution post managed as civil service",
    )
    PUBLIC_INSTITUTION = "public-institution", "事业编制", "public-institution establishment"
    OTHER = "other", "其他"


class Identity(LabelledEnum):
    """身份: the officer's status, unchanged by secondment (SEC-03)."""

    CIVIL_SERVANT = "civil-servant", "公务员"
    MANAGED_AS_CIVIL_SERVANT = (
        "managed-as-civil-servant",
        "参照公务员法管理人员",
        "staff managed as civil servants",
    )
    INSTITUTION_STAFF = "institution-staff", "事业单位工作人员", "public-institution staff"
    OTHER = "other", "其他"


class AssessmentGrade(LabelledEnum):
    """年度考核等次, as the department grades (公务员: 优秀/称职/基本称职/不称职; 事业单位
    工作人员: 优秀/合格/基本合格/不合格)."""

    EXCELLENT = "excellent", "优秀"
    COMPETENT = "competent", "称职"
    BASICALLY_COMPETENT = "basically-competent", "基本称职", "basically competent"
    INCOMPETENT = "incompetent", "不称职"
    QUALIFIED = "qualified", "合格"
    BASICALLY_QUALIFIED = "basically-qualified", "基本合格", "basically qualified"
    UNQUALIFIED = "unqualified", "不合格"


class WorkKind(LabelledEnum):
    """What a town notes about an officer's work under its unified command (共用共管)."""

    ENFORCEMENT = "enforcement", "参与执法办案", "took part in enforcement"
    INSPECTION = "inspection", "参与检查巡查", "took part in inspection or patrol"
    GUIDANCE = "guidance", "业务指导", "gave guidance"
    OTHER = "other", "其他工作", "other work"


def check_personnel_editor(org: str, *, department: str) -> None:
    """SEC-03: only the officer's own department records his establishment, identity and
    assessment (pay is the department's too, and xietong keeps none). A town he serves, or
    oversight, is refused (403); anyone else never learns he exists (404, before this)."""
    if org != department:
        raise PersonnelIsTheDepartments(
            "establishment, identity, assessment and pay stay with the officer's department "
            f"({department}); {org} may not record them",
            zh=f"下沉人员编制、身份不变，考核、待遇由其所属部门（{department}）负责；"
            f"{org} 不能记录或修改",
            department=department,
            rule="SEC-03",
        )


def check_note_author(org: str, *, department: str) -> None:
    """SEC-01: a note on daily work under a town's command is that town's record; the
    officer's department reads it for its assessment but does not write it, nor does
    oversight."""
    if not is_town(org):
        raise NotTheTownsRecord(
            "only a town the officer serves records his daily work under its command; "
            f"his department ({department}) reads the towns' notes",
            zh="只有下沉人员所服务的乡镇（街道）可以记录其在本乡镇（街道）的日常工作；"
            f"其所属部门（{department}）可以查阅",
            rule="SEC-01",
        )
