"""The rules of 执法协助 (enforcement assistance, 涪陵府办〔2024〕1号 二(二); ASSIST-xx). No I/O.

States are `LabelledEnum`s with their Chinese names; the transitions are one
`xietong_common.states.Transitions` table the service layer applies (`states`). The town's
side is in `requesting` (ASSIST-01), the department's answer in `answering` (ASSIST-02..04).
"""

from assistance.domain.answering import OfficerNamed as OfficerNamed
from assistance.domain.answering import check_completion_date as check_completion_date
from assistance.domain.answering import check_extension as check_extension
from assistance.domain.answering import check_officers as check_officers
from assistance.domain.answering import check_refusal as check_refusal
from assistance.domain.answering import check_result as check_result
from assistance.domain.answering import longest_period as longest_period
from assistance.domain.answering import response_deadline as response_deadline
from assistance.domain.requesting import Addressing as Addressing
from assistance.domain.requesting import MatterPowers as MatterPowers
from assistance.domain.requesting import Warning as Warning
from assistance.domain.requesting import address as address
from assistance.domain.requesting import check_ground as check_ground
from assistance.domain.requesting import check_holder as check_holder
from assistance.domain.requesting import check_reason as check_reason
from assistance.domain.requesting import within_powers as within_powers
from assistance.domain.states import TRANSITIONS as TRANSITIONS
from assistance.domain.states import AssistanceState as AssistanceState
from assistance.domain.states import ExtensionDecision as ExtensionDecision
from assistance.domain.states import MaterialKind as MaterialKind
from assistance.domain.states import Parties as Parties
from assistance.domain.states import PeriodUnit as PeriodUnit
from assistance.domain.states import Step as Step
from assistance.domain.states import next_state as next_state
from xietong_common.reasons import ARTICLE as ARTICLE
from xietong_common.reasons import meaningful_chars as meaningful_chars
