"""Use cases of 信息互享: each runs in the caller's unit of work and never commits.

Import as `from info_sharing import service as info_service`.
"""

from info_sharing.service.common import ITEM as ITEM
from info_sharing.service.common import MECHANISM as MECHANISM
from info_sharing.service.common import record_refused as record_refused
from info_sharing.service.complaints import post_complaint as post_complaint
from info_sharing.service.decisions import from_review_decided as from_review_decided
from info_sharing.service.draws import from_selection_drawn as from_selection_drawn
from info_sharing.service.guidance import from_guidance_recorded as from_guidance_recorded
from info_sharing.service.inbox import mark_read as mark_read
from info_sharing.service.inbox import report_unread_overdue as report_unread_overdue
from info_sharing.service.inbox import request_feedback as request_feedback
from info_sharing.service.inbox import subscribe as subscribe
from info_sharing.service.inbox import unsubscribe as unsubscribe
from info_sharing.service.inbox import withdraw_feedback as withdraw_feedback
from info_sharing.service.inspections import from_inspection_closed as from_inspection_closed
from info_sharing.service.inspections import from_inspection_finding as from_inspection_finding
from info_sharing.service.items import add_attachment as add_attachment
from info_sharing.service.items import create as create
from info_sharing.service.items import discard as discard
from info_sharing.service.items import publish_draft as publish_draft
from info_sharing.service.items import remove_attachment as remove_attachment
from info_sharing.service.items import replace as replace
