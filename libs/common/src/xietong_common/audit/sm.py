"""SM3 (GB/T 32905) and SM2 signatures (GB/T 32918, over SM3 with the GM/T 0009 default
signer id) behind one interface, from one of two implementations that give the same results:

- `native`: GmSSL's C implementation (`gmssl-pyx`, the `sm-native` extra). Faster and
  constant-time, but published as x86_64 wheels only (its source distribution lacks the C
  sources), so it is optional.
- `python`: pure Python, on every platform (ARM64 servers included): SM3 from OpenSSL through
  `hashlib` where OpenSSL has it (OpenSSL 3 does), else from `gmssl`; SM2 from `gmssl`'s curve
  arithmetic and signature equations, with what that library leaves out done here: the
  nonce comes from `secrets` (gmssl would draw it from `random`), points are checked to lie
  on the curve, signatures are DER and their r and s range-checked, and a public key is
  never passed through gmssl's constructor (which strips leading '0' and '4' hex digits off
  a key given with its 04 prefix). Not constant-time: a site that needs that installs the
  native one. Checkpoints are signed every few minutes, so speed does not matter here.

`backend()` is the native implementation when installed, else the Python one; the unit tests
run both against each other, OpenSSL and the standards' test vectors.

Pure: no file or network I/O.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import secrets
from typing import Any, Literal, Protocol, cast

from pyasn1.codec.der import decoder, encoder
from pyasn1.error import PyAsn1Error
from pyasn1.type import namedtype, univ

SIGNER_ID = b"1234567812345678"  # GM/T 0009-2012: the id when the parties agreed on none

Implementation = Literal["native", "python"]

# The curve sm2p256v1 (GB/T 32918.5).
P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
A = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0


class InvalidPoint(ValueError):
    """Bytes that are not a point of the SM2 curve."""


class SmImplementation(Protocol):
    name: Implementation

    def sm3(self, data: bytes) -> bytes: ...

    def generate(self) -> tuple[bytes, bytes]:
        """A new key pair: (the public point x || y, 64 bytes; the private scalar d, 32)."""
        ...

    def sign(self, secret: bytes, point: bytes, message: bytes) -> bytes:
        """DER SEQUENCE {r, s} over SM3(Z_A || message)."""
        ...

    def verify(self, point: bytes, message: bytes, signature: bytes) -> bool: ...

    def normalize(self, point: bytes) -> bytes:
        """x || y (64 bytes) of a point given as x || y, 04 || x || y or compressed; raises
        InvalidPoint if it is not on the curve."""
        ...


class _Signature(univ.Sequence):  # type: ignore[misc]  # pyasn1 is untyped
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("r", univ.Integer()), namedtype.NamedType("s", univ.Integer())
    )


def _der(r: int, s: int) -> bytes:
    value = _Signature()
    value["r"] = r
    value["s"] = s
    return bytes(encoder.encode(value))


def _from_der(signature: bytes) -> tuple[int, int] | None:
    try:
        value, rest = decoder.decode(signature, asn1Spec=_Signature())
    except PyAsn1Error:
        return None
    if rest or bytes(encoder.encode(value)) != signature:  # DER only, nothing after it
        return None
    return int(value["r"]), int(value["s"])


def _on_curve(x: int, y: int) -> bool:
    return 0 <= x < P and 0 <= y < P and (y * y - (x * x * x + A * x + B)) % P == 0


def normalize_point(point: bytes) -> bytes:
    """x || y of an uncompressed (with or without 04) or compressed point on the curve."""
    if len(point) == 65 and point[0] == 4:
        point = point[1:]
    if len(point) == 33 and point[0] in (2, 3):
        x = int.from_bytes(point[1:], "big")
        # p ≡ 3 (mod 4): the square root is a power.
        y = pow((x * x * x + A * x + B) % P, (P + 1) // 4, P)
        if y % 2 != point[0] % 2:
            y = P - y
        point = x.to_bytes(32, "big") + y.to_bytes(32, "big")
    if len(point) != 64:
        raise InvalidPoint("an SM2 public key is 64 bytes x || y (or 04 || x || y, or compressed)")
    x, y = int.from_bytes(point[:32], "big"), int.from_bytes(point[32:], "big")
    if not _on_curve(x, y):
        raise InvalidPoint("not a point on the SM2 curve")
    return point


class PythonSm:
    """SM3 and SM2 in pure Python (module docstring)."""

    name: Implementation = "python"

    def sm3(self, data: bytes) -> bytes:
        if "sm3" in hashlib.algorithms_available:
            return hashlib.new("sm3", data).digest()
        from gmssl import sm3

        return bytes.fromhex(sm3.sm3_hash(list(data)))

    def _crypt(self, point: bytes, secret: bytes | None = None) -> Any:
        from gmssl.sm2 import CryptSM2

        crypt = CryptSM2(private_key=secret.hex() if secret else None, public_key="")
        # Set here, not in the constructor, whose lstrip("04") would eat the key's digits.
        crypt.public_key = point.hex()
        return crypt

    def public_point(self, secret: bytes) -> bytes:
        """d·G, the public key of a private scalar."""
        d = int.from_bytes(secret, "big")
        if not 1 <= d < N - 1:
            raise ValueError("an SM2 private key is an integer in [1, n-2]")
        crypt = self._crypt(b"")
        xy = crypt._kg(d, f"{GX:064x}{GY:064x}")
        return bytes.fromhex(cast(str, xy))

    def generate(self) -> tuple[bytes, bytes]:
        secret = (secrets.randbelow(N - 2) + 1).to_bytes(32, "big")  # d in [1, n-2]
        return self.public_point(secret), secret

    def sign(self, secret: bytes, point: bytes, message: bytes) -> bytes:
        crypt = self._crypt(point, secret)
        while True:
            k = secrets.randbelow(N - 1) + 1  # never gmssl's own nonce (module `random`)
            rs = crypt.sign_with_sm3(message, f"{k:064x}")
            if rs is not None:  # None: r = 0, r + k = n or s = 0; draw again
                return _der(int(rs[:64], 16), int(rs[64:], 16))

    def verify(self, point: bytes, message: bytes, signature: bytes) -> bool:
        parsed = _from_der(signature)
        if parsed is None:
            return False
        r, s = parsed
        if not (1 <= r < N and 1 <= s < N):
            return False
        try:
            point = normalize_point(point)
        except InvalidPoint:
            return False
        return bool(self._crypt(point).verify_with_sm3(f"{r:064x}{s:064x}", message))

    def normalize(self, point: bytes) -> bytes:
        return normalize_point(point)


class NativeSm:
    """GmSSL's C implementation (`gmssl-pyx`)."""

    name: Implementation = "native"

    def __init__(self) -> None:
        import gmssl_pyx

        self._gm = gmssl_pyx

    def sm3(self, data: bytes) -> bytes:
        return cast(bytes, self._gm.sm3_hash(data))

    def generate(self) -> tuple[bytes, bytes]:
        return cast(tuple[bytes, bytes], self._gm.sm2_key_generate())

    def sign(self, secret: bytes, point: bytes, message: bytes) -> bytes:
        return cast(bytes, self._gm.sm2_sign(secret, point, message, SIGNER_ID))

    def verify(self, point: bytes, message: bytes, signature: bytes) -> bool:
        try:
            return bool(self._gm.sm2_verify(point, message, signature, SIGNER_ID))
        except self._gm.GmsslInnerError:  # a malformed signature (not DER r, s)
            return False

    def normalize(self, point: bytes) -> bytes:
        try:
            return cast(bytes, self._gm.normalize_sm2_public_key(point))
        except self._gm.InvalidValueError:
            raise InvalidPoint("not a point on the SM2 curve") from None


def native_available() -> bool:
    """Whether GmSSL's C implementation imports here (installed, and for this platform)."""
    try:
        importlib.import_module("gmssl_pyx")
    except ImportError:
        return False
    return True


@functools.cache
def implementation(name: Implementation | None = None) -> SmImplementation:
    """`name`, or the native implementation when it is installed, else the Python one."""
    if name == "python" or (name is None and not native_available()):
        return PythonSm()
    return NativeSm()
