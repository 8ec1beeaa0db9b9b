pytest_plugins = ["vvs_core.testing"]
