"""The service's declarative base and the column types its tables share."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import MetaData
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import DeclarativeBase

from xietong_common.tables import NAMING_CONVENTION

TZ = sa.DateTime(timezone=True)
PERCENT = sa.Numeric(5, 2)
TEXTS = ARRAY(sa.Text)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
