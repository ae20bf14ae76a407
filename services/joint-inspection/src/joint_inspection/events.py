"""The events the joint inspection service publishes: builders of its contracts (module
`xietong_common.contracts`), published through the outbox (`uow.publish`)."""

from __future__ import annotations
