pytest_plugins = ["xietong_common.testing"]
