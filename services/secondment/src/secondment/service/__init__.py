"""Use cases of 下沉指导: each runs in the caller's unit of work and never commits.

Import as `from secondment import service as secondment_service`.
"""

from secondment.service.common import MECHANISM as MECHANISM
from secondment.service.guidance import add_material as add_material
from secondment.service.guidance import record_activity as record_activity
from secondment.service.officers import add_assessment as add_assessment
from secondment.service.officers import add_work_note as add_work_note
from secondment.service.officers import update_personnel as update_personnel
from secondment.service.rosters import import_roster as import_roster
from secondment.service.rosters import read_roster as read_roster
from secondment.service.teams import create_team as create_team
from secondment.service.teams import dissolve_team as dissolve_team
from secondment.service.teams import edit_team as edit_team
from secondment.service.teams import republish as republish
