from backbone_support import test_metadata
from xietong_common.migrations import run_env

run_env(test_metadata)
