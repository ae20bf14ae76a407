"""Use cases of 执法协助: each runs in the caller's unit of work and never commits.

Import as `from assistance import service as assistance_service`.
"""

from assistance.service.answering import accept as accept
from assistance.service.answering import deliver as deliver
from assistance.service.answering import refuse as refuse
from assistance.service.answering import request_extension as request_extension
from assistance.service.common import MECHANISM as MECHANISM
from assistance.service.common import REQUEST as REQUEST
from assistance.service.documents import request_drafts as request_drafts
from assistance.service.materials import add_material as add_material
from assistance.service.requesting import confirm as confirm
from assistance.service.requesting import create_draft as create_draft
from assistance.service.requesting import decide_extension as decide_extension
from assistance.service.requesting import flag_obstruction as flag_obstruction
from assistance.service.requesting import return_result as return_result
from assistance.service.requesting import submit as submit
from assistance.service.requesting import update_draft as update_draft
from assistance.service.requesting import withdraw as withdraw
from assistance.service.rulings import contest_refusal as contest_refusal
from assistance.service.rulings import rule_on_refusal as rule_on_refusal
