from joint_inspection.models import Base
from xietong_common.migrations import run_env
from xietong_common.roster import roster_metadata

run_env(Base.metadata, roster_metadata)
