"""Hashing and ECDSA P-256 signatures (``cryptography`` package).

Signatures are DER-encoded ECDSA over SHA-256. As in Fabric, signatures are normalised to
"low-S" when produced and high-S signatures are rejected when verified, so a third party
cannot turn a valid signature into a second valid one (signature malleability).
Public keys travel as uncompressed X9.62 points (65 bytes).
"""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_HALF_ORDER = P256_ORDER // 2
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


class SigningKey:
    """A P-256 private key that produces low-S signatures."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey) -> None:
        if not isinstance(private_key.curve, ec.SECP256R1):
            raise ValueError("only P-256 keys are supported")
        self._private_key = private_key
        self.public_key_bytes: bytes = private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @classmethod
    def from_pem(cls, pem: bytes) -> SigningKey:
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError("not an EC private key")
        return cls(key)

    def to_pem(self) -> bytes:
        return self._private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def sign(self, data: bytes) -> bytes:
        signature = self._private_key.sign(data, _ECDSA_SHA256)
        r, s = decode_dss_signature(signature)
        if s > _HALF_ORDER:
            return encode_dss_signature(r, P256_ORDER - s)
        return signature


def load_public_key(public_key_bytes: bytes) -> ec.EllipticCurvePublicKey:
    """Parse an uncompressed/compressed X9.62 P-256 point; raises ``ValueError`` if invalid."""
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public_key_bytes)


def verify(public_key: ec.EllipticCurvePublicKey, signature: bytes, data: bytes) -> bool:
    """True when ``signature`` is a valid low-S ECDSA P-256/SHA-256 signature of ``data``."""
    try:
        _, s = decode_dss_signature(signature)
    except (ValueError, TypeError):
        return False
    if s > _HALF_ORDER:
        return False
    try:
        public_key.verify(signature, data, _ECDSA_SHA256)
    except InvalidSignature:
        return False
    return True


def verify_with_key_bytes(public_key_bytes: bytes, signature: bytes, data: bytes) -> bool:
    """``verify`` for a key given as X9.62 bytes; False (not an exception) for a bad key."""
    try:
        public_key = load_public_key(public_key_bytes)
    except (ValueError, TypeError):
        return False
    return verify(public_key, signature, data)
