"""The two implementations of SM3 and SM2 (`xietong_common.audit.sm`) give the same results:
GmSSL's C one (the `sm-native` extra, x86_64 wheels only) and the pure-Python one every
platform has (ARM64 included). Each is checked against the standard's test vectors, against
the other and against OpenSSL, and the pure one against the faults of the library it builds
on (a nonce from `random`, a key whose hex starts with 04, malformed signatures)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from xietong_common.audit import sm
from xietong_common.audit.crypto import generate_key, load_signing_key

IMPLEMENTATIONS = ["python", "native"]


def _impl(name: str) -> sm.SmImplementation:
    if name == "native" and not sm.native_available():
        pytest.skip("gmssl-pyx (the sm-native extra) is not installed here")
    return sm.implementation(name)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", IMPLEMENTATIONS)
def test_sm3_test_vectors(name: str) -> None:
    impl = _impl(name)
    # GB/T 32905-2016, appendix A, examples 1 and 2.
    assert impl.sm3(b"abc").hex() == (
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    )
    assert impl.sm3(b"abcd" * 16).hex() == (
        "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
    )


def test_the_pure_sm3_without_openssl_is_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib

    monkeypatch.setattr(hashlib, "algorithms_available", set())
    for data in (b"", b"abc", b"abcd" * 16, bytes(range(256)) * 3):
        assert sm.PythonSm().sm3(data) == hashlib.new("sm3", data).digest()


@pytest.mark.parametrize(("signer", "verifier"), [("python", "native"), ("native", "python")])
def test_each_verifies_what_the_other_signs(signer: str, verifier: str) -> None:
    sign, check = _impl(signer), _impl(verifier)
    point, secret = sign.generate()
    for message in (b"", b"xietong audit checkpoint v1\n{}", "中文".encode() * 100):
        signature = sign.sign(secret, point, message)
        assert check.verify(point, message, signature)
        assert not check.verify(point, message + b"!", signature)


def test_the_public_key_of_a_private_key_is_the_native_one() -> None:
    native = _impl("native")
    point, secret = native.generate()
    assert sm.PythonSm().public_point(secret) == point


@pytest.mark.parametrize("name", IMPLEMENTATIONS)
def test_points_off_the_curve_are_refused(name: str) -> None:
    impl = _impl(name)
    point, _ = impl.generate()
    assert impl.normalize(b"\x04" + point) == point
    compressed = bytes([2 + point[63] % 2]) + point[:32]
    assert impl.normalize(compressed) == point
    bad = point[:63] + bytes([point[63] ^ 1])
    with pytest.raises(sm.InvalidPoint):
        impl.normalize(bad)
    with pytest.raises(sm.InvalidPoint):
        impl.normalize(point[:40])


@pytest.mark.parametrize("name", IMPLEMENTATIONS)
def test_malformed_signatures_are_false_not_errors(name: str) -> None:
    impl = _impl(name)
    point, secret = impl.generate()
    good = impl.sign(secret, point, b"m")
    n = sm.N.to_bytes(32, "big")
    for bad in (
        b"",
        b"\x30\x00",
        good[:-1],
        good + b"\x00",  # trailing bytes
        bytes.fromhex("3006020100020101"),  # r = 0
        bytes.fromhex("3026") + b"\x02\x21\x00" + n + bytes.fromhex("020101"),  # r = n
    ):
        assert impl.verify(point, b"m", bad) is False


def test_a_key_whose_hex_starts_with_04_signs_and_verifies() -> None:
    """gmssl's constructor strips '0' and '4' digits off such a key: it is never given one."""
    python = sm.PythonSm()
    secret = (11).to_bytes(32, "big")  # 11·G has x = 04…
    point = python.public_point(secret)
    assert point[0] == 4
    signature = python.sign(secret, point, b"m")
    assert python.verify(point, b"m", signature)
    if sm.native_available():
        assert sm.implementation("native").verify(point, b"m", signature)


def test_two_signatures_of_one_message_differ() -> None:
    """The nonce is fresh each time (from `secrets`): a repeated k would give the key away."""
    python = sm.PythonSm()
    point, secret = python.generate()
    assert python.sign(secret, point, b"m") != python.sign(secret, point, b"m")


def test_without_the_native_extra_the_python_one_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sm, "native_available", lambda: False)
    sm.implementation.cache_clear()
    try:
        assert sm.implementation().name == "python"
        key = generate_key("sm2")
        assert key.public.verify(b"m", key.sign(b"m"))
    finally:
        sm.implementation.cache_clear()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl")
def test_openssl_and_the_python_one_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """OpenSSL signs, the Python one verifies (OpenSSL verifying ours is in
    test_audit_signing.py, with whichever implementation is installed; here both ways)."""
    probe = subprocess.run(
        ["openssl", "list", "-public-key-algorithms"], capture_output=True, text=True
    )
    if "SM2" not in probe.stdout:
        pytest.skip("no OpenSSL 3 with SM2")
    run = lambda *args: subprocess.run(args, cwd=tmp_path, check=True, capture_output=True)  # noqa: E731
    run("openssl", "genpkey", "-algorithm", "SM2", "-out", "key.pem")
    run("openssl", "pkey", "-in", "key.pem", "-pubout", "-out", "key.pub")
    (tmp_path / "message").write_bytes(b"xietong")
    run(
        "openssl",
        "pkeyutl",
        "-sign",
        "-inkey",
        "key.pem",
        "-rawin",
        "-in",
        "message",
        "-digest",
        "sm3",
        "-pkeyopt",
        "distid:1234567812345678",
        "-out",
        "signature",
    )
    monkeypatch.setattr(sm, "native_available", lambda: False)
    sm.implementation.cache_clear()
    try:
        key = load_signing_key((tmp_path / "key.pem").read_text())
        assert key.public.verify(b"xietong", (tmp_path / "signature").read_bytes())
        (tmp_path / "ours").write_bytes(key.sign(b"xietong"))
        run(
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
            "ours",
            "-digest",
            "sm3",
            "-pkeyopt",
            "distid:1234567812345678",
        )
    finally:
        sm.implementation.cache_clear()
