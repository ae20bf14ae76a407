from joint_inspection.models import Base
from xietong_common.mechanisms.roster import roster_metadata
from xietong_common.migrations import run_env

run_env(Base.metadata, roster_metadata)
