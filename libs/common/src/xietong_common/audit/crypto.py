"""The audit trail's hash functions and signature algorithms, chosen by name in the settings.

SHA-256 and Ed25519 by default (`cryptography`); SM3 (GB/T 32905) and SM2 (GB/T 32918, signed
over SM3 with the GM/T 0009 default signer id) for a site that must pass a 商用密码 assessment,
from GmSSL's C implementation when the `sm-native` extra is installed, else in pure Python
(`xietong_common.audit.sm`: the same results, on every platform). Keys are kept in the forms every tool reads:
private keys as unencrypted PKCS#8 PEM ("PRIVATE KEY"), public keys as SubjectPublicKeyInfo
PEM ("PUBLIC KEY"); an SM2 key is an `id-ecPublicKey` key on the curve sm2p256v1, exactly as
`openssl genpkey -algorithm SM2` writes it, so an outsider can check a signature with
`openssl pkeyutl -verify -digest sm3 -pkeyopt distid:1234567812345678` (docs/audit.md).

Pure: no file or network I/O.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pyasn1.codec.der import decoder, encoder
from pyasn1.error import PyAsn1Error
from pyasn1.type import univ
from pyasn1_modules import rfc5208, rfc5280, rfc5915

from xietong_common.audit import sm

HashAlgorithm = Literal["sha256", "sm3"]
SignatureAlgorithm = Literal["ed25519", "sm2"]
HASH_ALGORITHMS: tuple[HashAlgorithm, ...] = get_args(HashAlgorithm)
SIGNATURE_ALGORITHMS: tuple[SignatureAlgorithm, ...] = get_args(SignatureAlgorithm)

# GM/T 0009-2012: the signer id hashed into Z_A when the parties agreed on none.
SM2_SIGNER_ID = sm.SIGNER_ID
_ID_EC_PUBLIC_KEY = "1.2.840.10045.2.1"
_SM2_CURVE = "1.2.156.10197.1.301"
_ED25519 = "1.3.101.112"


class AuditKeyError(ValueError):
    """A key that cannot be used: unknown algorithm, malformed, encrypted, mismatched."""


class UnknownAlgorithm(ValueError):
    """A hash or signature algorithm this version does not know."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _sm3(data: bytes) -> str:
    return sm.implementation().sm3(data).hex()


_HASHES: dict[str, Callable[[bytes], str]] = {"sha256": _sha256, "sm3": _sm3}


def hash_function(algorithm: str) -> Callable[[bytes], str]:
    """The function giving the lowercase hex digest of `algorithm` (sha256 or sm3)."""
    try:
        return _HASHES[algorithm]
    except KeyError:
        raise UnknownAlgorithm(f"unknown hash algorithm {algorithm!r}") from None


def key_id_hash(algorithm: SignatureAlgorithm) -> HashAlgorithm:
    """A key's id is the digest of its DER SubjectPublicKeyInfo with the suite's own hash."""
    return "sm3" if algorithm == "sm2" else "sha256"


@dataclass(frozen=True)
class PublicKey:
    """A checkpoint verification key: its algorithm and DER SubjectPublicKeyInfo."""

    algorithm: SignatureAlgorithm
    spki: bytes
    point: bytes = field(repr=False)  # ed25519: 32 bytes; sm2: x || y, 64 bytes

    @property
    def key_id(self) -> str:
        """SHA-256 (Ed25519) or SM3 (SM2) of the DER SubjectPublicKeyInfo, hex."""
        return hash_function(key_id_hash(self.algorithm))(self.spki)

    def pem(self) -> str:
        return _pem("PUBLIC KEY", self.spki)

    def verify(self, message: bytes, signature: bytes) -> bool:
        if self.algorithm == "ed25519":
            try:
                Ed25519PublicKey.from_public_bytes(self.point).verify(signature, message)
            except InvalidSignature:
                return False
            return True
        return sm.implementation().verify(self.point, message, signature)


@dataclass(frozen=True)
class SigningKey:
    """A service's checkpoint signing key (the private scalar never appears in a repr)."""

    public: PublicKey
    secret: bytes = field(repr=False)  # ed25519: the 32-byte seed; sm2: d, 32 bytes

    @property
    def algorithm(self) -> SignatureAlgorithm:
        return self.public.algorithm

    @property
    def key_id(self) -> str:
        return self.public.key_id

    def sign(self, message: bytes) -> bytes:
        """Ed25519: 64 bytes (RFC 8032). SM2: DER SEQUENCE {r, s} over SM3(Z_A || message)."""
        if self.algorithm == "ed25519":
            return Ed25519PrivateKey.from_private_bytes(self.secret).sign(message)
        return sm.implementation().sign(self.secret, self.public.point, message)

    def pem(self) -> str:
        """Unencrypted PKCS#8 PEM: protect the file, not the text (docs/audit.md)."""
        if self.algorithm == "ed25519":
            der = Ed25519PrivateKey.from_private_bytes(self.secret).private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            return _pem("PRIVATE KEY", der)
        ec_key = rfc5915.ECPrivateKey()
        ec_key["version"] = 1
        ec_key["privateKey"] = self.secret
        ec_key["publicKey"] = ec_key["publicKey"].clone(
            univ.BitString.fromOctetString(b"\x04" + self.public.point)
        )
        info = rfc5208.PrivateKeyInfo()
        info["version"] = 0
        info["privateKeyAlgorithm"]["algorithm"] = univ.ObjectIdentifier(_ID_EC_PUBLIC_KEY)
        info["privateKeyAlgorithm"]["parameters"] = encoder.encode(
            univ.ObjectIdentifier(_SM2_CURVE)
        )
        info["privateKey"] = encoder.encode(ec_key)
        return _pem("PRIVATE KEY", encoder.encode(info))


def generate_key(algorithm: str) -> SigningKey:
    """A new key pair from the operating system's random source (through the library)."""
    if algorithm == "ed25519":
        private = Ed25519PrivateKey.generate()
        return SigningKey(
            public=_ed25519_public(private.public_key()), secret=private.private_bytes_raw()
        )
    if algorithm == "sm2":
        point, secret = sm.implementation().generate()
        return SigningKey(public=_sm2_public(point), secret=secret)
    raise UnknownAlgorithm(f"unknown signature algorithm {algorithm!r}")


def load_signing_key(text: str | bytes) -> SigningKey:
    """The first "PRIVATE KEY" (PKCS#8) block of a PEM text: an Ed25519 or SM2 key."""
    blocks = _pem_blocks(text, "PRIVATE KEY")
    if not blocks:
        if "ENCRYPTED PRIVATE KEY" in _text(text):
            raise AuditKeyError(
                "encrypted private keys are not read: keep the key unencrypted in a "
                "file only the service can read (mode 0600)"
            )
        raise AuditKeyError("no PEM 'PRIVATE KEY' block (PKCS#8) found")
    der = blocks[0]
    try:
        info, rest = decoder.decode(der, asn1Spec=rfc5208.PrivateKeyInfo())
    except PyAsn1Error as exc:
        raise AuditKeyError(f"not a PKCS#8 private key: {exc}") from None
    if rest:
        raise AuditKeyError("trailing bytes after the PKCS#8 private key")
    oid = str(info["privateKeyAlgorithm"]["algorithm"])
    if oid == _ED25519:
        private = serialization.load_der_private_key(der, password=None)
        if not isinstance(private, Ed25519PrivateKey):  # pragma: no cover - the OID said so
            raise AuditKeyError("not an Ed25519 key")
        key = SigningKey(
            public=_ed25519_public(private.public_key()), secret=private.private_bytes_raw()
        )
    elif (
        oid == _ID_EC_PUBLIC_KEY and _curve(info["privateKeyAlgorithm"]["parameters"]) == _SM2_CURVE
    ):
        key = _sm2_signing_key(bytes(info["privateKey"]))
    else:
        raise AuditKeyError(
            f"unsupported key algorithm {oid}: only Ed25519 and SM2 keys sign checkpoints"
        )
    # A key whose stated public half does not belong to its private half would sign nothing
    # anyone can check: prove the pair once, here.
    probe = b"xietong audit key check"
    if not key.public.verify(probe, key.sign(probe)):
        raise AuditKeyError("the public key in the file does not belong to its private key")
    return key


def load_public_keys(text: str | bytes) -> list[PublicKey]:
    """Every "PUBLIC KEY" (SubjectPublicKeyInfo) block of a PEM text, Ed25519 or SM2; text
    outside the blocks (comments) is ignored, as RFC 7468 allows."""
    keys: list[PublicKey] = []
    for der in _pem_blocks(text, "PUBLIC KEY"):
        keys.append(public_key_from_spki(der))
    return keys


def public_key_from_spki(der: bytes) -> PublicKey:
    try:
        spki, rest = decoder.decode(der, asn1Spec=rfc5280.SubjectPublicKeyInfo())
    except PyAsn1Error as exc:
        raise AuditKeyError(f"not a SubjectPublicKeyInfo: {exc}") from None
    if rest:
        raise AuditKeyError("trailing bytes after the public key")
    oid = str(spki["algorithm"]["algorithm"])
    if oid == _ED25519:
        public = serialization.load_der_public_key(der)
        if not isinstance(public, Ed25519PublicKey):  # pragma: no cover - the OID said so
            raise AuditKeyError("not an Ed25519 key")
        return _ed25519_public(public)
    if oid == _ID_EC_PUBLIC_KEY and _curve(spki["algorithm"]["parameters"]) == _SM2_CURVE:
        return _sm2_public(spki["subjectPublicKey"].asOctets())
    raise AuditKeyError(f"unsupported public key algorithm {oid}")


def _ed25519_public(public: Ed25519PublicKey) -> PublicKey:
    spki = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return PublicKey(algorithm="ed25519", spki=spki, point=public.public_bytes_raw())


def _sm2_public(point: bytes) -> PublicKey:
    try:
        # 64 bytes x || y, checked to lie on the curve (04-prefixed and compressed forms too).
        xy = sm.implementation().normalize(point)
    except sm.InvalidPoint:
        raise AuditKeyError("not a point on the SM2 curve") from None
    spki = rfc5280.SubjectPublicKeyInfo()
    spki["algorithm"]["algorithm"] = univ.ObjectIdentifier(_ID_EC_PUBLIC_KEY)
    spki["algorithm"]["parameters"] = encoder.encode(univ.ObjectIdentifier(_SM2_CURVE))
    spki["subjectPublicKey"] = univ.BitString.fromOctetString(b"\x04" + xy)
    return PublicKey(algorithm="sm2", spki=encoder.encode(spki), point=xy)


def _sm2_signing_key(ec_der: bytes) -> SigningKey:
    try:
        ec_key, rest = decoder.decode(ec_der, asn1Spec=rfc5915.ECPrivateKey())
    except PyAsn1Error as exc:
        raise AuditKeyError(f"not an SEC 1 EC private key: {exc}") from None
    secret = bytes(ec_key["privateKey"])
    if rest or len(secret) != 32:
        raise AuditKeyError("an SM2 private key is 32 bytes")
    if not ec_key["publicKey"].isValue:
        # GmSSL exposes no scalar multiplication to recompute it; OpenSSL and GmSSL write it.
        raise AuditKeyError("the SM2 key file must hold the public key too (as OpenSSL writes it)")
    return SigningKey(public=_sm2_public(ec_key["publicKey"].asOctets()), secret=secret)


def _curve(parameters: Any) -> str | None:
    if not parameters.isValue:
        return None
    try:
        oid, _ = decoder.decode(bytes(parameters), asn1Spec=univ.ObjectIdentifier())
    except PyAsn1Error:
        return None
    return str(oid)


def _text(text: str | bytes) -> str:
    return text.decode("ascii", errors="replace") if isinstance(text, bytes) else text


def _pem(label: str, der: bytes) -> str:
    body = base64.b64encode(der).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"]) + "\n"


def _pem_blocks(text: str | bytes, label: str) -> list[bytes]:
    found: list[bytes] = []
    pattern = re.compile(rf"-----BEGIN {label}-----\s*(.*?)\s*-----END {label}-----", re.DOTALL)
    for match in pattern.finditer(_text(text)):
        try:
            found.append(base64.b64decode("".join(match.group(1).split()), validate=True))
        except ValueError:
            raise AuditKeyError(f"a '{label}' PEM block is not valid base64") from None
    return found
