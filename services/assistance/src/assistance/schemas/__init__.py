"""Request and response models of the enforcement assistance API (blocks from `xietong_common.schemas`)."""

from assistance.schemas.requests import AcceptIn as AcceptIn
from assistance.schemas.requests import CaseRefIn as CaseRefIn
from assistance.schemas.requests import ConfirmIn as ConfirmIn
from assistance.schemas.requests import DeliverIn as DeliverIn
from assistance.schemas.requests import ExtensionDecisionIn as ExtensionDecisionIn
from assistance.schemas.requests import ExtensionIn as ExtensionIn
from assistance.schemas.requests import FlagIn as FlagIn
from assistance.schemas.requests import OfficerIn as OfficerIn
from assistance.schemas.requests import RefuseIn as RefuseIn
from assistance.schemas.requests import RequestCreate as RequestCreate
from assistance.schemas.requests import RequestUpdate as RequestUpdate
from assistance.schemas.requests import ReturnIn as ReturnIn
from assistance.schemas.requests import WithdrawIn as WithdrawIn
from assistance.schemas.responses import AssistanceOut as AssistanceOut
from assistance.schemas.responses import AssistanceSummary as AssistanceSummary
from assistance.schemas.responses import DeadlineOut as DeadlineOut
from assistance.schemas.responses import ExtensionOut as ExtensionOut
from assistance.schemas.responses import FlagOut as FlagOut
from assistance.schemas.responses import MaterialOut as MaterialOut
from assistance.schemas.responses import OfficerOut as OfficerOut
from assistance.schemas.responses import OversightRow as OversightRow
from assistance.schemas.responses import ProposalOut as ProposalOut
from assistance.schemas.responses import StateOut as StateOut
from assistance.schemas.responses import TimelineEntry as TimelineEntry
from assistance.schemas.responses import WarningOut as WarningOut
