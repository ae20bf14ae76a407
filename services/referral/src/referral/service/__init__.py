"""Use cases of 案件移送: each runs in the caller's unit of work and never commits.

Import as `from referral import service as referral_service`.
"""

from referral.service.common import MECHANISM as MECHANISM
from referral.service.common import REFERRAL as REFERRAL
from referral.service.documents import referral_drafts as referral_drafts
from referral.service.drafting import add_material as add_material
from referral.service.drafting import approve as approve
from referral.service.drafting import create_draft as create_draft
from referral.service.drafting import create_from_source as create_from_source
from referral.service.drafting import refuse_forward as refuse_forward
from referral.service.drafting import send as send
from referral.service.drafting import update_draft as update_draft
from referral.service.handling import answer as answer
from referral.service.handling import answer_cooperation as answer_cooperation
from referral.service.handling import assign as assign
from referral.service.handling import conclude as conclude
from referral.service.handling import cooperation_not_given as cooperation_not_given
from referral.service.handling import file as file
from referral.service.handling import receive as receive
from referral.service.handling import request_cooperation as request_cooperation
from referral.service.onward import decide_onward as decide_onward
from referral.service.onward import record_refused_attempt as record_refused_attempt
from referral.service.period import extend as extend
from referral.service.period import resume as resume
from referral.service.period import suspend as suspend
from referral.service.withdrawing import withdraw as withdraw
from referral.service.withdrawing import withdraw_review_draft as withdraw_review_draft
