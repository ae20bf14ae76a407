"""Response views of the enforcement assistance service, built from its tables."""

from __future__ import annotations
