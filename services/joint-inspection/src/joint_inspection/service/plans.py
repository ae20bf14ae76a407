"""A town's inspection plans (INSP-01) and their adjustments by signals (INSP-02)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from joint_inspection import events
from joint_inspection.domain import (
    AdjustmentKind,
    PlanBasis,
    PlanState,
    PlanStep,
    Rule,
    check_period,
    check_rules,
)
from joint_inspection.errors import (
    AdjustmentInvalid,
    InvalidPlan,
    NothingToCommit,
    PlanDuplicate,
    ScenarioRequired,
)
from joint_inspection.models import (
    DrawCommitment,
    Plan,
    PlanAdjustment,
    PlanRule,
    RiskSignal,
    Target,
)
from joint_inspection.schemas import AdjustmentIn, CommitIn, PlanIn, PlanUpdate, RuleIn
from joint_inspection.service.commitments import ensure_commitment, waiting_round
from joint_inspection.service.common import LEAD_ROLES, PLAN, TARGET, WRITE_ROLES, lock_register
from joint_inspection.service.scenarios import scenarios
from joint_inspection.service.targets import china_day, risk_policy
from xietong_common import idempotency
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.errors import Forbidden
from xietong_common.reference import OrgKind, is_town
from xietong_common.uow import UnitOfWork

PLAN_SCOPE = "inspection.plan.create"
ADJUST_SCOPE = "inspection.plan.adjust"
COMMIT_SCOPE = "inspection.plan.commit"


def rules_of(plan: Plan) -> list[Rule]:
    return [Rule(value=r.value, frequency=r.frequency, proportion=r.proportion) for r in plan.rules]


def _set_rules(plan: Plan, rules: list[RuleIn]) -> None:
    plan.rules = [
        PlanRule(
            plan_id=plan.id,
            position=n,
            value=r.value,
            frequency=r.frequency,
            proportion=r.proportion,
        )
        for n, r in enumerate(rules)
    ]


def _check(ctx: ServiceContext, plan: Plan) -> None:
    check_period(plan.period_start, plan.period_end)
    check_rules(PlanBasis(plan.basis), rules_of(plan))
    plan.matter_codes = ctx.catalogue.require_all(plan.matter_codes)
    _apply_scenario(ctx, plan)


def _apply_scenario(ctx: ServiceContext, plan: Plan) -> None:
    """INSP-01: a plan made for a catalogue scenario takes its name, its target industries
    (the draw's pool) and its checklist, and inspects only its matters."""
    if plan.scenario_code is None:
        plan.scenario_industries, plan.checklist = None, None
        return
    scenario = scenarios(ctx).get(plan.scenario_code)
    if scenario is None:
        raise InvalidPlan(
            f"{plan.scenario_code!r} is not a scenario of the catalogue (GET /scenarios)",
            zh=f"“{plan.scenario_code}”不是应用场景目录中的场景",
            rule="INSP-01",
        )
    stray = [m for m in plan.matter_codes if m not in scenario.matter_codes]
    if stray:
        raise InvalidPlan(
            f"{', '.join(stray)} are not matters of the scenario {scenario.code}",
            zh=f"{'、'.join(stray)} 不是应用场景“{scenario.name_zh}”的检查事项",
            matter_codes=stray,
            scenario_matters=list(scenario.matter_codes),
            rule="INSP-01",
        )
    plan.scenario = scenario.name_zh
    plan.scenario_industries = list(scenario.industries)
    plan.checklist = [item.model_dump() for item in scenario.checklist]


async def create_plan(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    data: PlanIn,
    idempotency_key: str | None = None,
) -> Plan:
    """INSP-01: a town drafts its plan for one application scenario (应用场景)."""
    actor.require_role(*WRITE_ROLES)
    if not is_town(actor.org):
        raise Forbidden(
            "inspection plans are made by towns (INSP-01)",
            zh="检查工作计划由乡镇（街道）制定",
            rule="INSP-01",
        )
    ctx.directory.require(actor.org, OrgKind.TOWN)
    replay = await idempotency.claim(
        uow, scope=PLAN_SCOPE, org=actor.org, key=idempotency_key, request=data
    )
    if replay is not None:
        return await PLAN.load_for(uow, uuid.UUID(replay), actor)
    plan = PLAN.new(
        id=uuid.uuid4(),
        town=actor.org,
        title=data.title,
        scenario=data.scenario,
        scenario_code=data.scenario_code,
        period_start=data.period_start,
        period_end=data.period_end,
        basis=data.basis.value,
        clean_proportion=data.clean_proportion,
        targeting_threshold=data.targeting_threshold,
        matter_codes=list(data.matter_codes),
        notes=data.notes,
        state=PlanState.DRAFT.value,
        created_at=uow.now,
        created_by=actor.user,
        updated_at=uow.now,
    )
    _set_rules(plan, data.rules)
    _check(ctx, plan)
    await PLAN.insert(uow, plan)  # its rules with it, one INSERT for them
    await idempotency.remember(
        uow, scope=PLAN_SCOPE, org=actor.org, key=idempotency_key, resource_id=str(plan.id)
    )
    PLAN.audit(uow, plan, "plan.drafted", rule="INSP-01", scenario=plan.scenario)
    return plan


async def update_plan(
    uow: UnitOfWork, *, ctx: ServiceContext, actor: Principal, plan_id: uuid.UUID, data: PlanUpdate
) -> Plan:
    """INSP-01: edit a draft; an adopted plan changes only by a recorded adjustment."""
    plan = await PLAN.load_for(uow, plan_id, actor)
    actor.require_org(plan.town)  # INSP-01: the town makes its plans; the bureau only reads
    actor.require_role(*WRITE_ROLES)
    PLAN.check(plan, PlanStep.EDIT)
    given = data.model_fields_set
    for name in given - {"rules", "basis"}:
        value = getattr(data, name)
        if value is not None or name in ("targeting_threshold", "notes", "scenario_code"):
            setattr(plan, name, value)
    if "basis" in given and data.basis is not None:
        plan.basis = data.basis.value
    if "rules" in given and data.rules is not None:
        _set_rules(plan, data.rules)
    _check(ctx, plan)
    plan.updated_at = uow.now
    PLAN.audit(uow, plan, "plan.edited", rule="INSP-01", fields=sorted(given))
    return plan


async def adopt_plan(
    uow: UnitOfWork, *, ctx: ServiceContext, actor: Principal, plan_id: uuid.UUID
) -> Plan:
    """INSP-01: the town's leader adopts the plan (印发实施) for a catalogue scenario (its pool);
    `inspection.planned`. INSP-02: one adopted plan per town, scenario and period; round 1 is
    committed (register frozen, the seed's hash audited) at once."""
    plan = await PLAN.load_for(uow, plan_id, actor)
    actor.require_org(plan.town)  # INSP-01
    actor.require_role(*LEAD_ROLES)
    PLAN.check(plan, PlanStep.ADOPT)
    _require_scenario(plan)
    await lock_register(uow, ctx, plan.town, exclusive=True)  # two adoptions: one at a time
    await _refuse_duplicate(uow, plan)
    PLAN.transition(plan, PlanStep.ADOPT, uow.now)
    plan.adopted_at, plan.adopted_by = uow.now, actor.user
    uow.publish(events.planned(plan), key=str(plan.id))
    PLAN.audit(uow, plan, "plan.adopted", rule="INSP-01")
    await uow.session.flush()
    await ensure_commitment(uow, ctx, plan, by=actor.user)
    return plan


def _require_scenario(plan: Plan) -> None:
    """INSP-01: plans are made per application scenario, and the catalogue's scenario is what
    sets the draw's pool; a free-text scenario alone would draw from every target of the
    town."""
    if plan.scenario_code is None:
        raise ScenarioRequired(
            f"the plan names no scenario of the catalogue (GET /scenarios), only the label "
            f"{plan.scenario!r}: the scenario sets which targets are drawn, the matters and the "
            "checklist; give the plan a scenario_code",
            zh=f"检查计划仅填写了场景名称“{plan.scenario}”，未选定应用场景目录中的场景"
            "（GET /scenarios）；应用场景决定抽取范围、检查事项和检查单，请填写 scenario_code",
            missing=["scenario_code"],
            rule="INSP-01",
        )


async def commit_late(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    plan_id: uuid.UUID,
    data: CommitIn,
    idempotency_key: str | None = None,
) -> DrawCommitment:
    """INSP-02: the town's leader commits the next round of an adopted plan that has none
    committed (adopted before rounds were committed, or naming no catalogue scenario, which
    it names now, INSP-01): the register is frozen now and a fresh seed's hash audited, marked
    late. A round committed already is never committed again."""
    plan = await PLAN.load_for(uow, plan_id, actor)
    actor.require_org(plan.town)
    actor.require_role(*LEAD_ROLES)
    PLAN.check(plan, PlanStep.COMMIT)
    replay = await idempotency.claim(
        uow, scope=COMMIT_SCOPE, org=actor.org, key=idempotency_key, request=data
    )
    if replay is not None:
        return (
            await uow.session.execute(
                sa.select(DrawCommitment).where(DrawCommitment.id == uuid.UUID(replay))
            )
        ).scalar_one()
    await lock_register(uow, ctx, plan.town, exclusive=True)
    if data.scenario_code is not None and data.scenario_code != plan.scenario_code:
        if plan.scenario_code is not None:
            raise InvalidPlan(
                f"the plan is made for the scenario {plan.scenario_code}; an adopted plan's "
                "scenario is not changed",
                zh=f"本计划的应用场景为 {plan.scenario_code}，已印发实施的计划不能更换场景",
                rule="INSP-01",
            )
        label = plan.scenario
        plan.scenario_code = data.scenario_code
        _apply_scenario(ctx, plan)
        await _refuse_duplicate(uow, plan)
        plan.updated_at = uow.now
        PLAN.audit(
            uow,
            plan,
            "plan.scenario-named",
            rule="INSP-01",
            scenario_code=plan.scenario_code,
            scenario=plan.scenario,
            label_before=label,
            industries=plan.scenario_industries,
        )
    _require_scenario(plan)
    await uow.session.flush()
    commitment = await ensure_commitment(uow, ctx, plan, by=actor.user, late=True)
    if commitment is None:
        waiting = await waiting_round(uow.session, plan.id)
        raise NothingToCommit(
            f"round {waiting} is committed and waiting for its draw"
            if waiting is not None
            else "every round of the plan has been drawn",
            zh=f"第 {waiting} 轮已固定名录快照和随机种子承诺，待抽取"
            if waiting is not None
            else "本计划各轮次均已抽取",
            round=waiting,
            rule="INSP-02",
        )
    await idempotency.remember(
        uow, scope=COMMIT_SCOPE, org=actor.org, key=idempotency_key, resource_id=str(commitment.id)
    )
    return commitment


async def _refuse_duplicate(uow: UnitOfWork, plan: Plan) -> None:
    """INSP-02: another adopted plan of the town for the same scenario over an overlapping
    period would draw the same targets with another seed: a redraw by another name. Refused
    (not flagged): the plan in force is changed by recorded adjustments instead."""
    other = (
        await uow.session.execute(
            sa.select(Plan.id, Plan.period_start, Plan.period_end).where(
                Plan.town == plan.town,
                Plan.state == PlanState.ADOPTED.value,
                Plan.id != plan.id,
                sa.func.btrim(Plan.scenario) == plan.scenario.strip(),
                Plan.period_start <= plan.period_end,
                Plan.period_end >= plan.period_start,
            )
        )
    ).first()
    if other is not None:
        raise PlanDuplicate(
            f"{plan.town} already has an adopted plan for {plan.scenario!r} from "
            f"{other.period_start} to {other.period_end}: adjust that plan instead",
            zh=f"{plan.town} 已有“{plan.scenario}”{other.period_start} 至 {other.period_end} "
            "的检查计划，请调整该计划而不是另行印发",
            plan_id=str(other.id),
            rule="INSP-02",
        )


def _rule_dict(rule: PlanRule) -> dict[str, Any]:
    return {
        "position": rule.position,
        "value": rule.value,
        "frequency": rule.frequency,
        "proportion": str(rule.proportion),
    }


async def adjust_plan(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    plan_id: uuid.UUID,
    data: AdjustmentIn,
    idempotency_key: str | None = None,
) -> PlanAdjustment:
    """INSP-02: a signal adjusts the adopted plan; what changed and why is on record."""
    plan = await PLAN.load_for(uow, plan_id, actor)
    actor.require_org(plan.town)  # INSP-01/02: the town's own plan, adjusted by the town
    actor.require_role(*WRITE_ROLES)
    PLAN.check(plan, PlanStep.ADJUST)
    replay = await idempotency.claim(
        uow, scope=ADJUST_SCOPE, org=actor.org, key=idempotency_key, request=data
    )
    if replay is not None:
        return (
            await uow.session.execute(
                sa.select(PlanAdjustment).where(PlanAdjustment.id == uuid.UUID(replay))
            )
        ).scalar_one()
    adjustment = PlanAdjustment(
        id=uuid.uuid4(),
        plan_id=plan.id,
        kind=data.kind.value,
        signal_id=data.signal_id,
        reason=data.reason,
        made_at=uow.now,
        made_by=actor.user,
    )
    signal = await _signal_for(uow, plan, data.signal_id) if data.signal_id else None
    if data.kind is AdjustmentKind.ADD_TARGET:
        await _add_target(ctx, uow, plan, adjustment, signal)
    else:
        _change_rule(plan, adjustment, data)
        check_rules(PlanBasis(plan.basis), rules_of(plan))
    uow.session.add(adjustment)
    plan.updated_at = uow.now
    await uow.session.flush()
    if data.kind is not AdjustmentKind.ADD_TARGET:
        await ensure_commitment(uow, ctx, plan, by=actor.user)  # more rounds: commit the next
    await idempotency.remember(
        uow, scope=ADJUST_SCOPE, org=actor.org, key=idempotency_key, resource_id=str(adjustment.id)
    )
    PLAN.audit(
        uow,
        plan,
        "plan.adjusted",
        rule="INSP-02",
        adjustment_id=str(adjustment.id),
        kind=adjustment.kind,
        signal_id=str(data.signal_id) if data.signal_id else None,
        target_id=str(adjustment.target_id) if adjustment.target_id else None,
        before=adjustment.before,
        after=adjustment.after,
        reason=data.reason,
    )
    return adjustment


async def _signal_for(uow: UnitOfWork, plan: Plan, signal_id: uuid.UUID) -> RiskSignal:
    row = (
        await uow.session.execute(
            sa.select(RiskSignal, Target)
            .join(Target, Target.id == RiskSignal.target_id)
            .where(RiskSignal.id == signal_id)
        )
    ).one_or_none()
    if row is None or row[1].town != plan.town or row[0].withdrawn_at is not None:
        raise AdjustmentInvalid(
            "the signal is not a standing signal on a target of the plan's town",
            zh="该风险信号不存在、已撤回或不属于本计划所在乡镇（街道）的监管对象",
            signal_id=str(signal_id),
            rule="INSP-02",
        )
    signal: RiskSignal = row[0]
    return signal


async def _add_target(
    ctx: ServiceContext,
    uow: UnitOfWork,
    plan: Plan,
    adjustment: PlanAdjustment,
    signal: RiskSignal | None,
) -> None:
    """The target behind a recent signal is drawn in the next round (targeted inspection).
    An old signal cannot pull in a target whose record is otherwise clean (无事不扰)."""
    if signal is None:
        raise AdjustmentInvalid(
            "adding a target to the plan needs the signal behind it",
            zh="将检查对象列入计划须注明所依据的风险信号",
            missing=["signal_id"],
            rule="INSP-02",
        )
    clean_from = risk_policy(ctx).clean_from(china_day(uow.now))
    if signal.observed_on <= clean_from:
        raise AdjustmentInvalid(
            f"the signal was observed on {signal.observed_on}, before the clean-record period "
            "that counts now; it cannot single the target out",
            zh=f"该风险信号发现于 {signal.observed_on}，早于守法诚信认定期间，不能据此定向检查",
            rule="INSP-02",
        )
    target = await TARGET.get(uow, signal.target_id, lock=False)
    value = target.industry if plan.basis == PlanBasis.INDUSTRY.value else target.supervision_level
    if not any(r.value in (value, None) for r in plan.rules) or not target.active:
        raise AdjustmentInvalid(
            f"no rule of the plan covers this target ({value}); change a rule instead",
            zh=f"计划中没有适用于该检查对象（{value}）的规则",
            rule="INSP-02",
        )
    adjustment.target_id = target.id
    adjustment.after = {"target_id": str(target.id), "signal_weight": signal.weight}


def _change_rule(plan: Plan, adjustment: PlanAdjustment, data: AdjustmentIn) -> None:
    rule = next((r for r in plan.rules if r.position == data.rule_position), None)
    if rule is None or (data.frequency is None and data.proportion is None):
        raise AdjustmentInvalid(
            "changing a rule needs its position and a new frequency or proportion",
            zh="调整规则须注明规则序号及新的检查频次或比例",
            missing=[
                n
                for n, v in (
                    ("rule_position", rule),
                    ("frequency|proportion", data.frequency or data.proportion),
                )
                if v is None
            ],
            rule="INSP-02",
        )
    adjustment.rule_position = rule.position
    adjustment.before = _rule_dict(rule)
    if data.frequency is not None:
        rule.frequency = data.frequency
    if data.proportion is not None:
        rule.proportion = Decimal(data.proportion)
    adjustment.after = _rule_dict(rule)
