"""Tables of the 综合查一次 (joint inspection) service, by use-case group: the target register
and its signals, plans and draws, work orders and their closed loop, shortcomings and merges."""

from joint_inspection.models.base import Base
from joint_inspection.models.orders import (
    InspectorDraw,
    LoopReturn,
    OrderCounter,
    OrderInspector,
    OrderMaterial,
    OrderParticipant,
    SupportRequest,
    Visit,
    WorkOrder,
)
from joint_inspection.models.plans import (
    DrawCommitment,
    FrozenTarget,
    Plan,
    PlanAdjustment,
    PlanRule,
    Selection,
    SelectionEntry,
)
from joint_inspection.models.reports import MergeProposal, Shortcoming, ShortcomingAck
from joint_inspection.models.targets import ImportJob, RiskSignal, Target, TargetVersion

__all__ = [
    "Base",
    "DrawCommitment",
    "FrozenTarget",
    "ImportJob",
    "InspectorDraw",
    "LoopReturn",
    "MergeProposal",
    "OrderCounter",
    "OrderInspector",
    "OrderMaterial",
    "OrderParticipant",
    "Plan",
    "PlanAdjustment",
    "PlanRule",
    "RiskSignal",
    "Selection",
    "SelectionEntry",
    "Shortcoming",
    "ShortcomingAck",
    "SupportRequest",
    "Target",
    "TargetVersion",
    "Visit",
    "WorkOrder",
]
