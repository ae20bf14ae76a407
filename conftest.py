pytest_plugins = ["xietong_devtools.testing"]
