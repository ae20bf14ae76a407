"""How a service authenticates to Kafka: the aiokafka keyword arguments for its settings.

Every aiokafka client a service creates (`AIOKafkaProducer`, `AIOKafkaConsumer`,
`AIOKafkaAdminClient`) takes `**client_options(settings)` beside `bootstrap_servers`. With
the defaults (PLAINTEXT) that is the local stack's unauthenticated broker; docker compose
sets SASL_PLAINTEXT with SCRAM-SHA-512 and one principal per service, whose ACLs allow it
to write only its own topics (see docs/deploy.md).
"""

from __future__ import annotations

from typing import Any

from aiokafka.helpers import create_ssl_context

from xietong_common.settings import ServiceSettings

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN")


def client_options(settings: ServiceSettings) -> dict[str, Any]:
    """`security_protocol`, and as the protocol needs them `sasl_mechanism`,
    `sasl_plain_username`, `sasl_plain_password` and `ssl_context` (checking the broker's
    certificate against `kafka_ssl_cafile`, else the system's CAs). Raises ValueError on
    settings that cannot work, so a misconfigured service fails at start, not on first use."""
    protocol = settings.kafka_security_protocol.strip().upper()
    if protocol not in PROTOCOLS:
        raise ValueError(
            f"XIETONG_KAFKA_SECURITY_PROTOCOL={settings.kafka_security_protocol!r}: "
            f"expected one of {', '.join(PROTOCOLS)}"
        )
    options: dict[str, Any] = {"security_protocol": protocol}
    if protocol.startswith("SASL_"):
        mechanism = settings.kafka_sasl_mechanism.strip().upper()
        if mechanism not in SASL_MECHANISMS:
            raise ValueError(
                f"XIETONG_KAFKA_SASL_MECHANISM={settings.kafka_sasl_mechanism!r}: "
                f"expected one of {', '.join(SASL_MECHANISMS)}"
            )
        password = settings.kafka_sasl_password
        if not settings.kafka_sasl_username or password is None:
            raise ValueError(
                f"{protocol} needs XIETONG_KAFKA_SASL_USERNAME and XIETONG_KAFKA_SASL_PASSWORD"
            )
        options.update(
            sasl_mechanism=mechanism,
            sasl_plain_username=settings.kafka_sasl_username,
            sasl_plain_password=password.get_secret_value(),
        )
    if protocol in ("SSL", "SASL_SSL"):
        cafile = settings.kafka_ssl_cafile
        if cafile is not None and not cafile.is_file():
            raise ValueError(f"XIETONG_KAFKA_SSL_CAFILE={cafile}: no such file")
        options["ssl_context"] = create_ssl_context(
            cafile=str(cafile) if cafile is not None else None
        )
    elif settings.kafka_ssl_cafile is not None:
        raise ValueError(
            f"XIETONG_KAFKA_SSL_CAFILE is set but XIETONG_KAFKA_SECURITY_PROTOCOL={protocol} "
            "uses no TLS: use SSL or SASL_SSL"
        )
    return options
