"""What a running service holds, handed explicitly to use cases, handlers and jobs.

No web framework here: use cases import this, never the app factory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from xietong_common.auth import TokenVerifier
from xietong_common.calendar import WorkingDayCalendar
from xietong_common.clock import Clock, SystemClock
from xietong_common.db import Database
from xietong_common.events.kafka_security import client_options
from xietong_common.events.namespace import Namespace
from xietong_common.files.limits import MiB, WorkerBudget
from xietong_common.files.worker import FileWorkers
from xietong_common.reference import (
    MatterCatalogue,
    OrganisationDirectory,
    load_catalogue,
    load_directory,
)
from xietong_common.settings import ServiceSettings


@dataclass
class ServiceContext:
    """Settings, database, clock, tokens and reference data of one running service."""

    settings: ServiceSettings
    db: Database
    clock: Clock
    tokens: TokenVerifier
    calendar: WorkingDayCalendar
    directory: OrganisationDirectory
    catalogue: MatterCatalogue
    kafka: dict[str, Any] = field(default_factory=dict)  # client security options
    namespace: Namespace = field(default_factory=Namespace)  # topic and group prefix
    files: FileWorkers = field(default_factory=FileWorkers)  # worker processes reading files
    extras: dict[str, Any] = field(default_factory=dict)


S = TypeVar("S", bound=ServiceSettings)


def settings_of(ctx: ServiceContext, cls: type[S]) -> S:
    """The running service's own settings class (its `ServiceSpec.settings_class`)."""
    if not isinstance(ctx.settings, cls):
        raise TypeError(f"the service runs with {type(ctx.settings).__name__}, not {cls.__name__}")
    return ctx.settings


def build_context(
    settings: ServiceSettings, *, service: str, clock: Clock | None = None
) -> ServiceContext:
    """Open the database and load the reference data the settings name. `service` is the
    service's name (`referral`), the source of its events; `settings.service_name` names this
    instance (its consumer group, its metrics)."""
    clock = clock or SystemClock()
    directory = load_directory(settings.data_dir / "organisations.yaml")
    return ServiceContext(
        settings=settings,
        db=Database(
            settings.database_url,
            clock=clock,
            service_name=settings.service_name,
            source=f"/xietong/{service}",
            pool_size=settings.database_pool_size,
            audit_hash=settings.audit_hash_algorithm,
        ),
        clock=clock,
        tokens=TokenVerifier(settings),
        calendar=WorkingDayCalendar.load(settings.data_dir / "calendar"),
        directory=directory,
        catalogue=load_catalogue(settings.data_dir / "matters.yaml", directory),
        # Computed once at start: settings that cannot work stop the service here.
        kafka=client_options(settings),
        namespace=Namespace(settings.kafka_namespace),
        files=FileWorkers(
            processes=settings.file_worker_processes,
            budget=WorkerBudget(
                seconds=settings.file_worker_seconds,
                memory_bytes=settings.file_worker_memory_mb * MiB,
            ),
        ),
    )
