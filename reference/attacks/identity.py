"""Identity attacks: certificates, names and roles across organisations.
"""

from __future__ import annotations

from reference.attacks.arena import Arena, ForgedIdentity, Verdict, try_refused, verdict_of_refusal
from reference.clients.gateway import NetworkGateway
from reference.ledger.crypto import SigningKey
from reference.ledger.identity import CertificateAuthority


def squat_a_role_of_another_organisation(arena: Arena) -> None:
    squatter = arena.gateway("VendorsOrg", "owner9")
    before = arena.world.snapshot()
    outcome = squatter.submit("register_identity", {"role": "data_owner"})
    if outcome.ok:
        raise Verdict("accepted", None, "a VendorsOrg certificate took a data-owner name")
    after = arena.world.snapshot()
    rightful = arena.gateway("OwnersOrg", "owner9")
    if not rightful.submit("register_identity", {"role": "data_owner"}).ok:
        raise Verdict("accepted", outcome.code, "the rightful owner9 was locked out")
    verdict_of_refusal(outcome, before, after, "MKT_ORGANISATION_NOT_ALLOWED")


def same_name_from_another_organisation(arena: Arena) -> None:
    impostor = arena.gateway("VendorsOrg", "owner1")
    try_refused(arena, impostor, "deny_access", {"job": "job-1", "dataset": "data1"},
         "MKT_UNKNOWN_ACTOR")


def registered_certificate_with_a_foreign_key(arena: Arena) -> None:
    owner = arena.network.enroll("OwnersOrg", "owner1")
    forged = ForgedIdentity(owner.certificate, SigningKey.generate())
    gateway = NetworkGateway(arena.network, forged, arena.clock)
    try_refused(arena, gateway, "register_model", {"model": "stolen", "commitment": "ab" * 32},
         "ENDORSEMENT_FORBIDDEN")


def certificate_from_an_unknown_ca(arena: Arena) -> None:
    rogue = CertificateAuthority("OwnersOrg", SigningKey.generate()).enroll("owner1")
    gateway = NetworkGateway(arena.network, rogue, arena.clock)
    try_refused(arena, gateway, "register_model", {"model": "stolen", "commitment": "ab" * 32},
         "ENDORSEMENT_FORBIDDEN")
