"""Request and response models of the referral API."""

from referral.schemas.requests import AnswerIn as AnswerIn
from referral.schemas.requests import AssignIn as AssignIn
from referral.schemas.requests import ConcludeIn as ConcludeIn
from referral.schemas.requests import CooperationAnswerIn as CooperationAnswerIn
from referral.schemas.requests import CooperationIn as CooperationIn
from referral.schemas.requests import CooperationNotGivenIn as CooperationNotGivenIn
from referral.schemas.requests import FileIn as FileIn
from referral.schemas.requests import ForwardIn as ForwardIn
from referral.schemas.requests import ItemIn as ItemIn
from referral.schemas.requests import OnwardDecisionIn as OnwardDecisionIn
from referral.schemas.requests import ReceiveIn as ReceiveIn
from referral.schemas.requests import ReferralCreate as ReferralCreate
from referral.schemas.requests import ReferralUpdate as ReferralUpdate
from referral.schemas.requests import SourcedDraft as SourcedDraft
from referral.schemas.requests import WithdrawIn as WithdrawIn
from referral.schemas.responses import CooperationOut as CooperationOut
from referral.schemas.responses import DeadlineOut as DeadlineOut
from referral.schemas.responses import ItemOut as ItemOut
from referral.schemas.responses import MaterialOut as MaterialOut
from referral.schemas.responses import OngoingNoticeOut as OngoingNoticeOut
from referral.schemas.responses import ReferralOut as ReferralOut
from referral.schemas.responses import ReferralSummary as ReferralSummary
from referral.schemas.responses import RoutingOut as RoutingOut
from referral.schemas.responses import StateOut as StateOut
from referral.schemas.responses import TimelineEntry as TimelineEntry
