"""Client cryptography: canonical JSON, AES-GCM at rest, X25519+HKDF key wrap, ECDSA receipts."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from reference.clients.crypto import (
    GCM_NONCE_BYTES,
    P256_ORDER,
    DecryptionError,
    DeliveryReceipt,
    EncryptedDataset,
    KeyUnwrapError,
    WrappedKey,
    canonical_json,
    decode_exchange_public_key,
    decode_verifying_key,
    decrypt_dataset,
    encode_exchange_public_key,
    encode_verifying_key,
    encrypt_dataset,
    envelope_commitment,
    generate_data_key,
    generate_exchange_key,
    generate_signing_key,
    key_wrap_context,
    sign_canonical,
    sign_receipt,
    unwrap_data_key,
    verify_canonical,
    verify_receipt,
    wrap_data_key,
)

PLAINTEXT = b"row-0,1.5,2.25\nrow-1,3.0,4.75\n" * 50
JOB = "job-17"
DATASET = "dataset-breast-cancer"
VENDOR = "cv-1"


def flip_bit(data: bytes, position: int) -> bytes:
    altered = bytearray(data)
    altered[position] ^= 0x01
    return bytes(altered)


# ----------------------------------------------------------------------------- canonical JSON


def test_canonical_json_sorts_keys_drops_whitespace_and_writes_utf8() -> None:
    value = {"zeta": [1, True, None], "alpha": {"b": "x", "a": -2}, "é": "ü"}
    assert (
        canonical_json(value) == '{"alpha":{"a":-2,"b":"x"},"zeta":[1,true,null],"é":"ü"}'.encode()
    )
    assert canonical_json({"b": 1, "a": 2}) == canonical_json({"a": 2, "b": 1})
    assert canonical_json((1, 2)) == canonical_json([1, 2])


@pytest.mark.parametrize(
    "bad_value", [1.5, float("nan"), b"bytes", {1: "x"}, {"a": [0.0]}, {"a": {1, 2}}]
)
def test_canonical_json_refuses_ambiguous_values(bad_value: object) -> None:
    with pytest.raises(TypeError):
        canonical_json(bad_value)


# ----------------------------------------------------------------------------- datasets at rest


def test_dataset_round_trip_and_commitment_is_sha256_of_the_envelope() -> None:
    data_key = generate_data_key()
    encrypted = encrypt_dataset(PLAINTEXT, data_key, DATASET)
    assert len(encrypted.nonce) == GCM_NONCE_BYTES
    assert len(encrypted.ciphertext) == len(PLAINTEXT) + 16
    assert PLAINTEXT[:16] not in encrypted.ciphertext
    assert encrypted.envelope() == encrypted.nonce + encrypted.ciphertext
    assert (
        encrypted.commitment() == hashlib.sha256(encrypted.nonce + encrypted.ciphertext).hexdigest()
    )
    assert decrypt_dataset(encrypted, data_key) == PLAINTEXT
    delivered = EncryptedDataset.from_envelope(DATASET, encrypted.envelope())
    assert envelope_commitment(delivered.envelope()) == encrypted.commitment()
    assert decrypt_dataset(delivered, data_key) == PLAINTEXT


def test_each_encryption_uses_a_fresh_nonce() -> None:
    data_key = generate_data_key()
    first = encrypt_dataset(PLAINTEXT, data_key, DATASET)
    second = encrypt_dataset(PLAINTEXT, data_key, DATASET)
    assert first.nonce != second.nonce
    assert first.commitment() != second.commitment()


def test_tampered_or_mismatched_ciphertext_is_rejected() -> None:
    data_key = generate_data_key()
    encrypted = encrypt_dataset(PLAINTEXT, data_key, DATASET)
    tampered = [
        replace(encrypted, ciphertext=flip_bit(encrypted.ciphertext, 0)),  # first data byte
        replace(
            encrypted, ciphertext=flip_bit(encrypted.ciphertext, len(encrypted.ciphertext) - 1)
        ),  # tag
        replace(encrypted, ciphertext=encrypted.ciphertext[:-1]),  # truncated
        replace(encrypted, nonce=flip_bit(encrypted.nonce, 5)),
        replace(encrypted, dataset_id="another-dataset"),  # associated data binds the id
    ]
    for altered in tampered:
        with pytest.raises(DecryptionError):
            decrypt_dataset(altered, data_key)
    with pytest.raises(DecryptionError):
        decrypt_dataset(encrypted, generate_data_key())


def test_envelope_too_short_is_refused() -> None:
    with pytest.raises(ValueError, match="envelope"):
        EncryptedDataset.from_envelope(DATASET, b"\x00" * 27)


# ----------------------------------------------------------------------------- key wrapping


def test_wrapped_key_opens_for_the_right_recipient_only() -> None:
    data_key = generate_data_key()
    vendor_key = generate_exchange_key()
    other_key = generate_exchange_key()
    wrapped = wrap_data_key(
        data_key, vendor_key.public_key(), job_id=JOB, dataset_id=DATASET, recipient_id=VENDOR
    )
    assert (
        unwrap_data_key(wrapped, vendor_key, job_id=JOB, dataset_id=DATASET, recipient_id=VENDOR)
        == data_key
    )
    with pytest.raises(KeyUnwrapError):
        unwrap_data_key(wrapped, other_key, job_id=JOB, dataset_id=DATASET, recipient_id=VENDOR)


@pytest.mark.parametrize(
    "binding",
    [
        {"job_id": "job-18", "dataset_id": DATASET, "recipient_id": VENDOR},
        {"job_id": JOB, "dataset_id": "other-dataset", "recipient_id": VENDOR},
        {"job_id": JOB, "dataset_id": DATASET, "recipient_id": "cv-2"},
    ],
)
def test_wrapped_key_is_bound_to_job_dataset_and_recipient_id(binding: dict[str, str]) -> None:
    vendor_key = generate_exchange_key()
    wrapped = wrap_data_key(
        generate_data_key(),
        vendor_key.public_key(),
        job_id=JOB,
        dataset_id=DATASET,
        recipient_id=VENDOR,
    )
    with pytest.raises(KeyUnwrapError):
        unwrap_data_key(wrapped, vendor_key, **binding)


def test_tampered_wrapped_key_is_rejected() -> None:
    vendor_key = generate_exchange_key()
    wrapped = wrap_data_key(
        generate_data_key(),
        vendor_key.public_key(),
        job_id=JOB,
        dataset_id=DATASET,
        recipient_id=VENDOR,
    )
    other_ephemeral = encode_exchange_public_key(generate_exchange_key().public_key())
    for altered in (
        replace(wrapped, wrapped_key=flip_bit(wrapped.wrapped_key, 3)),
        replace(wrapped, nonce=flip_bit(wrapped.nonce, 0)),
        replace(wrapped, ephemeral_public_key=other_ephemeral),
        replace(wrapped, ephemeral_public_key=bytes(32)),  # low-order point: no shared secret
    ):
        with pytest.raises(KeyUnwrapError):
            unwrap_data_key(
                altered, vendor_key, job_id=JOB, dataset_id=DATASET, recipient_id=VENDOR
            )


def test_wrapped_key_bytes_digest_and_documented_derivation() -> None:
    data_key = generate_data_key()
    vendor_key = generate_exchange_key()
    wrapped = wrap_data_key(
        data_key, vendor_key.public_key(), job_id=JOB, dataset_id=DATASET, recipient_id=VENDOR
    )
    encoded = wrapped.to_bytes()
    assert len(encoded) == 32 + 12 + 48
    assert WrappedKey.from_bytes(encoded) == wrapped
    assert wrapped.digest() == hashlib.sha256(encoded).hexdigest()
    # Recompute the documented construction by hand: X25519, HKDF-SHA256 with the context as
    # info and no salt, AES-GCM with the context as associated data.
    context = key_wrap_context(
        job_id=JOB,
        dataset_id=DATASET,
        recipient_id=VENDOR,
        ephemeral_public_key=wrapped.ephemeral_public_key,
        recipient_public_key=encode_exchange_public_key(vendor_key.public_key()),
    )
    assert context == canonical_json(
        {
            "dataset_id": DATASET,
            "ephemeral_public_key": wrapped.ephemeral_public_key.hex(),
            "job_id": JOB,
            "purpose": "aimarket/key-wrap/v1",
            "recipient_id": VENDOR,
            "recipient_public_key": encode_exchange_public_key(vendor_key.public_key()).hex(),
        }
    )
    shared_secret = vendor_key.exchange(decode_exchange_public_key(wrapped.ephemeral_public_key))
    wrapping_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=context).derive(
        shared_secret
    )
    assert AESGCM(wrapping_key).decrypt(wrapped.nonce, wrapped.wrapped_key, context) == data_key


def test_two_wraps_of_one_key_share_nothing_visible() -> None:
    data_key = generate_data_key()
    vendor_key = generate_exchange_key()
    first = wrap_data_key(
        data_key, vendor_key.public_key(), job_id=JOB, dataset_id=DATASET, recipient_id=VENDOR
    )
    second = wrap_data_key(
        data_key, vendor_key.public_key(), job_id=JOB, dataset_id=DATASET, recipient_id=VENDOR
    )
    assert first.ephemeral_public_key != second.ephemeral_public_key
    assert first.wrapped_key != second.wrapped_key
    assert first.digest() != second.digest()


# ----------------------------------------------------------------------------- signatures


def make_receipt(ciphertext: bytes = b"delivered envelope") -> DeliveryReceipt:
    return DeliveryReceipt(
        job_id=JOB,
        dataset_id=DATASET,
        ciphertext_digest=hashlib.sha256(ciphertext).hexdigest(),
        recipient_id=VENDOR,
    )


def test_receipt_signature_verifies() -> None:
    signing_key = generate_signing_key()
    receipt = make_receipt()
    signature = sign_receipt(signing_key, receipt)
    assert verify_receipt(signing_key.public_key(), receipt, signature)
    verifying_key = decode_verifying_key(encode_verifying_key(signing_key.public_key()))
    assert verify_receipt(verifying_key, receipt, signature)
    assert receipt.canonical_bytes() == canonical_json(
        {
            "ciphertext_digest": receipt.ciphertext_digest,
            "dataset_id": DATASET,
            "job_id": JOB,
            "recipient_id": VENDOR,
            "type": "aimarket/delivery-receipt/v1",
        }
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"job_id": "job-18"},
        {"dataset_id": "other-dataset"},
        {"ciphertext_digest": hashlib.sha256(b"other bytes").hexdigest()},
        {"recipient_id": "cv-2"},
    ],
)
def test_tampered_receipt_fails(changes: dict[str, str]) -> None:
    signing_key = generate_signing_key()
    receipt = make_receipt()
    signature = sign_receipt(signing_key, receipt)
    assert not verify_receipt(signing_key.public_key(), replace(receipt, **changes), signature)


def test_wrong_key_altered_or_malleated_signature_fails() -> None:
    signing_key = generate_signing_key()
    receipt = make_receipt()
    signature = sign_receipt(signing_key, receipt)
    public_key = signing_key.public_key()
    assert not verify_receipt(generate_signing_key().public_key(), receipt, signature)
    assert not verify_receipt(
        public_key, receipt, flip_bit(signature, len(signature) - 1)
    )  # inside s
    assert not verify_receipt(public_key, receipt, flip_bit(signature, 10))  # inside r
    assert not verify_receipt(public_key, receipt, signature[:-1])
    assert not verify_receipt(public_key, receipt, b"")
    r, s = decode_dss_signature(signature)
    # (r, n - s) is the other mathematically valid ECDSA signature; only low-S is accepted.
    assert not verify_receipt(public_key, receipt, encode_dss_signature(r, P256_ORDER - s))
    # A non-canonical DER encoding of the same (r, s): one redundant leading zero byte in r.
    r_length = signature[3]
    r_field = signature[4 : 4 + r_length]
    s_part = signature[4 + r_length :]
    padded_body = b"\x02" + bytes([r_length + 1]) + b"\x00" + r_field + s_part
    non_canonical = b"\x30" + bytes([len(padded_body)]) + padded_body
    assert non_canonical != signature
    assert not verify_receipt(public_key, receipt, non_canonical)


def test_signatures_are_always_low_s() -> None:
    signing_key = generate_signing_key()
    for counter in range(40):
        signature = sign_canonical(signing_key, {"counter": counter})
        assert decode_dss_signature(signature)[1] <= P256_ORDER // 2
        assert verify_canonical(signing_key.public_key(), {"counter": counter}, signature)
        assert not verify_canonical(signing_key.public_key(), {"counter": counter + 1}, signature)


def test_signature_is_standard_ecdsa_for_other_verifiers() -> None:
    # The library's own ECDSA-SHA256 verifier accepts it over the canonical JSON bytes, so any
    # standard P-256 implementation can check signatures found on the ledger.
    signing_key = generate_signing_key()
    value = {"a": 1, "b": "two"}
    signature = sign_canonical(signing_key, value)
    signing_key.public_key().verify(signature, canonical_json(value), ec.ECDSA(hashes.SHA256()))
    with pytest.raises(InvalidSignature):
        signing_key.public_key().verify(
            signature, canonical_json({"a": 2, "b": "two"}), ec.ECDSA(hashes.SHA256())
        )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("job_id", ""),
        ("dataset_id", ""),
        ("recipient_id", ""),
        ("ciphertext_digest", "ABC"),
        ("ciphertext_digest", "A" * 64),
    ],
)
def test_malformed_receipt_is_refused_with_the_field_named(field: str, value: str) -> None:
    fields = {
        "job_id": JOB,
        "dataset_id": DATASET,
        "ciphertext_digest": "0" * 64,
        "recipient_id": VENDOR,
        field: value,
    }
    with pytest.raises(ValueError, match=field):
        DeliveryReceipt(**fields)


# ----------------------------------------------------------------------------- the hand-off


def test_data_owner_to_vendor_hand_off() -> None:
    """Encrypt, register the commitment, wrap the key, deliver, sign and check the receipt,
    unwrap and decrypt — the steps of grant_access / confirm_inputs with real keys."""
    from reference.training import prepare_breast_cancer

    plaintext = prepare_breast_cancer().canonical_bytes()
    owner_signing_key = generate_signing_key()
    vendor_exchange_key = generate_exchange_key()

    data_key = generate_data_key()
    encrypted = encrypt_dataset(plaintext, data_key, DATASET)
    registered_commitment = encrypted.commitment()
    wrapped = wrap_data_key(
        data_key,
        vendor_exchange_key.public_key(),
        job_id=JOB,
        dataset_id=DATASET,
        recipient_id=VENDOR,
    )
    receipt = DeliveryReceipt(
        job_id=JOB,
        dataset_id=DATASET,
        ciphertext_digest=encrypted.commitment(),
        recipient_id=VENDOR,
    )
    owner_signature = sign_receipt(owner_signing_key, receipt)

    delivered_envelope = encrypted.envelope()
    assert (
        envelope_commitment(delivered_envelope)
        == registered_commitment
        == receipt.ciphertext_digest
    )
    assert verify_receipt(owner_signing_key.public_key(), receipt, owner_signature)
    received_key = unwrap_data_key(
        wrapped, vendor_exchange_key, job_id=JOB, dataset_id=DATASET, recipient_id=VENDOR
    )
    assert (
        decrypt_dataset(EncryptedDataset.from_envelope(DATASET, delivered_envelope), received_key)
        == plaintext
    )

    corrupted_envelope = flip_bit(delivered_envelope, 100)
    assert envelope_commitment(corrupted_envelope) != receipt.ciphertext_digest
