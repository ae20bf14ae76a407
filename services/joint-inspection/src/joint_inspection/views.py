"""Response views of the joint inspection service, built from its tables."""

from __future__ import annotations
