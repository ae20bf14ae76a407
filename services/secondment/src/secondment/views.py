"""Response views of the secondment and guidance service, built from its tables."""

from __future__ import annotations
