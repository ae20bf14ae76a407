"""The `xietong` command (`main`) and its sub-commands: `audit`, `calendar`, `serve`, and the
generators of docs/ (`event_docs`, `openapi_docs`). Front ends on top of every layer: nothing
else in xietong_common imports them."""
