"""Use cases of 综合查一次: each runs in the caller's unit of work and never commits.

Import as `from joint_inspection import service as inspection_service`.
"""

from joint_inspection.service.archive import close as close
from joint_inspection.service.common import MECHANISM as MECHANISM
from joint_inspection.service.consultation import accept_counter as accept_counter
from joint_inspection.service.consultation import cancel as cancel
from joint_inspection.service.consultation import consult as consult
from joint_inspection.service.consultation import issue as issue
from joint_inspection.service.consultation import revise as revise
from joint_inspection.service.consultation import set_notice_policy as set_notice_policy
from joint_inspection.service.documents import order_drafts as order_drafts
from joint_inspection.service.documents import target_drafts as target_drafts
from joint_inspection.service.imports import import_targets as import_targets
from joint_inspection.service.imports import read_targets as read_targets
from joint_inspection.service.merges import decide_merge as decide_merge
from joint_inspection.service.onsite import add_material as add_material
from joint_inspection.service.onsite import record_notice as record_notice
from joint_inspection.service.onsite import record_on_site as record_on_site
from joint_inspection.service.orders import add_targets as add_targets
from joint_inspection.service.orders import create_order as create_order
from joint_inspection.service.orders import order_from_selection as order_from_selection
from joint_inspection.service.orders import remove_target as remove_target
from joint_inspection.service.orders import update_order as update_order
from joint_inspection.service.outcomes import feed_back as feed_back
from joint_inspection.service.outcomes import record_outcome as record_outcome
from joint_inspection.service.outcomes import report_serious as report_serious
from joint_inspection.service.plans import adjust_plan as adjust_plan
from joint_inspection.service.plans import adopt_plan as adopt_plan
from joint_inspection.service.plans import commit_late as commit_late
from joint_inspection.service.plans import create_plan as create_plan
from joint_inspection.service.plans import update_plan as update_plan
from joint_inspection.service.reports import acknowledge_shortcoming as acknowledge_shortcoming
from joint_inspection.service.reports import report_shortcoming as report_shortcoming
from joint_inspection.service.selection import draw as draw
from joint_inspection.service.selection import rerun as rerun
from joint_inspection.service.staffing import add_inspector as add_inspector
from joint_inspection.service.staffing import answer_support as answer_support
from joint_inspection.service.staffing import dispatch as dispatch
from joint_inspection.service.staffing import request_support as request_support
from joint_inspection.service.targets import record_signal as record_signal
from joint_inspection.service.targets import register_target as register_target
from joint_inspection.service.targets import update_target as update_target
from joint_inspection.service.targets import withdraw_signal as withdraw_signal
