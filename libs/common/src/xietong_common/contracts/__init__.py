"""Integration event contracts: every event any xietong service publishes.

Importing this package registers them all, so the registry, the docs and every
consumer see the same set. One module per producing mechanism.
"""

from xietong_common.contracts import assistance as assistance
from xietong_common.contracts import audit as audit
from xietong_common.contracts import deadlines as deadlines
from xietong_common.contracts import info as info
from xietong_common.contracts import inspection as inspection
from xietong_common.contracts import oversight as oversight
from xietong_common.contracts import referral as referral
from xietong_common.contracts import review as review
from xietong_common.contracts import secondment as secondment
from xietong_common.contracts.base import IntegrationEvent as IntegrationEvent
from xietong_common.contracts.base import event as event
