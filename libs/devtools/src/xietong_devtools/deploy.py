"""`deploy/kafka/init-acls.sh`, generated from the event registry: the Kafka users and ACLs of
the docker compose deployment (`xietong deploy kafka-init [--check]`).

Each service gets a SCRAM-SHA-512 principal named after it (`referral`, `legal-review`, …)
that may

- write the topics the registry says it produces,
- read the topics the registry says it consumes, in its consumer group (the service name),
  and write their `.dlq` twins (where its inbox dead-letters),
- describe and create those topics and their `.dlq` twins, and read their configuration
  (what `ensure_topics` does on start),
- alter the configuration of the accountability topics among them (deadline facts,
  refusals, flags: `ensure_topics` lengthens their retention to
  `XIETONG_ACCOUNTABILITY_RETENTION_DAYS` where it is shorter, SUP-01/02),
- read the `.dlq` twins of what it consumes in the group `<service>.dlq-replay`
  (`xietong dlq list | replay`, and the service's dead-letter depth gauge),
- read in consumer groups `<name>-rebuild-…` if it replays its topics (`REBUILDING`:
  `xietong oversight rebuild`),
- read back, without a consumer group, the retained topics it writes (the audit
  checkpoints: `xietong audit verify` in its container),

and nothing else: in particular no principal may delete a topic or alter the never-deleting
`audit.checkpoint`, so none can shorten its retention. The `integrator` principal may read every event topic, in consumer
groups whose name starts with `integrator`, and write nothing. A registry consumer such as
`info-sharing (INFO-04, planned)` that is not a service, or is marked planned, gets no ACL.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import xietong_common.contracts  # noqa: F401  (registers every event type)
from xietong_common.events.registry import dlq_topic, registry
from xietong_common.services import REBUILDING, SERVICES, rebuild_group_prefix
from xietong_common.settings import project_root

INTEGRATOR = "integrator"
INTEGRATOR_GROUP_PREFIX = "integrator"
KAFKA_INIT = Path("deploy") / "kafka" / "init-acls.sh"


def dlq_replay_group(service: str) -> str:
    """The consumer group `xietong dlq replay` reads a service's dead letters in (before the
    deployment's namespace)."""
    return f"{service}.dlq-replay"


def password_variable(principal: str) -> str:
    """The compose variable holding a principal's SCRAM password."""
    return "XIETONG_KAFKA_PASSWORD_" + principal.upper().replace("-", "_")


@dataclass
class Grants:
    """What one service's principal may do."""

    produces: list[str] = field(default_factory=list)
    consumes: list[str] = field(default_factory=list)

    @property
    def topics(self) -> list[str]:
        """Every topic the service's `ensure_topics` wants: its own and their `.dlq` twins."""
        names = {*self.produces, *self.consumes}
        return sorted(names | {dlq_topic(t) for t in names})

    @property
    def keeps(self) -> list[str]:
        """Accountability topics whose retention its `ensure_topics` lengthens (AlterConfigs);
        never a retained one (evidence no service may alter)."""
        return sorted(
            t for t in self.topics if registry.accountable(t) and not registry.retained(t)
        )

    @property
    def writes(self) -> list[str]:
        return sorted({*self.produces, *(dlq_topic(t) for t in self.consumes)})

    @property
    def reads_back(self) -> list[str]:
        """Retained topics it writes, read without a group to verify (audit checkpoints)."""
        return sorted(t for t in self.produces if registry.retained(t))


def _consumer_service(declared: str) -> str | None:
    """`referral` -> referral; `info-sharing (INFO-04, planned)` -> None."""
    name, _, note = declared.partition("(")
    name = name.strip()
    if name not in SERVICES or "planned" in note:
        return None
    return name


def grants(*, strict: bool = False) -> dict[str, Grants]:
    """Per service (in SERVICES order), from the event registry. A producer that is not a
    service gets nothing (tests register such events); `strict` refuses it instead, as
    generating the script does."""
    found = {name: Grants() for name in SERVICES}
    for spec in registry.all():
        for producer in spec.producers:
            if producer not in found:
                if strict:
                    raise ValueError(f"{spec.type}: producer {producer!r} is not a service")
                continue
            if spec.topic not in found[producer].produces:
                found[producer].produces.append(spec.topic)
        for declared in spec.consumers:
            consumer = _consumer_service(declared)
            if consumer is not None and spec.topic not in found[consumer].consumes:
                found[consumer].consumes.append(spec.topic)
    return found


def _args(option: str, values: list[str]) -> str:
    return " ".join(f"{option} {shlex.quote(v)}" for v in values)


def kafka_init_script(*, strict: bool = True) -> str:
    """The text of deploy/kafka/init-acls.sh."""
    per_service = grants(strict=strict)
    event_topics = sorted({t for g in per_service.values() for t in g.produces})
    principals = [*per_service, INTEGRATOR]
    lines = [
        "#!/usr/bin/env bash",
        "# GENERATED by `uv run xietong deploy kafka-init` from the event registry",
        "# (libs/common/src/xietong_common/contracts): do not edit; regenerate after changing",
        "# who produces or consumes an event. tests/test_deploy_current.py checks it is current.",
        "#",
        "# The one-shot `kafka-init` service of deploy/docker-compose.yml runs it in the",
        "# apache/kafka image, in the kafka container's network namespace, against the broker's",
        "# loopback-only admin listener (LOCAL, 127.0.0.1:9091, whose principal is the super",
        "# user). It creates one SCRAM-SHA-512 user per service and the integrators' user, and",
        "# their ACLs (docs/deploy.md). Idempotent: run again to apply changed passwords",
        "# (`docker compose up kafka-init`). It only adds ACLs; see docs/deploy.md to revoke.",
        "set -euo pipefail",
        'BIN="${KAFKA_BIN:-/opt/kafka/bin}"',
        'BOOTSTRAP="${KAFKA_ADMIN_BOOTSTRAP:-127.0.0.1:9091}"',
        "",
        "password() {  # VARIABLE: its value, or the content of the file VARIABLE_FILE names",
        '  local file_var="${1}_FILE"',
        '  if [[ -n "${!file_var:-}" ]]; then',
        '    cat "${!file_var}"',
        "  else",
        '    printf "%s" "${!1:-}"',
        "  fi",
        "}",
        "",
        "check_password() {  # PRINCIPAL VARIABLE",
        "  local value",
        '  value="$(password "$2")"',
        '  if [[ ! "$value" =~ ^[A-Za-z0-9._~-]{16,}$ ]]; then',
        '    echo "kafka-init: set $2 (or ${2}_FILE), the password of Kafka user $1: 16 or more'
        ' characters from A-Z a-z 0-9 . _ ~ - (deploy/new-env.sh makes them)" >&2',
        "    exit 1",
        "  fi",
        "}",
        "",
        "user() {  # PRINCIPAL VARIABLE",
        '  "$BIN/kafka-configs.sh" --bootstrap-server "$BOOTSTRAP" --alter --entity-type users \\',
        '    --entity-name "$1" --add-config "SCRAM-SHA-512=[password=$(password "$2")]" >/dev/null',
        '  echo "kafka-init: user $1"',
        "}",
        "",
        "allow() {  # PRINCIPAL, then kafka-acls.sh options",
        '  local principal="$1"',
        "  shift",
        '  "$BIN/kafka-acls.sh" --bootstrap-server "$BOOTSTRAP" --add \\',
        '    --allow-principal "User:$principal" "$@" >/dev/null',
        "}",
        "",
        "# Every password first, so nothing is half set up when one is missing.",
    ]
    lines += [f"check_password {p} {password_variable(p)}" for p in principals]
    lines += ["", "# SCRAM-SHA-512 users."]
    lines += [f"user {p} {password_variable(p)}" for p in principals]
    for name, g in per_service.items():
        lines += [
            "",
            f"# {name}: produces {', '.join(g.produces) or 'nothing'};"
            f" consumes {', '.join(g.consumes) or 'nothing'}"
            + (f" (consumer group {name})" if g.consumes else ""),
            f"allow {name} --operation Describe --operation Create --operation DescribeConfigs"
            f" {_args('--topic', g.topics)}",
        ]
        if g.keeps:
            lines.append(f"allow {name} --operation AlterConfigs {_args('--topic', g.keeps)}")
        if g.writes:
            lines.append(f"allow {name} --operation Write {_args('--topic', g.writes)}")
        # Read, in one call (an ACL is per resource, so one call naming every topic and group
        # grants exactly what one call each would; each call starts a JVM): what it consumes,
        # in its group; its dead letters in a group of their own, for `xietong dlq list |
        # replay` (whose offsets also give the DLQ depth gauge); what it reads back.
        dead = [dlq_topic(t) for t in g.consumes]
        reads = [*g.consumes, *dead, *g.reads_back]
        groups = [name, dlq_replay_group(name)] if g.consumes else []
        if reads:
            lines.append(
                f"allow {name} --operation Read {_args('--topic', reads)}"
                + "".join(f" --group {group}" for group in groups)
            )
        if g.consumes and name in REBUILDING:
            # `xietong <name> rebuild`: fresh groups of its own, read from the beginning.
            lines.append(
                f"allow {name} --operation Read --resource-pattern-type prefixed"
                f" --group {rebuild_group_prefix(name)}"
            )
        lines.append(f'echo "kafka-init: ACLs of {name}"')
    lines += [
        "",
        f"# {INTEGRATOR}: reads every event topic (not the .dlq twins), writes nothing; its",
        f"# consumer groups' names start with `{INTEGRATOR_GROUP_PREFIX}`.",
        f"allow {INTEGRATOR} --operation Read --operation Describe"
        f" {_args('--topic', event_topics)}",
        f"allow {INTEGRATOR} --operation Read --resource-pattern-type prefixed"
        f" --group {INTEGRATOR_GROUP_PREFIX}",
        f'echo "kafka-init: ACLs of {INTEGRATOR}"',
        'echo "kafka-init: done"',
        "",
    ]
    return "\n".join(lines)


def kafka_init_path(root: Path | None = None) -> Path:
    return (root or project_root()) / KAFKA_INIT


def write_kafka_init(root: Path | None = None) -> Path:
    path = kafka_init_path(root)
    path.write_text(kafka_init_script())
    path.chmod(0o755)
    return path


def kafka_init_is_current(root: Path | None = None) -> bool:
    path = kafka_init_path(root)
    return path.exists() and path.read_text() == kafka_init_script()


# ---- reading deploy/docker-compose.yml -----------------------------------------------------

_VARIABLE = re.compile(
    r"\$(?:\$|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


class MissingVariable(KeyError):
    """A `${VAR:?message}` whose variable is unset (compose refuses to start)."""


def compose_variables(text: str) -> dict[str, tuple[str, str]]:
    """Every variable the text interpolates: name -> (operator, argument), e.g.
    `XIETONG_JWT_SECRET` -> (":?", "set XIETONG_JWT_SECRET …"); `("", "")` for a bare one."""
    found: dict[str, tuple[str, str]] = {}
    for match in _VARIABLE.finditer(text):
        name = match.group("name") or match.group("bare")
        if name:
            found.setdefault(name, (match.group("op") or "", match.group("arg") or ""))
    return found


def interpolate(text: str, environment: dict[str, str]) -> str:
    """Compose's interpolation: `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
    `${VAR:?message}`, `${VAR?message}`, `$VAR`, and `$$` for a literal `$`."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("name") or match.group("bare")
        op, arg = match.group("op") or "", match.group("arg") or ""
        value = environment.get(name)
        empty = value is None or (value == "" and op.startswith(":"))
        if op.endswith("-") and empty:
            return arg
        if op.endswith("?") and empty:
            raise MissingVariable(f"{name}: {arg}")
        return value or ""

    return _VARIABLE.sub(replace, text)
