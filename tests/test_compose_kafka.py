"""The Kafka of deploy/docker-compose.yml, run for real without Docker: the compose file's
`kafka` environment, turned into server.properties by the apache/kafka image's own
converter (`kafka.docker.KafkaDockerWrapper`, in the same 4.1.1 jars the local stack
uses) behind deploy/kafka/start.sh, then deploy/kafka/init-acls.sh (generated from the
event registry) run with the 4.1.1 admin tools. Clients connect as the services would,
with `client_options` of their settings.

What it shows: each service writes only its own topics (a forged `review.opinion` from
anyone but legal-review is refused), reads what it consumes in its own group and
dead-letters to the `.dlq` twins; integrators read over TLS on the EXTERNAL listener and
write nothing; unauthenticated clients get nothing. Ports are remapped, everything else
is the compose file's.
"""

from __future__ import annotations

import asyncio
import os
import queue
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaError,
    TopicAuthorizationFailedError,
)

from xietong_common.events.kafka_security import client_options
from xietong_common.settings import ServiceSettings
from xietong_devtools.deploy import INTEGRATOR, grants, interpolate, password_variable
from xietong_devtools.stack import local_kafka
from xietong_devtools.stack.kafka import check_java
from xietong_devtools.stack.postgres import StackError

# The bound is the test functions' own (func_only): the module's broker fixture starts a JVM
# and runs kafka-init's few dozen more, which on a loaded shared box take what they take; it
# bounds each of its waits by progress instead (BROKER_START_S, INIT_STEP_S).
pytestmark = [pytest.mark.integration, pytest.mark.timeout(600, func_only=True)]
# Hang bounds, not speed targets: the broker's admin port answering, and each step of
# init-acls.sh (a step is one principal or one service's ACLs, up to four JVM starts).
BROKER_START_S = 600
INIT_STEP_S = 600

# The admin tools' JVM (one for all calls, or one per call without a JDK: `_admin_tools`): a
# client JIT and the serial collector start it in two thirds of the CPU (1.61 → 1.15 s a
# start), and change nothing it does.
TOOL_JVM = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto"

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
LOG4J2 = """status = warn
appender.out.type = Console
appender.out.name = out
appender.out.target = SYSTEM_ERR
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.out.ref = out
"""


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _answers(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _run_in_steps(args: list[str], env: dict[str, str], *, step_s: float) -> tuple[int, str]:
    """Run a script that prints a line per step; fail only when a step prints nothing for
    `step_s` (a hang), however long the whole takes. Returns its status and output."""
    lines: queue.Queue[str | None] = queue.Queue()
    process = subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    output: list[str] = []
    try:
        while (line := lines.get(timeout=step_s)) is not None:
            output.append(line)
    except queue.Empty:
        process.kill()
        raise AssertionError(f"no progress for {step_s} s:\n" + "".join(output)) from None
    return process.wait(), "".join(output)


def _script(path: Path, body: str) -> Path:
    path.write_text("#!/usr/bin/env bash\nset -euo pipefail\n" + body)
    path.chmod(0o755)
    return path


def _self_signed(directory: Path) -> Path:
    """A CA-less self-signed broker certificate for localhost; returns it (the client's CA)."""
    key, cert = directory / "key.pem", directory / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert


# The admin tools kafka-init runs, as the image's /opt/kafka/bin names them.
ADMIN_TOOLS = {
    "kafka-configs.sh": "kafka.admin.ConfigCommand",
    "kafka-acls.sh": "org.apache.kafka.tools.AclCommand",
}
TOOL_SERVER = Path(__file__).parent / "kafka_tools" / "ToolServer.java"


def _tail(log: Path) -> str:
    return "\n" + log.read_text(errors="replace")[-4000:] if log.exists() else ""


def _admin_tools(
    java: Path, classpath: str, log4j: str, work: Path
) -> subprocess.Popen[bytes] | None:
    """Write work/bin, the image's /opt/kafka/bin as kafka-init uses it; returns the process
    serving the tools, if one does.

    kafka-init starts a JVM per user and per set of ACLs, some fifty a run and two runs a
    test session, each 0.7 s of CPU however it is tuned (a client JIT, the serial collector,
    shared classes): with a JDK (javac), the tools' main classes run in one JVM instead
    (kafka_tools/ToolServer.java), each call the same class with the same arguments against
    the same broker, and bin/ holds shims that send it the calls. Without one, each tool
    starts its JVM, its classes shared from an archive its first start writes (class data
    sharing, JDK 13+): 1.75 → 0.8 s of CPU a start."""
    javac = shutil.which("javac")
    if javac is None:
        for name, main in ADMIN_TOOLS.items():
            archive = work / "bin" / f"{name}.jsa"
            _script(
                work / "bin" / name,
                f'if [[ -f "{archive}" ]]; then share=-XX:SharedArchiveFile="{archive}"\n'
                f'else share=-XX:ArchiveClassesAtExit="{archive}"; fi\n'
                f'exec "{java}" {TOOL_JVM} "$share" {log4j} -cp "{classpath}" {main} "$@"\n',
            )
        return None
    classes = work / "tool-classes"
    subprocess.run(
        [javac, "-cp", classpath, "-d", str(classes), str(TOOL_SERVER)],
        check=True,
        capture_output=True,
    )
    port_file = work / "tools.port"
    server = subprocess.Popen(
        [
            str(java),
            *TOOL_JVM.split(),
            log4j,
            "-cp",
            f"{classes}:{classpath}",
            "ToolServer",
            str(port_file),
        ],
        stdout=(work / "tools.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + BROKER_START_S
    while not port_file.exists():
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise AssertionError("the admin tools' JVM did not start" + _tail(work / "tools.log"))
        time.sleep(0.1)
    port = int(port_file.read_text())
    for name, main in ADMIN_TOOLS.items():
        _script(
            work / "bin" / name,
            f"exec 3<>/dev/tcp/127.0.0.1/{port}\n"
            f'printf \'%s\\n\' {main} "$#" "$@" >&3\n'
            "read -r status <&3\n"
            'exit "$status"\n',
        )
    return server


@dataclass
class Broker:
    internal: str  # the services' listener (compose: kafka:9092)
    external: str  # the integrators' listener (compose: :9094), TLS here
    ca: Path
    passwords: dict[str, str]
    init: Path
    env: dict[str, str]
    tools_log: Path

    def settings(self, principal: str, *, external: bool = False, **extra: Any) -> ServiceSettings:
        return ServiceSettings(
            kafka_security_protocol="SASL_SSL" if external else "SASL_PLAINTEXT",
            kafka_sasl_mechanism="SCRAM-SHA-512",
            kafka_sasl_username=principal,
            kafka_sasl_password=self.passwords[principal],  # type: ignore[arg-type]
            kafka_ssl_cafile=self.ca if external else None,
            **extra,
        )

    def options(self, principal: str, *, external: bool = False) -> dict[str, Any]:
        return {
            "bootstrap_servers": self.external if external else self.internal,
            "request_timeout_ms": 10_000,
            **client_options(self.settings(principal, external=external)),
        }


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    try:
        java = check_java()
        jars = local_kafka().jars()
    except StackError as exc:
        pytest.skip(f"no Kafka jars: {exc}")
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed for the TLS listener's certificate")
    work = tmp_path_factory.mktemp("compose-kafka")
    for d in ("default", "mounted", "final", "tls", "bin", "data"):
        (work / d).mkdir()
    cert = _self_signed(work)
    (work / "tls" / "server.pem").write_text((work / "key.pem").read_text() + cert.read_text())
    (work / "log4j2.properties").write_text(LOG4J2)
    classpath = f"{jars}/*"
    log4j = f"-Dlog4j2.configurationFile={work / 'log4j2.properties'}"

    # What the image's /etc/kafka/docker/run does, with the same converter and server.
    run = _script(
        work / "run",
        f'if ! out=$("{java}" -cp "{classpath}" kafka.docker.KafkaDockerWrapper setup'
        f' --default-configs-dir "{work}/default" --mounted-configs-dir "{work}/mounted"'
        f' --final-configs-dir "{work}/final" 2>&1); then\n'
        '  echo "$out" | grep -qi "already formatted" || { echo "$out" >&2; exit 1; }\n'
        "fi\n"
        f'exec "{java}" -Xms256m -Xmx640m {log4j} -cp "{classpath}" kafka.Kafka'
        f' "{work}/final/server.properties"\n',
    )
    local, internal, controller, external = _free_ports(4)
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    remap = {
        "9091": str(local),
        "9092": str(internal),
        "9093": str(controller),
        "9094": str(external),
    }
    env: dict[str, str] = {}
    for key, value in compose["services"]["kafka"]["environment"].items():
        text = interpolate(str(value), {"KAFKA_EXTERNAL_HOST": "localhost"})
        for port, mapped in remap.items():
            text = text.replace(f":{port}", f":{mapped}")
        env[key] = text.replace("//kafka:", "//127.0.0.1:")
    env["KAFKA_LOG_DIRS"] = str(work / "data")
    command = compose["services"]["kafka"]["command"]
    assert command == ["bash", "/opt/xietong/start.sh"]
    process = subprocess.Popen(
        ["bash", str(DEPLOY / "kafka" / "start.sh")],
        env={
            "PATH": os.environ["PATH"],
            **env,
            "XIETONG_KAFKA_TLS_DIR": str(work / "tls"),
            "XIETONG_KAFKA_RUN": str(run),
        },
        stdout=(work / "broker.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    tools: subprocess.Popen[bytes] | None = None
    try:
        tools = _admin_tools(java, classpath, log4j, work)  # while the broker starts
        deadline = time.monotonic() + BROKER_START_S
        while not _answers(local):
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((work / "broker.log").read_text()[-4000:])
            time.sleep(0.5)
        principals = [*grants(), INTEGRATOR]
        passwords = {p: uuid.uuid4().hex for p in principals}
        init_env = {
            "PATH": os.environ["PATH"],
            "KAFKA_BIN": str(work / "bin"),
            "KAFKA_ADMIN_BOOTSTRAP": f"127.0.0.1:{local}",
            **{password_variable(p): passwords[p] for p in principals},
        }
        init = DEPLOY / "kafka" / "init-acls.sh"
        status, output = _run_in_steps(["bash", str(init)], init_env, step_s=INIT_STEP_S)
        assert status == 0, output + _tail(work / "tools.log")
        assert "kafka-init: done" in output
        yield Broker(
            internal=f"127.0.0.1:{internal}",
            external=f"localhost:{external}",
            ca=cert,
            passwords=passwords,
            init=init,
            env=init_env,
            tools_log=work / "tools.log",
        )
    finally:
        if tools is not None:
            tools.kill()
            tools.wait()
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


async def _create(broker: Broker, principal: str, topics: list[str]) -> None:
    """What a service's `ensure_topics` does on start, as that service."""
    admin = AIOKafkaAdminClient(**broker.options(principal))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if missing:
            await admin.create_topics(
                [NewTopic(t, 1 if t.endswith(".dlq") else 3, 1) for t in missing]
            )
    finally:
        await admin.close()


@pytest.fixture(scope="module")
async def topics(broker: Broker) -> None:
    for principal, g in grants().items():
        await _create(broker, principal, g.topics)


async def _produce(broker: Broker, principal: str, topic: str, *, external: bool = False) -> None:
    producer = AIOKafkaProducer(
        **broker.options(principal, external=external), enable_idempotence=True, acks="all"
    )
    try:
        await producer.start()
        await asyncio.wait_for(producer.send_and_wait(topic, b"{}", key=b"k"), 20)
    finally:
        await producer.stop()


# A principal allowed to write no topic at all is refused already when its idempotent
# producer asks for a producer id (KIP-679: that needs Write on some topic).
REFUSED = (TopicAuthorizationFailedError, ClusterAuthorizationFailedError)


@pytest.fixture
async def consumer_of(broker: Broker) -> AsyncIterator[Any]:
    consumers: list[AIOKafkaConsumer] = []

    async def make(
        principal: str, group: str, *topics: str, external: bool = False
    ) -> AIOKafkaConsumer:
        consumer = AIOKafkaConsumer(
            *topics,
            **broker.options(principal, external=external),
            group_id=group,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        consumers.append(consumer)
        await consumer.start()
        return consumer

    yield make
    for consumer in consumers:
        await consumer.stop()


async def _first(consumer: AIOKafkaConsumer, timeout_s: float = 30) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while asyncio.get_running_loop().time() < deadline:
        batch = await consumer.getmany(timeout_ms=1000)
        for records in batch.values():
            if records:
                return records[0]
    raise AssertionError("nothing read")


async def _read_in(
    consumer_of: Any, principal: str, group: str, topic: str, *, external: bool = False
) -> Any:
    return await _first(await consumer_of(principal, group, topic, external=external), timeout_s=10)


@pytest.mark.usefixtures("topics")
async def test_each_service_writes_its_own_topics(broker: Broker) -> None:
    for principal, g in grants().items():
        for topic in g.produces:
            await _produce(broker, principal, topic)


@pytest.mark.usefixtures("topics")
@pytest.mark.parametrize("forger", ["referral", "joint-inspection", "info-sharing", INTEGRATOR])
async def test_a_forged_review_opinion_is_refused(broker: Broker, forger: str) -> None:
    with pytest.raises(REFUSED):
        await _produce(broker, forger, "review.opinion")


@pytest.mark.usefixtures("topics")
async def test_no_service_writes_another_services_topic(broker: Broker) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        await _produce(broker, "legal-review", "case.referred")
    with pytest.raises(TopicAuthorizationFailedError):
        await _produce(broker, "referral", "inspection.finding")


@pytest.mark.usefixtures("topics")
async def test_a_consumer_reads_in_its_group_and_dead_letters(
    broker: Broker, consumer_of: Any
) -> None:
    await _produce(broker, "legal-review", "review.opinion")
    consumer = await consumer_of("referral", "referral", "review.opinion")
    record = await _first(consumer)
    tp = TopicPartition(record.topic, record.partition)
    await consumer.commit({tp: record.offset + 1})
    await _produce(broker, "referral", "review.opinion.dlq")  # its inbox dead-letters here
    with pytest.raises(GroupAuthorizationFailedError):  # not in another service's group
        await _read_in(consumer_of, "referral", "legal-review", "review.opinion")


@pytest.mark.usefixtures("topics")
async def test_integrators_read_over_tls_and_write_nothing(
    broker: Broker, consumer_of: Any
) -> None:
    await _produce(broker, "referral", "case.referred")
    consumer = await consumer_of(INTEGRATOR, "integrator-demo", "case.referred", external=True)
    record = await _first(consumer)
    assert record.value == b"{}"
    await consumer.commit({TopicPartition(record.topic, record.partition): record.offset + 1})
    with pytest.raises(REFUSED):
        await _produce(broker, INTEGRATOR, "case.referred", external=True)
    with pytest.raises(GroupAuthorizationFailedError):  # groups are named integrator…
        await _read_in(consumer_of, INTEGRATOR, "someone-else", "case.referred", external=True)


@pytest.mark.usefixtures("topics")
async def test_audit_checkpoints_are_read_back_and_their_topic_cannot_be_shortened(
    broker: Broker,
) -> None:
    """Every service reads back the checkpoints it publishes, without a consumer group
    (`xietong audit verify` in its container), integrators read them too, and no principal
    may alter the never-deleting topic's retention or delete it (docs/audit.md)."""
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    from xietong_common.attestation.verification import read_topic
    from xietong_common.contracts.audit import CHECKPOINT_TOPIC
    from xietong_common.events.namespace import Namespace

    await _produce(broker, "referral", CHECKPOINT_TOPIC)
    for principal in [*grants(), INTEGRATOR]:
        options = broker.options(principal, external=principal == INTEGRATOR)
        bootstrap = options.pop("bootstrap_servers")
        options.pop("request_timeout_ms")
        # Compose is one deployment alone on its broker: the plain namespace.
        reading = await read_topic(
            bootstrap, service="referral", options=options, namespace=Namespace()
        )
        assert reading.problems == [], principal
    for principal in ["referral", "legal-review"]:
        admin = AIOKafkaAdminClient(**broker.options(principal))
        await admin.start()
        try:
            [altered] = await admin.alter_configs(
                [
                    ConfigResource(
                        ConfigResourceType.TOPIC, CHECKPOINT_TOPIC, configs={"retention.ms": "1"}
                    )
                ]
            )
            assert altered.resources[0][0] != 0, principal  # TOPIC_AUTHORIZATION_FAILED
            try:
                deleted = await admin.delete_topics([CHECKPOINT_TOPIC])
            except TopicAuthorizationFailedError:
                pass
            else:
                assert deleted.topic_error_codes[0][1] != 0, principal
        finally:
            await admin.close()


@pytest.mark.usefixtures("topics")
async def test_sup_02_each_service_keeps_its_accountability_topics_400_days_and_no_other(
    broker: Broker,
) -> None:
    """Issue 19, History: the topics were created with the broker's default retention (as an
    older release did); each service's `ensure_topics`, as its own Kafka user, lengthens the
    accountability topics it uses to 400 days, and may alter no other topic's configuration."""
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    from xietong_common.events.kafka import ensure_topics, topic_configs
    from xietong_common.events.namespace import Namespace
    from xietong_common.events.registry import ACCOUNTABILITY_RETENTION_MS, registry

    lengthened: set[str] = set()
    for principal, g in grants().items():
        options = broker.options(principal)
        bootstrap = options.pop("bootstrap_servers")
        options.pop("request_timeout_ms")
        kept = await ensure_topics(bootstrap, g.produces, options=options, namespace=Namespace())
        accountable = {t: ok for t, ok in kept.items() if not registry.retained(t)}
        # Exactly the accountability topics it produces (oversight and the notifier produce
        # none: their figures and deliveries are not facts others are held to), all lengthened.
        assert set(accountable) == {
            t for t in g.produces if registry.accountable(t) and not registry.retained(t)
        }, principal
        assert all(accountable.values()), (principal, kept)
        lengthened |= set(accountable)
        # The fixture made audit.checkpoint with the default retention; no service may
        # alter it, so each says it is short (an operator's alarm), none can change it.
        assert kept["audit.checkpoint"] is False, principal
    assert "deadline.lifecycle" in lengthened
    admin = AIOKafkaAdminClient(**broker.options("referral"))
    await admin.start()
    try:
        configs = await topic_configs(admin, "deadline.lifecycle")
        assert configs["retention.ms"][0] == str(ACCOUNTABILITY_RETENTION_MS)
        [altered] = await admin.alter_configs(
            [
                ConfigResource(
                    ConfigResourceType.TOPIC, "case.referred", configs={"retention.ms": "1"}
                )
            ]
        )
        assert altered.resources[0][0] != 0  # not an accountability topic: refused
    finally:
        await admin.close()


@pytest.mark.usefixtures("topics")
async def test_unauthenticated_or_wrong_password_clients_get_nothing(broker: Broker) -> None:
    plain = AIOKafkaProducer(bootstrap_servers=broker.internal, request_timeout_ms=5000)
    with pytest.raises(KafkaError):
        await asyncio.wait_for(plain.start(), 20)
    await plain.stop()
    wrong = AIOKafkaProducer(
        bootstrap_servers=broker.internal,
        **client_options(
            ServiceSettings(
                kafka_security_protocol="SASL_PLAINTEXT",
                kafka_sasl_username="referral",
                kafka_sasl_password="not-the-password",  # type: ignore[arg-type]
            )
        ),
    )
    with pytest.raises((KafkaError, KafkaConnectionError)):
        await asyncio.wait_for(wrong.start(), 20)
    await wrong.stop()


# The whole script again: bounded by its progress (INIT_STEP_S a step), not by a total.
@pytest.mark.timeout(0)
def test_kafka_init_runs_again_without_harm(broker: Broker) -> None:
    status, output = _run_in_steps(["bash", str(broker.init)], broker.env, step_s=INIT_STEP_S)
    assert status == 0, output + _tail(broker.tools_log)


def test_kafka_init_refuses_a_missing_password(broker: Broker) -> None:
    env = {k: v for k, v in broker.env.items() if k != password_variable("referral")}
    result = subprocess.run(["bash", str(broker.init)], env=env, capture_output=True, text=True)
    assert result.returncode == 1
    assert password_variable("referral") in result.stderr
