"""Where a service's checkpoint signing key lives, and which public keys a verifier trusts.

Each service signs with its own key: `audit_key_file`, or `<audit_key_dir>/<service>.
<algorithm>.pem` generated on first use where `audit_key_generate` allows it (development
under `.local/`, never committed; or a deployment's volume). Keys of earlier algorithms or
rotations are not forgotten: the key files of the other algorithm beside the current one,
and the public keys listed in `audit_trusted_keys_file` (default `<audit_key_dir>/
<service>.trusted.pem`), stay trusted, so checkpoints they signed still verify
(docs/audit.md, key custody and rotation).
"""

from __future__ import annotations

import logging
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from xietong_common.audit.crypto import (
    SIGNATURE_ALGORITHMS,
    AuditKeyError,
    PublicKey,
    SigningKey,
    generate_key,
    load_public_keys,
    load_signing_key,
)
from xietong_common.settings import ServiceSettings

log = logging.getLogger(__name__)


def signing_key_path(settings: ServiceSettings, service: str) -> Path:
    if settings.audit_key_file is not None:
        return settings.audit_key_file
    return settings.audit_key_dir / f"{service}.{settings.audit_signature_algorithm}.pem"


def write_signing_key(path: Path, key: SigningKey) -> None:
    """Write a new key file readable by its owner only, whole or not at all, and never over
    an existing one: written aside, then linked into place (a replica that loses the race
    to create it reads the winner's complete file). FileExistsError if it exists."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as out:  # mkstemp's file is mode 0600
            out.write(key.pem())
            out.flush()
            os.fsync(out.fileno())
        os.link(temporary, path)
    finally:
        os.unlink(temporary)


def service_signing_key(settings: ServiceSettings, service: str) -> SigningKey:
    """The service's signing key, generated first if allowed; anything wrong stops here (at
    the service's start), never at the first checkpoint."""
    path = signing_key_path(settings, service)
    algorithm = settings.audit_signature_algorithm
    if not path.exists():
        if not settings.audit_key_generate:
            raise AuditKeyError(
                f"no audit signing key at {path}: create one with `xietong audit keygen "
                f"--algorithm {algorithm} --out {path}` (or set XIETONG_AUDIT_KEY_GENERATE=true)"
            )
        try:
            write_signing_key(path, generate_key(algorithm))
        except FileExistsError:
            pass
        else:
            log.warning(
                "generated a new %s audit signing key for %s at %s; give its public key to the "
                "auditors: xietong audit public-key %s",
                algorithm,
                service,
                path,
                service,
            )
    key = read_signing_key(path)
    if key.algorithm != algorithm:
        raise AuditKeyError(
            f"{path} holds an {key.algorithm} key, but audit_signature_algorithm is {algorithm}"
        )
    return key


def read_signing_key(path: Path) -> SigningKey:
    try:
        text = path.read_text()
    except OSError as exc:
        raise AuditKeyError(f"cannot read the audit signing key {path}: {exc}") from None
    # Group-readable is how Kubernetes mounts a Secret for the pod's own group (fsGroup);
    # readable by anyone else is not.
    if path.stat().st_mode & stat.S_IRWXO:
        log.warning("the audit signing key %s is readable by others: chmod 600 it", path)
    try:
        return load_signing_key(text)
    except AuditKeyError as exc:
        raise AuditKeyError(f"{path}: {exc}") from None


def read_public_keys(paths: Iterable[Path]) -> list[PublicKey]:
    keys: list[PublicKey] = []
    for path in paths:
        try:
            found = load_public_keys(path.read_text())
        except OSError as exc:
            raise AuditKeyError(f"cannot read {path}: {exc}") from None
        except AuditKeyError as exc:
            raise AuditKeyError(f"{path}: {exc}") from None
        if not found:
            raise AuditKeyError(f"{path} holds no PEM 'PUBLIC KEY' block")
        keys += found
    return keys


def trusted_keys_path(settings: ServiceSettings, service: str) -> Path:
    """The service's list of earlier public keys: `audit_trusted_keys_file`, else
    `<audit_key_dir>/<service>.trusted.pem` (one list per service)."""
    if settings.audit_trusted_keys_file is not None:
        return settings.audit_trusted_keys_file
    return settings.audit_key_dir / f"{service}.trusted.pem"


def service_public_keys(settings: ServiceSettings, service: str) -> list[PublicKey]:
    """The public keys the service itself knows, current first (nothing is generated here):
    its signing key's; its keys of the other algorithm beside it (a site that moved from
    Ed25519 to SM2 keeps trusting what it signed before); its list of earlier keys."""
    keys: list[PublicKey] = []
    current = signing_key_path(settings, service)
    if current.exists():
        keys.append(read_signing_key(current).public)
    for algorithm in SIGNATURE_ALGORITHMS:
        beside = settings.audit_key_dir / f"{service}.{algorithm}.pem"
        if beside != current and beside.exists():
            keys.append(read_signing_key(beside).public)
    earlier = trusted_keys_path(settings, service)
    if settings.audit_trusted_keys_file is not None or earlier.exists():
        keys += read_public_keys([earlier])
    unique: dict[str, PublicKey] = {}
    for key in keys:
        unique.setdefault(key.key_id, key)
    return list(unique.values())
