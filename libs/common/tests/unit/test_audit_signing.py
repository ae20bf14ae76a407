"""Checkpoint signing and its encoding: SHA-256/Ed25519 and SM3/SM2, keys in the PEM forms
other tools read, signatures other tools verify (OpenSSL 3, where it is installed)."""

from __future__ import annotations

import base64
import shutil
import stat
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from xietong_common.attestation.checkpoints import (
    ChainHead,
    sign_head,
    signature_problem,
    signed_message,
)
from xietong_common.audit.chain import row_hash
from xietong_common.audit.crypto import (
    AuditKeyError,
    UnknownAlgorithm,
    generate_key,
    hash_function,
    load_public_keys,
    load_signing_key,
)
from xietong_common.audit.keys import service_public_keys, service_signing_key
from xietong_common.settings import ServiceSettings

HEAD = ChainHead(
    chain_id="8d6a1c64-3c1e-4a4e-9a7e-0f3f2b9c1d20",
    seq=42,
    hash="ab" * 32,
    hash_algorithm="sha256",
)
AT = datetime(2026, 12, 1, 2, 3, 4, 5678, tzinfo=UTC)


def test_sm3_is_the_standard_function() -> None:
    # GB/T 32905-2016, appendix A, example 1.
    assert (
        hash_function("sm3")(b"abc")
        == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    )
    assert hash_function("sha256")(b"abc").startswith("ba7816bf")
    with pytest.raises(UnknownAlgorithm):
        hash_function("md5")


def test_a_row_hash_depends_on_its_function_and_sha256_is_unchanged() -> None:
    row = {
        "prev_hash": "0" * 64,
        "at": AT,
        "actor": "zhang.san",
        "org": "town:lizhi",
        "action": "referral.sent",
        "subject": "referral:1",
        "rule": "REF-03",
        "detail": {"名": "案件"},
    }
    # Rows written before the hash function was a setting verify as they always did.
    assert row_hash(**row) == row_hash(**row, algorithm="sha256")
    assert row_hash(**row, algorithm="sm3") != row_hash(**row)
    assert len(row_hash(**row, algorithm="sm3")) == 64


def test_the_signed_message_is_the_prefix_and_the_fields_in_canonical_json() -> None:
    key = generate_key("ed25519")
    checkpoint = sign_head(HEAD, service="referral", key=key, at=AT)
    assert signed_message(checkpoint) == (
        b"xietong audit checkpoint v1\n"
        b'{"chain_id":"8d6a1c64-3c1e-4a4e-9a7e-0f3f2b9c1d20","hash":"' + b"ab" * 32 + b'",'
        b'"hash_algorithm":"sha256","key_id":"' + key.key_id.encode() + b'",'
        b'"seq":42,"service":"referral","signature_algorithm":"ed25519",'
        b'"signed_at":"2026-12-01T02:03:04.005678Z"}'
    )
    # The same checkpoint read back from JSON (a file, the topic) gives the same bytes.
    again = type(checkpoint).model_validate_json(checkpoint.model_dump_json())
    assert signed_message(again) == signed_message(checkpoint)


def test_the_deployment_is_signed_when_present_and_absent_changes_nothing() -> None:
    """Issue 27: a checkpoint names its deployment among the signed fields; one signed before
    the field existed (none) reads back and verifies exactly as it did."""
    key = generate_key("ed25519")
    plain = sign_head(HEAD, service="referral", key=key, at=AT)
    named = sign_head(HEAD, service="referral", key=key, at=AT, deployment="production")
    assert b'"deployment"' not in signed_message(plain)
    assert signed_message(named) == signed_message(plain).replace(
        b',"hash":', b',"deployment":"production","hash":', 1
    )
    keys = {key.key_id: key.public}
    assert signature_problem(named, keys) is None
    moved = named.model_copy(update={"deployment": "staging"})
    assert "does not verify" in (signature_problem(moved, keys) or "")
    dropped = named.model_copy(update={"deployment": None})
    assert "does not verify" in (signature_problem(dropped, keys) or "")


def test_sup_01_the_previous_checkpoint_is_signed_when_stated_and_absent_changes_nothing() -> None:
    """Issue 19: a checkpoint may name the head its chain's previous checkpoint signed
    (`previous_seq`, `previous_hash`), among the signed fields, so an outsider sees a gap;
    one that states none is signed exactly as before."""
    key = generate_key("ed25519")
    plain = sign_head(HEAD, service="referral", key=key, at=AT)
    linked = sign_head(HEAD, service="referral", key=key, at=AT, previous=(7, "b" * 64))
    assert b'"previous_' not in signed_message(plain)
    assert b'"previous_hash":"' + b"b" * 64 + b'","previous_seq":7,' in signed_message(linked)
    keys = {key.key_id: key.public}
    assert signature_problem(linked, keys) is None
    for change in ({"previous_seq": 6}, {"previous_hash": "c" * 64}, {"previous_seq": None}):
        altered = linked.model_copy(update=change)
        assert "does not verify" in (signature_problem(altered, keys) or "")


@pytest.mark.parametrize("algorithm", ["ed25519", "sm2"])
def test_a_checkpoint_verifies_with_its_key_and_not_once_altered(algorithm: str) -> None:
    key = generate_key(algorithm)
    checkpoint = sign_head(HEAD, service="referral", key=key, at=AT)
    keys = {key.key_id: key.public}
    assert signature_problem(checkpoint, keys) is None
    for change in (
        {"seq": 41},
        {"hash": "cd" * 32},
        {"service": "legal-review"},
        {"chain_id": "00000000-0000-0000-0000-000000000000"},
        {"signed_at": datetime(2027, 1, 1, tzinfo=UTC)},
    ):
        problem = signature_problem(checkpoint.model_copy(update=change), keys)
        assert problem is not None
        assert "does not verify" in problem, change


@pytest.mark.parametrize("algorithm", ["ed25519", "sm2"])
def test_a_copy_re_signed_with_another_key_is_refused(algorithm: str) -> None:
    genuine, other = generate_key(algorithm), generate_key(algorithm)
    keys = {genuine.key_id: genuine.public}
    resigned = sign_head(HEAD, service="referral", key=other, at=AT)
    problem = signature_problem(resigned, keys)
    assert problem is not None
    assert "not a trusted key" in problem
    # ... and keeping the genuine key's id does not help.
    claimed = resigned.model_copy(update={"key_id": genuine.key_id})
    problem = signature_problem(claimed, keys)
    assert problem is not None
    assert "does not verify" in problem
    # A signature that is not even base64, or an algorithm that is not the key's.
    assert "not base64" in (
        signature_problem(
            sign_head(HEAD, service="referral", key=genuine, at=AT).model_copy(
                update={"signature": "%%%"}
            ),
            keys,
        )
        or ""
    )


def test_a_checkpoint_claiming_another_algorithm_than_its_key_is_refused() -> None:
    key = generate_key("ed25519")
    checkpoint = sign_head(HEAD, service="referral", key=key, at=AT)
    lying = checkpoint.model_copy(update={"signature_algorithm": "sm2"})
    assert "forged" in (signature_problem(lying, {key.key_id: key.public}) or "")


@pytest.mark.parametrize("algorithm", ["ed25519", "sm2"])
def test_keys_round_trip_through_pem_with_a_stable_id(algorithm: str) -> None:
    key = generate_key(algorithm)
    again = load_signing_key(key.pem())
    assert again.key_id == key.key_id
    assert again.algorithm == algorithm
    assert key.pem().startswith("-----BEGIN PRIVATE KEY-----\n")
    published = load_public_keys("# a comment an operator wrote\n" + key.public.pem())
    assert [k.key_id for k in published] == [key.key_id]
    # The id is the digest of the DER SubjectPublicKeyInfo with the suite's hash.
    expected = hash_function("sm3" if algorithm == "sm2" else "sha256")(key.public.spki)
    assert key.key_id == expected
    assert key.secret.hex() not in repr(key)
    assert repr(key.secret) not in repr(key)


def test_unusable_key_files_are_refused_with_a_reason() -> None:
    with pytest.raises(AuditKeyError, match="no PEM"):
        load_signing_key("hello")
    with pytest.raises(AuditKeyError, match="encrypted"):
        load_signing_key(
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"
        )
    with pytest.raises(AuditKeyError, match="PKCS#8"):
        load_signing_key("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    with pytest.raises(AuditKeyError, match="base64"):
        load_public_keys("-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n")
    # A public key that is not on the SM2 curve.
    sm2 = generate_key("sm2").public
    spki = bytearray(sm2.spki)
    spki[-1] ^= 1
    pem = (
        "-----BEGIN PUBLIC KEY-----\n"
        + base64.b64encode(bytes(spki)).decode()
        + "\n-----END PUBLIC KEY-----\n"
    )
    with pytest.raises(AuditKeyError, match="curve"):
        load_public_keys(pem)


def _settings(tmp_path: Path, **values: object) -> ServiceSettings:
    return ServiceSettings(audit_key_dir=tmp_path / "keys", **values)  # type: ignore[arg-type]


def test_a_service_key_is_made_once_readable_by_its_owner_only(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    key = service_signing_key(settings, "referral")
    path = tmp_path / "keys" / "referral.ed25519.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert service_signing_key(settings, "referral").key_id == key.key_id
    assert [k.key_id for k in service_public_keys(settings, "referral")] == [key.key_id]
    # Another service has its own key.
    assert service_signing_key(settings, "legal-review").key_id != key.key_id


def test_a_deployment_without_a_key_stops_instead_of_inventing_one(tmp_path: Path) -> None:
    settings = _settings(tmp_path, audit_key_generate=False)
    with pytest.raises(AuditKeyError, match="xietong audit keygen"):
        service_signing_key(settings, "referral")
    assert not (tmp_path / "keys").exists()


def test_a_key_of_another_algorithm_than_the_setting_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "referral.pem"
    path.write_text(generate_key("ed25519").pem())
    settings = _settings(tmp_path, audit_key_file=path, audit_signature_algorithm="sm2")
    with pytest.raises(AuditKeyError, match="ed25519 key"):
        service_signing_key(settings, "referral")


def test_earlier_keys_stay_trusted_after_a_rotation(tmp_path: Path) -> None:
    old, new = generate_key("ed25519"), generate_key("sm2")
    (tmp_path / "new.pem").write_text(new.pem())
    (tmp_path / "earlier.pem").write_text(old.public.pem())
    settings = _settings(
        tmp_path,
        audit_key_file=tmp_path / "new.pem",
        audit_signature_algorithm="sm2",
        audit_trusted_keys_file=tmp_path / "earlier.pem",
    )
    assert [k.key_id for k in service_public_keys(settings, "referral")] == [
        new.key_id,
        old.key_id,
    ]


def _openssl_has_sm2() -> bool:
    if shutil.which("openssl") is None:
        return False
    probe = subprocess.run(
        ["openssl", "list", "-public-key-algorithms"], capture_output=True, text=True
    )
    return "SM2" in probe.stdout


needs_openssl_sm2 = pytest.mark.skipif(not _openssl_has_sm2(), reason="no OpenSSL 3 with SM2")


@needs_openssl_sm2
def test_openssl_verifies_an_sm2_checkpoint_signature(tmp_path: Path) -> None:
    """An outsider needs no xietong code: OpenSSL checks the signature over the message."""
    key = generate_key("sm2")
    checkpoint = sign_head(HEAD, service="referral", key=key, at=AT)
    (tmp_path / "key.pub").write_text(key.public.pem())
    (tmp_path / "message").write_bytes(signed_message(checkpoint))
    (tmp_path / "signature").write_bytes(base64.b64decode(checkpoint.signature))
    result = subprocess.run(
        [
            "openssl",
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            "key.pub",
            "-rawin",
            "-in",
            "message",
            "-sigfile",
            "signature",
            "-digest",
            "sm3",
            "-pkeyopt",
            "distid:1234567812345678",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # And the key id is what OpenSSL computes from the public key.
    der = subprocess.run(
        ["openssl", "pkey", "-pubin", "-in", "key.pub", "-outform", "DER"],
        cwd=tmp_path,
        capture_output=True,
        check=True,
    ).stdout
    assert hash_function("sm3")(der) == key.key_id


@needs_openssl_sm2
@pytest.mark.parametrize("algorithm", ["SM2", "ED25519"])
def test_keys_made_by_openssl_sign_checkpoints(tmp_path: Path, algorithm: str) -> None:
    subprocess.run(
        ["openssl", "genpkey", "-algorithm", algorithm, "-out", "key.pem"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    key = load_signing_key((tmp_path / "key.pem").read_text())
    assert key.algorithm == algorithm.lower()
    checkpoint = sign_head(HEAD, service="referral", key=key, at=AT)
    assert signature_problem(checkpoint, {key.key_id: key.public}) is None
    # OpenSSL reads the private key xietong writes, too.
    (tmp_path / "mine.pem").write_text(key.pem())
    subprocess.run(["openssl", "pkey", "-in", "mine.pem", "-noout"], cwd=tmp_path, check=True)


def test_a_site_moving_to_sm2_keeps_trusting_what_its_ed25519_key_signed(tmp_path: Path) -> None:
    ed25519 = service_signing_key(_settings(tmp_path), "referral")
    other_service = service_signing_key(_settings(tmp_path), "legal-review")
    settings = _settings(tmp_path, audit_signature_algorithm="sm2")
    sm2 = service_signing_key(settings, "referral")
    assert sm2.algorithm == "sm2"
    trusted = [k.key_id for k in service_public_keys(settings, "referral")]
    assert trusted == [sm2.key_id, ed25519.key_id]  # the current key first
    assert other_service.key_id not in trusted  # never another service's key


def test_each_service_has_its_own_list_of_earlier_keys(tmp_path: Path) -> None:
    earlier = generate_key("ed25519")
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "referral.trusted.pem").write_text(earlier.public.pem())
    settings = _settings(tmp_path)
    current = service_signing_key(settings, "referral")
    assert [k.key_id for k in service_public_keys(settings, "referral")] == [
        current.key_id,
        earlier.key_id,
    ]
    service_signing_key(settings, "legal-review")
    assert earlier.key_id not in [k.key_id for k in service_public_keys(settings, "legal-review")]


def test_replicas_starting_at_once_end_up_with_one_key(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    settings = _settings(tmp_path)
    with ThreadPoolExecutor(8) as pool:
        keys = list(pool.map(lambda _: service_signing_key(settings, "referral"), range(8)))
    assert len({k.key_id for k in keys}) == 1
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == ["referral.ed25519.pem"]
