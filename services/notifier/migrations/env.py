from notifier.models import Base
from xietong_common.migrations import run_env

run_env(Base.metadata)
