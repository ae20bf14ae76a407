"""Events the oversight service publishes: none yet.

Oversight reads what the six services publish (handlers.py); the ledger and the assessment
change nothing elsewhere. The export digest (`oversight.export-issued`) and the audit alarm
(`oversight.audit-alarm`) of issue 19 will be published from here.
"""

from __future__ import annotations
