"""Cryptography of the actor clients, built only on the ``cryptography`` package.

Everything here produces either secrets that stay with a client or byte strings / hex
digests that go on the ledger. The exact bytes that are hashed, signed or bound are part of
the format and are spelled out next to each function; ``docs/reference-training.md``
collects them.

* Canonical JSON — :func:`canonical_json`: the one serialization of anything signed or
  hashed: object keys sorted by Unicode code point, no whitespace, UTF-8, no floats.
* Datasets at rest — AES-256-GCM with a fresh random 96-bit nonce; the associated data
  binds the dataset id. The *envelope* is ``nonce (12 bytes) || AES-GCM output`` (the
  ciphertext followed by its 16-byte tag); the dataset commitment is SHA-256 of the
  envelope, the same bytes that are delivered to a vendor.
* Key wrapping — ephemeral X25519 with the recipient's key, HKDF-SHA256 whose ``info`` is
  a canonical JSON context binding purpose, job id, dataset id, recipient id and both public
  keys, then AES-256-GCM of the data key under the derived key with the same context as
  associated data. The ledger stores SHA-256 of the wrapped-key bytes.
* Signatures — ECDSA over P-256 with SHA-256 on canonical JSON bytes, DER-encoded with ``s``
  normalised to the lower half of the group order (as the ledger layer and Fabric do);
  verification also insists on the canonical DER encoding, so a signature cannot be
  re-encoded or negated into a second accepted one.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

DATA_KEY_BYTES = 32  # AES-256
GCM_NONCE_BYTES = 12  # 96-bit nonces, the size GCM is designed for
GCM_TAG_BYTES = 16
X25519_PUBLIC_KEY_BYTES = 32

DATASET_AT_REST_PURPOSE = "aimarket/dataset-at-rest/v1"
KEY_WRAP_PURPOSE = "aimarket/key-wrap/v1"
DELIVERY_RECEIPT_TYPE = "aimarket/delivery-receipt/v1"

# Order of the P-256 group (FIPS 186-4, D.1.2.3).
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class DecryptionError(Exception):
    """Ciphertext, nonce, key or associated data do not match (AES-GCM tag check failed)."""


class KeyUnwrapError(Exception):
    """The wrapped key was not made for this recipient, job and dataset, or was altered."""


# --------------------------------------------------------------------------- canonical JSON


_PLAIN_SCALARS = frozenset({type(None), bool, int, str})


def _check_canonical_value(value: Any, path: str) -> None:
    if value is None or isinstance(value, (bool, int, str)):
        return
    if isinstance(value, float):
        raise TypeError(f"{path}: floats are not allowed in canonical JSON (use integers)")
    # items of the plain scalar types are fine as they are: only the others are visited
    # (and only they need a path built for an error message)
    if isinstance(value, (list, tuple)):
        for position, item in enumerate(value):
            if type(item) not in _PLAIN_SCALARS:
                _check_canonical_value(item, f"{path}[{position}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path}: object keys must be strings, got {type(key).__name__}")
            if type(item) not in _PLAIN_SCALARS:
                _check_canonical_value(item, f"{path}.{key}")
        return
    raise TypeError(f"{path}: {type(value).__name__} is not allowed in canonical JSON")


def canonical_json(value: Any) -> bytes:
    """The canonical bytes of a JSON value: sorted keys, no whitespace, UTF-8.

    Allowed: ``None``, ``bool``, ``int``, ``str``, lists/tuples and dicts with string keys.
    Floats and bytes are refused (encode amounts as integers and bytes as lowercase hex), so
    that a value has exactly one encoding. Keys are sorted by Unicode code point; non-ASCII
    characters are written as UTF-8, not ``\\u`` escapes.
    """
    _check_canonical_value(value, "$")
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _require_identifier(value: str, field: str) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{field}: must be a non-empty string")


# --------------------------------------------------------------------------- datasets at rest


def generate_data_key() -> bytes:
    """A fresh random 256-bit AES key for one dataset."""
    return AESGCM.generate_key(bit_length=8 * DATA_KEY_BYTES)


def dataset_associated_data(dataset_id: str) -> bytes:
    """AES-GCM associated data for a dataset: ``canonical_json({"dataset_id", "purpose"})``."""
    _require_identifier(dataset_id, "dataset_id")
    return canonical_json({"dataset_id": dataset_id, "purpose": DATASET_AT_REST_PURPOSE})


@dataclass(frozen=True)
class EncryptedDataset:
    """A dataset encrypted at rest. ``ciphertext`` is the AES-GCM output (data then tag)."""

    dataset_id: str
    nonce: bytes
    ciphertext: bytes

    def envelope(self) -> bytes:
        """The bytes stored and delivered: ``nonce || ciphertext || tag``."""
        return self.nonce + self.ciphertext

    @classmethod
    def from_envelope(cls, dataset_id: str, envelope: bytes) -> EncryptedDataset:
        if len(envelope) < GCM_NONCE_BYTES + GCM_TAG_BYTES:
            raise ValueError(
                f"envelope: too short ({len(envelope)} bytes) to hold a nonce and a tag"
            )
        return cls(
            dataset_id=dataset_id,
            nonce=envelope[:GCM_NONCE_BYTES],
            ciphertext=envelope[GCM_NONCE_BYTES:],
        )

    def commitment(self) -> str:
        """Ledger commitment: lowercase hex SHA-256 of :meth:`envelope`."""
        return envelope_commitment(self.envelope())


def envelope_commitment(envelope: bytes) -> str:
    """SHA-256 (hex) of an encrypted-dataset envelope, as delivered or as registered."""
    return sha256_hex(envelope)


def encrypt_dataset(plaintext: bytes, data_key: bytes, dataset_id: str) -> EncryptedDataset:
    """Encrypt ``plaintext`` under ``data_key`` with a fresh nonce, bound to ``dataset_id``."""
    if len(data_key) != DATA_KEY_BYTES:
        raise ValueError(f"data_key: must be {DATA_KEY_BYTES} bytes, got {len(data_key)}")
    nonce = os.urandom(GCM_NONCE_BYTES)
    ciphertext = AESGCM(data_key).encrypt(nonce, plaintext, dataset_associated_data(dataset_id))
    return EncryptedDataset(dataset_id=dataset_id, nonce=nonce, ciphertext=ciphertext)


def decrypt_dataset(encrypted: EncryptedDataset, data_key: bytes) -> bytes:
    """The plaintext; raises :class:`DecryptionError` if anything was altered or mismatched."""
    if len(data_key) != DATA_KEY_BYTES:
        raise ValueError(f"data_key: must be {DATA_KEY_BYTES} bytes, got {len(data_key)}")
    if len(encrypted.nonce) != GCM_NONCE_BYTES:
        raise DecryptionError(f"nonce must be {GCM_NONCE_BYTES} bytes, got {len(encrypted.nonce)}")
    try:
        return AESGCM(data_key).decrypt(
            encrypted.nonce, encrypted.ciphertext, dataset_associated_data(encrypted.dataset_id)
        )
    except InvalidTag as error:
        raise DecryptionError(f"dataset {encrypted.dataset_id!r}: authentication failed") from error


# --------------------------------------------------------------------------- key wrapping


def generate_exchange_key() -> X25519PrivateKey:
    """A recipient's long-term X25519 key pair for receiving wrapped data keys."""
    return X25519PrivateKey.generate()


def encode_exchange_public_key(public_key: X25519PublicKey) -> bytes:
    """The raw 32-byte X25519 public key (RFC 7748 encoding)."""
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def decode_exchange_public_key(data: bytes) -> X25519PublicKey:
    if len(data) != X25519_PUBLIC_KEY_BYTES:
        raise ValueError(
            f"exchange public key: must be {X25519_PUBLIC_KEY_BYTES} bytes, got {len(data)}"
        )
    return X25519PublicKey.from_public_bytes(data)


def key_wrap_context(
    *,
    job_id: str,
    dataset_id: str,
    recipient_id: str,
    ephemeral_public_key: bytes,
    recipient_public_key: bytes,
) -> bytes:
    """HKDF ``info`` and AES-GCM associated data of a key wrap.

    ``canonical_json({"dataset_id", "ephemeral_public_key": hex, "job_id", "purpose":
    "aimarket/key-wrap/v1", "recipient_id", "recipient_public_key": hex})``.
    """
    _require_identifier(job_id, "job_id")
    _require_identifier(dataset_id, "dataset_id")
    _require_identifier(recipient_id, "recipient_id")
    return canonical_json(
        {
            "dataset_id": dataset_id,
            "ephemeral_public_key": ephemeral_public_key.hex(),
            "job_id": job_id,
            "purpose": KEY_WRAP_PURPOSE,
            "recipient_id": recipient_id,
            "recipient_public_key": recipient_public_key.hex(),
        }
    )


def _derive_wrapping_key(shared_secret: bytes, context: bytes) -> bytes:
    # Salt omitted: HKDF then uses a zero salt (RFC 5869 §2.2); the context carries the binding.
    return HKDF(algorithm=hashes.SHA256(), length=DATA_KEY_BYTES, salt=None, info=context).derive(
        shared_secret
    )


@dataclass(frozen=True)
class WrappedKey:
    """A data key wrapped to one recipient for one job and dataset."""

    ephemeral_public_key: bytes  # 32 bytes
    nonce: bytes  # 12 bytes
    wrapped_key: bytes  # AES-GCM output: 32 encrypted key bytes then the 16-byte tag

    def to_bytes(self) -> bytes:
        """``ephemeral_public_key || nonce || wrapped_key`` (32 + 12 + 48 bytes)."""
        return self.ephemeral_public_key + self.nonce + self.wrapped_key

    @classmethod
    def from_bytes(cls, data: bytes) -> WrappedKey:
        expected = X25519_PUBLIC_KEY_BYTES + GCM_NONCE_BYTES + DATA_KEY_BYTES + GCM_TAG_BYTES
        if len(data) != expected:
            raise ValueError(f"wrapped key: must be {expected} bytes, got {len(data)}")
        nonce_start = X25519_PUBLIC_KEY_BYTES
        key_start = nonce_start + GCM_NONCE_BYTES
        return cls(
            ephemeral_public_key=data[:nonce_start],
            nonce=data[nonce_start:key_start],
            wrapped_key=data[key_start:],
        )

    def digest(self) -> str:
        """Ledger record of the key material: lowercase hex SHA-256 of :meth:`to_bytes`."""
        return sha256_hex(self.to_bytes())


def wrap_data_key(
    data_key: bytes,
    recipient_public_key: X25519PublicKey,
    *,
    job_id: str,
    dataset_id: str,
    recipient_id: str,
) -> WrappedKey:
    """Wrap ``data_key`` so that only the holder of the recipient's private key can unwrap it,
    and only for this job, dataset and recipient id."""
    if len(data_key) != DATA_KEY_BYTES:
        raise ValueError(f"data_key: must be {DATA_KEY_BYTES} bytes, got {len(data_key)}")
    ephemeral_private_key = X25519PrivateKey.generate()
    ephemeral_public_bytes = encode_exchange_public_key(ephemeral_private_key.public_key())
    context = key_wrap_context(
        job_id=job_id,
        dataset_id=dataset_id,
        recipient_id=recipient_id,
        ephemeral_public_key=ephemeral_public_bytes,
        recipient_public_key=encode_exchange_public_key(recipient_public_key),
    )
    wrapping_key = _derive_wrapping_key(
        ephemeral_private_key.exchange(recipient_public_key), context
    )
    nonce = os.urandom(GCM_NONCE_BYTES)
    wrapped = AESGCM(wrapping_key).encrypt(nonce, data_key, context)
    return WrappedKey(ephemeral_public_key=ephemeral_public_bytes, nonce=nonce, wrapped_key=wrapped)


def unwrap_data_key(
    wrapped: WrappedKey,
    recipient_private_key: X25519PrivateKey,
    *,
    job_id: str,
    dataset_id: str,
    recipient_id: str,
) -> bytes:
    """The data key; raises :class:`KeyUnwrapError` for a wrong key, binding or alteration."""
    try:
        ephemeral_public_key = decode_exchange_public_key(wrapped.ephemeral_public_key)
        shared_secret = recipient_private_key.exchange(ephemeral_public_key)
    except ValueError as error:  # malformed or low-order ephemeral key
        raise KeyUnwrapError(f"ephemeral public key rejected: {error}") from error
    context = key_wrap_context(
        job_id=job_id,
        dataset_id=dataset_id,
        recipient_id=recipient_id,
        ephemeral_public_key=wrapped.ephemeral_public_key,
        recipient_public_key=encode_exchange_public_key(recipient_private_key.public_key()),
    )
    wrapping_key = _derive_wrapping_key(shared_secret, context)
    try:
        return AESGCM(wrapping_key).decrypt(wrapped.nonce, wrapped.wrapped_key, context)
    except (InvalidTag, ValueError) as error:
        raise KeyUnwrapError(
            f"wrapped key does not open for recipient {recipient_id!r}, "
            f"job {job_id!r}, dataset {dataset_id!r}"
        ) from error


# --------------------------------------------------------------------------- signatures


def generate_signing_key() -> ec.EllipticCurvePrivateKey:
    """A fresh ECDSA P-256 signing key."""
    return ec.generate_private_key(ec.SECP256R1())


def encode_verifying_key(public_key: ec.EllipticCurvePublicKey) -> bytes:
    """The 65-byte uncompressed SEC1 point ``0x04 || x || y``."""
    return public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def decode_verifying_key(data: bytes) -> ec.EllipticCurvePublicKey:
    """Inverse of :func:`encode_verifying_key`; raises ``ValueError`` for a point not on P-256."""
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), data)


def sign_canonical(private_key: ec.EllipticCurvePrivateKey, value: Any) -> bytes:
    """ECDSA-P256-SHA256 signature over ``canonical_json(value)``: DER, ``s`` normalised low."""
    r, s = decode_dss_signature(private_key.sign(canonical_json(value), ec.ECDSA(hashes.SHA256())))
    if s > P256_ORDER // 2:
        s = P256_ORDER - s
    return encode_dss_signature(r, s)


def verify_canonical(public_key: ec.EllipticCurvePublicKey, value: Any, signature: bytes) -> bool:
    """True exactly when ``signature`` is a valid, canonically DER-encoded, low-S signature of
    ``canonical_json(value)``."""
    try:
        r, s = decode_dss_signature(signature)
    except (ValueError, TypeError):
        return False
    if encode_dss_signature(r, s) != signature:  # one accepted encoding per (r, s)
        return False
    if not (0 < r < P256_ORDER and 0 < s <= P256_ORDER // 2):
        return False
    try:
        public_key.verify(signature, canonical_json(value), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


@dataclass(frozen=True)
class DeliveryReceipt:
    """What a party signs when ciphertext is handed over: who got which bytes for which job.

    ``ciphertext_digest`` is the lowercase hex SHA-256 of the delivered envelope (for a
    dataset, :meth:`EncryptedDataset.commitment`).
    """

    job_id: str
    dataset_id: str
    ciphertext_digest: str
    recipient_id: str

    def __post_init__(self) -> None:
        _require_identifier(self.job_id, "job_id")
        _require_identifier(self.dataset_id, "dataset_id")
        _require_identifier(self.recipient_id, "recipient_id")
        if not isinstance(self.ciphertext_digest, str) or not _SHA256_HEX.fullmatch(
            self.ciphertext_digest
        ):
            raise ValueError("ciphertext_digest: must be 64 lowercase hex characters (SHA-256)")

    def to_json_value(self) -> dict[str, str]:
        """The signed value: ``{"ciphertext_digest", "dataset_id", "job_id", "recipient_id",
        "type": "aimarket/delivery-receipt/v1"}`` (canonical JSON sorts the keys)."""
        return {
            "ciphertext_digest": self.ciphertext_digest,
            "dataset_id": self.dataset_id,
            "job_id": self.job_id,
            "recipient_id": self.recipient_id,
            "type": DELIVERY_RECEIPT_TYPE,
        }

    def canonical_bytes(self) -> bytes:
        return canonical_json(self.to_json_value())


def sign_receipt(private_key: ec.EllipticCurvePrivateKey, receipt: DeliveryReceipt) -> bytes:
    return sign_canonical(private_key, receipt.to_json_value())


def verify_receipt(
    public_key: ec.EllipticCurvePublicKey, receipt: DeliveryReceipt, signature: bytes
) -> bool:
    return verify_canonical(public_key, receipt.to_json_value(), signature)
