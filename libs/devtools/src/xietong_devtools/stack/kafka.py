"""An Apache Kafka broker for the local stack: KRaft, one node, from its Maven Central jars.

`deploy/local/kafka/pom.xml` pins the version; Maven copies the jars once into
`.local/kafka/jars-<pom hash>`, the storage is formatted once, and the broker runs as a
background Java process with its log in `.local/kafka/broker.log`.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from xietong_devtools.stack.postgres import StackError

MIN_JAVA = 17

LOG4J2 = """status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = {log}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = WARN
logger.apache.name = org.apache.kafka
logger.apache.level = WARN
logger.started.name = kafka.server.KafkaRaftServer
logger.started.level = INFO
"""


def check_java() -> str:
    java = shutil.which("java")
    if java is None:
        raise StackError(
            f"Java {MIN_JAVA}+ is needed for the local Kafka broker, and `java` is not on PATH"
        )
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    match = re.search(r'version "(\d+)', out)
    if match is None or int(match.group(1)) < MIN_JAVA:
        raise StackError(
            f"Java {MIN_JAVA}+ is needed for Kafka 4; found: {out.strip().splitlines()[0]}"
        )
    return java


@dataclass(frozen=True)
class LocalKafka:
    home: Path  # .local/kafka
    pom: Path
    port: int
    controller_port: int
    # Where the jars are kept (default: `home`): a broker made for one test run keeps its
    # data in a directory of its own and its jars where they were fetched once.
    jars_home: Path | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.home / "broker.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "broker.log"

    def jars(self) -> Path:
        digest = hashlib.sha256(self.pom.read_bytes()).hexdigest()[:12]
        store = self.jars_home or self.home
        store.mkdir(parents=True, exist_ok=True)
        target = store / f"jars-{digest}"
        if target.is_dir() and any(target.glob("kafka_2.13-*.jar")):
            return target
        mvn = shutil.which("mvn")
        if mvn is None:
            raise StackError(
                "Maven (`mvn`) is needed once to fetch the Kafka jars, and it is not on PATH"
            )
        staging = store / f".jars-{uuid.uuid4().hex[:6]}"
        print(f"fetching Kafka jars with Maven into {target} (once)…", file=sys.stderr)
        result = subprocess.run(
            [
                mvn,
                "-q",
                "-B",
                "-f",
                str(self.pom),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={staging}",
                "-DincludeScope=runtime",
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            raise StackError(
                f"Maven could not fetch the Kafka jars:\n{result.stdout[-3000:]}{result.stderr[-2000:]}"
            )
        staging.rename(target)
        return target

    def _write_config(self) -> Path:
        data = self.home / "data"
        props = self.home / "server.properties"
        props.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.bootstrap.servers=127.0.0.1:{self.controller_port}",
                    f"listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
                    f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
                    "controller.listener.names=CONTROLLER",
                    "inter.broker.listener.name=PLAINTEXT",
                    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                    f"log.dirs={data}",
                    "num.partitions=3",
                    "offsets.topic.replication.factor=1",
                    "offsets.topic.num.partitions=10",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    "auto.create.topics.enable=false",
                    "group.initial.rebalance.delay.ms=0",
                    "",
                ]
            )
        )
        (self.home / "log4j2.properties").write_text(LOG4J2.format(log=self.log_file))
        return props

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            try:
                os.kill(pid, 0)
            except OSError:
                return None
            return pid
        return pid if b"kafka.Kafka" in cmdline else None

    def is_running(self) -> bool:
        return self.pid() is not None

    def start(self) -> None:
        if self.is_running():
            return
        java = check_java()
        self.home.mkdir(parents=True, exist_ok=True)
        jars = self.jars()
        classpath = f"{jars}/*"
        props = self._write_config()
        if not (self.home / "data" / "meta.properties").exists():
            cluster_id = (
                subprocess.run(
                    [java, "-cp", classpath, "kafka.tools.StorageTool", "random-uuid"],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                .stdout.strip()
                .splitlines()[-1]
            )
            fmt = subprocess.run(
                [
                    java,
                    "-cp",
                    classpath,
                    "kafka.tools.StorageTool",
                    "format",
                    "--standalone",
                    "-t",
                    cluster_id,
                    "-c",
                    str(props),
                ],
                capture_output=True,
                text=True,
            )
            if fmt.returncode != 0:
                raise StackError(f"formatting Kafka storage failed:\n{fmt.stdout}{fmt.stderr}")
        with (self.home / "stdout.log").open("ab") as out:
            process = subprocess.Popen(
                [
                    java,
                    "-Xms256m",
                    "-Xmx768m",
                    "-XX:+UseG1GC",
                    f"-Dlog4j2.configurationFile={self.home / 'log4j2.properties'}",
                    "-cp",
                    classpath,
                    "kafka.Kafka",
                    str(props),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                cwd=self.home,
            )
        self.pid_file.write_text(str(process.pid))

    def kill(self, timeout_s: float = 30) -> None:
        """SIGKILL: the broker dies at once, nothing flushed or handed over (what it wrote is
        in the page cache, as after a crash of the process, not of the machine)."""
        pid = self.pid()
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
            end = time.monotonic() + timeout_s
            while time.monotonic() < end and self.pid() is not None:
                time.sleep(0.05)
        self.pid_file.unlink(missing_ok=True)

    def stop(self, timeout_s: float = 30) -> None:
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return
        os.kill(pid, signal.SIGTERM)
        end = time.monotonic() + timeout_s
        while time.monotonic() < end and self.pid() is not None:
            time.sleep(0.2)
        if self.pid() is not None:
            os.kill(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
