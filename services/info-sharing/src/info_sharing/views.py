"""Response views of the information sharing service, built from its tables."""

from __future__ import annotations
