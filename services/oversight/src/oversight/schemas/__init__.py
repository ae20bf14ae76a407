"""Request and response models of the oversight API."""

from oversight.schemas.requests import MechanismName as MechanismName
from oversight.schemas.requests import ReplyIn as ReplyIn
from oversight.schemas.requests import RuleId as RuleId
from oversight.schemas.requests import RulingIn as RulingIn
from oversight.schemas.responses import AlarmOut as AlarmOut
from oversight.schemas.responses import AssessmentOut as AssessmentOut
from oversight.schemas.responses import AssessmentRow as AssessmentRow
from oversight.schemas.responses import BreachOut as BreachOut
from oversight.schemas.responses import DeadlineFigures as DeadlineFigures
from oversight.schemas.responses import FactOut as FactOut
from oversight.schemas.responses import ItemOut as ItemOut
from oversight.schemas.responses import LedgerDeadlineOut as LedgerDeadlineOut
from oversight.schemas.responses import OrganisationAssessment as OrganisationAssessment
from oversight.schemas.responses import PeriodOut as PeriodOut
from oversight.schemas.responses import ReplyOut as ReplyOut
from oversight.schemas.responses import RuleFigures as RuleFigures
from oversight.schemas.responses import RulingOut as RulingOut
from oversight.schemas.responses import WatchedChainOut as WatchedChainOut
