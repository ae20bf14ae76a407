"""Tracked statutory deadlines and what they tell the others (SUP-01/02, issue 24).

`tracking`: start, satisfy, cancel, close; `sweeping`: the sweep's steps (missed deadlines,
provisional dates made final, earlier rows' facts); `facts`: the lifecycle facts and the one
breach each deadline publishes; `reminders`: due-soon reminders.
Services use the names below (`from xietong_common import deadlines`).
"""

from xietong_common.deadlines.sweeping import SWEEP as SWEEP
from xietong_common.deadlines.sweeping import announce_earlier as announce_earlier
from xietong_common.deadlines.sweeping import count_provisional as count_provisional
from xietong_common.deadlines.sweeping import recompute_provisional as recompute_provisional
from xietong_common.deadlines.sweeping import sweep as sweep
from xietong_common.deadlines.tracking import AGREED as AGREED
from xietong_common.deadlines.tracking import TrackedDeadline as TrackedDeadline
from xietong_common.deadlines.tracking import cancel as cancel
from xietong_common.deadlines.tracking import close as close
from xietong_common.deadlines.tracking import find_open as find_open
from xietong_common.deadlines.tracking import for_subject as for_subject
from xietong_common.deadlines.tracking import satisfy as satisfy
from xietong_common.deadlines.tracking import start as start
from xietong_common.deadlines.tracking import start_until as start_until
