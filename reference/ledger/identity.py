"""Identities and organisations (a small MSP).

An organisation (Fabric: an MSP) is an MSP id plus the public key of its certificate
authority. A member's certificate binds an MSP id, a name and a role attribute to a P-256
public key, and is signed by the organisation's CA; an identity is valid for the channel
when its certificate verifies against the CA of an organisation in the channel config.

Roles follow Fabric's NodeOUs: ``peer``, ``admin`` and ``orderer`` are node roles used by
policies; every other role string (``client``, or an application role such as
``data_owner``) is a client role. Revocation lists are not modelled.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import ec

from reference.ledger import crypto, wire

ROLE_PEER = "peer"
ROLE_ADMIN = "admin"
ROLE_ORDERER = "orderer"
ROLE_CLIENT = "client"
NODE_ROLES = frozenset({ROLE_PEER, ROLE_ADMIN, ROLE_ORDERER})


@dataclass(frozen=True)
class Certificate:
    """A member certificate: who (org, name, role) holds which public key, signed by the CA."""

    org: str
    name: str
    role: str
    public_key: bytes
    issuer_signature: bytes = b""

    def to_be_signed(self) -> bytes:
        return wire.dumps(["aimarket-certificate-v1", self.org, self.name, self.role,
                           self.public_key])

    def encode(self) -> bytes:
        """The serialized identity carried in headers and endorsements."""
        return wire.dumps(
            [self.org, self.name, self.role, self.public_key, self.issuer_signature]
        )

    @classmethod
    def decode(cls, data: bytes) -> Certificate:
        fields = wire.fields(wire.loads(data, "identity"), 5, "identity")
        return cls(
            org=wire.as_str(fields[0], "identity.org"),
            name=wire.as_str(fields[1], "identity.name"),
            role=wire.as_str(fields[2], "identity.role"),
            public_key=wire.as_bytes(fields[3], "identity.public_key"),
            issuer_signature=wire.as_bytes(fields[4], "identity.issuer_signature"),
        )


class Identity:
    """A signer: a certificate plus its private key."""

    def __init__(self, certificate: Certificate, signing_key: crypto.SigningKey) -> None:
        if certificate.public_key != signing_key.public_key_bytes:
            raise ValueError("certificate does not match the signing key")
        self.certificate = certificate
        self.signing_key = signing_key
        self.serialized: bytes = certificate.encode()

    @property
    def org(self) -> str:
        return self.certificate.org

    @property
    def name(self) -> str:
        return self.certificate.name

    @property
    def role(self) -> str:
        return self.certificate.role

    def sign(self, data: bytes) -> bytes:
        return self.signing_key.sign(data)

    def __repr__(self) -> str:
        return f"Identity({self.org}/{self.name}, role={self.role})"


class CertificateAuthority:
    """An organisation's CA: issues member certificates (Fabric CA enrolment, in-process)."""

    def __init__(self, org: str, signing_key: crypto.SigningKey) -> None:
        self.org = org
        self.signing_key = signing_key

    @property
    def public_key(self) -> bytes:
        return self.signing_key.public_key_bytes

    def issue(self, name: str, role: str, public_key: bytes) -> Certificate:
        unsigned = Certificate(self.org, name, role, public_key)
        return Certificate(
            self.org, name, role, public_key, self.signing_key.sign(unsigned.to_be_signed())
        )

    def enroll(self, name: str, role: str = ROLE_CLIENT) -> Identity:
        """A fresh key pair and a certificate for it."""
        if not name:
            raise ValueError("identity name must not be empty")
        key = crypto.SigningKey.generate()
        return Identity(self.issue(name, role, key.public_key_bytes), key)


@dataclass(frozen=True)
class Organisation:
    """An organisation as the channel config describes it (Fabric: an MSP definition)."""

    msp_id: str
    ca_public_key: bytes


@dataclass(frozen=True)
class ValidatedIdentity:
    """A serialized identity that a membership service accepted."""

    certificate: Certificate
    public_key: ec.EllipticCurvePublicKey = field(compare=False)
    serialized: bytes = field(compare=False, default=b"")

    @property
    def org(self) -> str:
        return self.certificate.org

    @property
    def role(self) -> str:
        return self.certificate.role


class MembershipService:
    """Validates serialized identities against the channel's organisations.

    Deserialisation results are cached per serialized identity (as Fabric's MSP caches
    deserialised identities); message signatures are never cached.
    """

    _CACHE_LIMIT = 200_000

    def __init__(self, organisations: dict[str, Organisation]) -> None:
        self.organisations = dict(organisations)
        self._ca_keys = {
            msp_id: crypto.load_public_key(org.ca_public_key)
            for msp_id, org in self.organisations.items()
        }
        self._cache: dict[bytes, ValidatedIdentity | None] = {}
        self._lock = threading.Lock()

    def validate(self, serialized: bytes) -> ValidatedIdentity | None:
        """The identity if its certificate was issued by a channel organisation, else None."""
        if serialized in self._cache:
            return self._cache[serialized]
        result = self._validate_uncached(serialized)
        with self._lock:
            if len(self._cache) >= self._CACHE_LIMIT:
                self._cache.clear()
            self._cache[serialized] = result
        return result

    def _validate_uncached(self, serialized: bytes) -> ValidatedIdentity | None:
        try:
            certificate = Certificate.decode(serialized)
        except wire.DecodeError:
            return None
        ca_key = self._ca_keys.get(certificate.org)
        if ca_key is None or not certificate.name or not certificate.role:
            return None
        if not crypto.verify(ca_key, certificate.issuer_signature, certificate.to_be_signed()):
            return None
        try:
            public_key = crypto.load_public_key(certificate.public_key)
        except (ValueError, TypeError):
            return None
        return ValidatedIdentity(certificate, public_key, serialized)

    def verify_signature(
        self, serialized: bytes, signature: bytes, data: bytes
    ) -> ValidatedIdentity | None:
        """The signer when ``serialized`` is a valid identity that signed ``data``."""
        identity = self.validate(serialized)
        if identity is None or not crypto.verify(identity.public_key, signature, data):
            return None
        return identity
