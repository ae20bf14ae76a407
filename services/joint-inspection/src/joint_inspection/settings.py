"""Settings of the joint inspection service (env prefix `XIETONG_`), beside the shared ones.

Where the notice says 'promptly' (及时) without a number, the number is a setting here with a
documented default; it is never presented as law.
"""

from __future__ import annotations

from xietong_common.settings import ServiceSettings


class InspectionSettings(ServiceSettings):
    """The joint inspection service's own settings."""
