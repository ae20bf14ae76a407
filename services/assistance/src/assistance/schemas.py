"""Request and response models of the enforcement assistance API (blocks from `xietong_common.schemas`)."""

from __future__ import annotations
