"""Developer tooling of xietong: the local stack, `xietong stack|run`, the pytest plugin."""
