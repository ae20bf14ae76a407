"""Request and response models of the joint inspection API (blocks from `xietong_common.schemas`)."""

from __future__ import annotations
