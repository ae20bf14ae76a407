"""Request and response models of the secondment and guidance API (blocks from `xietong_common.schemas`)."""

from __future__ import annotations
