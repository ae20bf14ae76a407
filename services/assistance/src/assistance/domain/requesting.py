"""ASSIST-01: the department asked, the grounds, and what counts as a written reason. No I/O."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from assistance.errors import GroundNotDescribed, MaterialsHolderNotAllowed, ReasonMissing
from xietong_common.contracts.assistance import AssistanceGround
from xietong_common.reasons import meaningful_chars

# ---- the department asked (ASSIST-01) --------------------------------------------------------


@dataclass(frozen=True)
class MatterPowers:
    """From the catalogue: which department's powers cover the matter, delegated to towns or not."""

    code: str
    owner: str
    town_level: bool


@dataclass(frozen=True)
class Warning:
    """Something the town should know about its request; it is not refused for it."""

    code: str
    zh: str
    en: str
    rule: str = "ASSIST-01"


@dataclass(frozen=True)
class Addressing:
    department: str
    proposed: str
    within_powers: bool
    warnings: tuple[Warning, ...]


def within_powers(*, owner: str, department: str, holder: str | None) -> bool:
    """ASSIST-02: powers are judged by what is asked: the department owns the case's matter,
    or (ground 2) it is the named holder of the materials asked for."""
    return department in (owner, holder)


def check_holder(ground: AssistanceGround, holder: str | None) -> None:
    """ASSIST-02: the holder of the materials is named on ground 2 only (所需材料为其他行政执法
    机关所掌握)."""
    if holder is not None and ground is not AssistanceGround.HELD_BY_ANOTHER_AGENCY:
        raise MaterialsHolderNotAllowed(
            "materials_holder is named only on the ground 'held-by-another-agency'",
            zh="仅在“所需案件材料为其他行政执法机关所掌握”时填写材料掌握机关 materials_holder",
            ground=ground.value,
            rule="ASSIST-02",
        )


def address(
    *,
    matter: MatterPowers,
    chosen: str | None,
    name: Callable[[str], str] = str,
    holder: str | None = None,
) -> Addressing:
    """ASSIST-01: propose the department whose powers cover the matter; warn when the chosen
    one's do not (it may still help, or refuse as outside its powers with its reasons).
    ASSIST-02: on ground 2 the named `holder` of the materials is within its powers too.
    `name` shows an organisation in the warnings (its directory name)."""
    department = chosen or matter.owner
    warnings: list[Warning] = []
    covered = within_powers(owner=matter.owner, department=department, holder=holder)
    if not covered:
        owner, chosen_name = name(matter.owner), name(department)
        warnings.append(
            Warning(
                "department-not-competent",
                f"事项 {matter.code} 属于{owner}的职权范围，不属于{chosen_name}；"
                "该部门可以“不属于本机关职权范围”为由不予协助",
                f"the matter {matter.code} is within the powers of {owner}, not of "
                f"{chosen_name}, which may refuse it as outside its powers",
            )
        )
    if not matter.town_level:
        warnings.append(
            Warning(
                "matter-not-delegated",
                f"事项 {matter.code} 不是赋权乡镇(街道)的事项；如属部门管辖，应移送而非请求协助",
                f"the matter {matter.code} is not delegated to towns; if it is the "
                "department's case, refer it (REF-01) rather than ask for assistance",
                rule="REF-01",
            )
        )
    return Addressing(
        department=department,
        proposed=matter.owner,
        within_powers=covered,
        warnings=tuple(warnings),
    )


def check_ground(ground: AssistanceGround, description: str | None, *, min_chars: int) -> None:
    """ASSIST-01: one of the four grounds; 'other' says what the situation is."""
    if ground is AssistanceGround.OTHER and meaningful_chars(description) < min_chars:
        raise GroundNotDescribed(
            f"the ground 'other' needs a description of at least {min_chars} letters or "
            "characters (ground_description)",
            zh=f"“其他需要行政执法协助的情形”须在 ground_description 中说明具体情况（至少 {min_chars} 个字）",
            missing=["ground_description"],
            rule="ASSIST-01",
        )


def check_reason(text: str | None, *, field: str, min_chars: int, rule: str) -> None:
    """A reason says something: at least `min_chars` letters or characters (a setting)."""
    if meaningful_chars(text) < min_chars:
        raise ReasonMissing(
            f"{field}: give a written reason of at least {min_chars} letters or characters",
            zh=f"{field}：须书面说明理由（至少 {min_chars} 个字）",
            missing=[field],
            rule=rule,
        )
