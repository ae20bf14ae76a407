"""Every refusal of the referral service reads in Chinese (the district's users) and English."""

from __future__ import annotations

from pathlib import Path

import referral.handlers
import referral.service
from referral import errors
from xietong_devtools.i18n_check import raises_without_chinese


def test_every_raise_gives_a_chinese_detail() -> None:
    # imported above, so every error class the service raises is known
    assert referral.handlers.refused_like_a_request
    src = Path(errors.__file__).parent
    assert raises_without_chinese(src) == []
