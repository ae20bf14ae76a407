"""Request and response models of the information sharing API (blocks from `xietong_common.schemas`)."""

from __future__ import annotations
