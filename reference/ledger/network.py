"""The embedded network: peers in organisations, one orderer and clients, in one process.

    network = Network.create("/tmp/net", peers=12, orgs=3)       # MAJORITY policy default
    network.install_chaincode("kv", KeyValue)                    # factory: one per peer
    client = network.client(org="Org1", name="alice")
    result = client.submit("kv", "put", ["k", b"v"])             # -> TxResult
    assert result.code == TxValidationCode.VALID

Throughput path: ``client.submit_many([...])`` endorses as a batch, broadcasts everything
(blocks are cut by the batch limits) and flushes once; or ``submit_async`` then
``network.flush()``.

Synchronous ``submit`` endorses, broadcasts, then flushes the orderer's pending batch (as if
BatchTimeout had expired) so the call returns once every peer has committed the block.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from reference.ledger.block import Block
from reference.ledger.chaincode_api import ChaincodeFactory
from reference.ledger.client import (
    Client,
    Endorser,
    PendingTransaction,
    TxResult,
)
from reference.ledger.config import (
    DEFAULT_MAX_TIMESTAMP_SKEW,
    MAJORITY,
    BatchConfig,
    ChaincodeDefinition,
    ChannelConfig,
)
from reference.ledger.crypto import SigningKey
from reference.ledger.events import BlockEvent
from reference.ledger.identity import (
    ROLE_ADMIN,
    ROLE_CLIENT,
    ROLE_ORDERER,
    ROLE_PEER,
    Certificate,
    CertificateAuthority,
    Identity,
    Organisation,
)
from reference.ledger.messages import ProposalResponse, create_config_envelope
from reference.ledger.ordering import (
    BroadcastResponse,
    Clock,
    InProcessOrderingService,
    OrderingService,
    SystemClock,
    create_genesis_block,
)
from reference.ledger.peer import LedgerCorrupted, Peer
from reference.ledger.policy import Policy, minimal_endorsing_organisations, parse_policy

ORDERER_MSP_ID = "OrdererOrg"
_IDENTITY_NAME = re.compile(r"[A-Za-z0-9_@-][A-Za-z0-9._@-]{0,99}")
_NETWORK_FILE = "network.json"

OrderingFactory = Callable[[Block, Identity, Clock, Path], OrderingService]


@dataclass
class _Layout:
    channel_id: str
    organisations: list[str]
    peers: list[tuple[str, str]]  # (peer name, org)
    default_policy: str
    synchronous: str
    batch: BatchConfig = field(default_factory=BatchConfig)
    max_timestamp_skew: int = DEFAULT_MAX_TIMESTAMP_SKEW


class Network:
    """An in-process channel: ``peers`` split round-robin over ``orgs`` organisations."""

    def __init__(self, directory: Path, layout: _Layout, clock: Clock, workers: int,
                 ordering: OrderingFactory | None = None, repair: bool = False) -> None:
        self.directory = directory
        self.layout = layout
        self.channel_id = layout.channel_id
        self.organisations = list(layout.organisations)
        self.default_policy = layout.default_policy
        self.clock = clock
        self.workers = max(1, workers)
        self.executor: Executor | None = (
            ThreadPoolExecutor(self.workers, thread_name_prefix="ledger")
            if self.workers > 1 else None)
        self._authorities: dict[str, CertificateAuthority] = {}
        self._pending: dict[str, list[PendingTransaction]] = {}
        self._pending_lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._sync_requested = False
        self._syncing = False
        self._syncing_thread: int | None = None
        self._rotation = itertools.count()
        self._endorser_sets: dict[str, list[tuple[str, ...]]] = {}

        self._load_authorities()
        genesis = self._load_or_create_genesis()
        orderer_identity = self._identity(ORDERER_MSP_ID, "orderer0", ROLE_ORDERER)
        self.orderer: OrderingService = (ordering or InProcessOrderingService)(
            genesis, orderer_identity, clock, directory / "orderer" / "ledger.sqlite")
        self.peers: list[Peer] = []
        self.repaired: list[str] = []
        try:
            self._open_peers(directory, layout, genesis, clock, repair)
        except BaseException:
            self.orderer.close()
            for peer in self.peers:
                peer.close()
            raise
        self.admins = {org: self._identity(org, "admin", ROLE_ADMIN)
                       for org in self.organisations}
        # commit outcomes are read from the first peer's events and handed to waiting
        # clients once EVERY peer has committed the block (see sync)
        self._committed_events: list[BlockEvent] = []
        self.peers[0].subscribe(self._committed_events.append,
                                start_block=self.peers[0].height)
        self.orderer.add_listener(lambda block: self.sync())
        self.sync()

    def _open_peers(self, directory: Path, layout: _Layout, genesis: Block, clock: Clock,
                    repair: bool) -> None:
        for peer_name, org in layout.peers:
            identity = self._identity(org, peer_name, ROLE_PEER)
            peer_dir = directory / "peers" / peer_name
            try:
                peer = Peer(peer_name, identity, peer_dir, genesis, layout.synchronous,
                            clock=clock)
            except LedgerCorrupted:
                if not repair:
                    raise
                # recover: set the corrupt store aside, start again from the genesis block
                # and refetch and re-validate every block from the orderer (sync below)
                aside = directory / "quarantine" / peer_name
                index = 0
                while aside.exists():
                    index += 1
                    aside = directory / "quarantine" / f"{peer_name}-{index}"
                aside.parent.mkdir(parents=True, exist_ok=True)
                peer_dir.rename(aside)
                peer = Peer(peer_name, identity, peer_dir, genesis, layout.synchronous,
                            clock=clock)
                self.repaired.append(peer_name)
            self.peers.append(peer)

    # -- construction --------------------------------------------------------------------

    @classmethod
    def create(cls, directory: str | Path, peers: int = 4, orgs: int | Sequence[str] = 2,
               policy: str | Policy = MAJORITY, batch: BatchConfig | None = None,
               clock: Clock | None = None, synchronous: str = "NORMAL", workers: int = 2,
               channel_id: str = "aimarket",
               ordering: OrderingFactory | None = None,
               max_timestamp_skew: int = DEFAULT_MAX_TIMESTAMP_SKEW) -> Network:
        """A new network in an empty ``directory`` (keys, orderer and peer ledgers).

        ``ordering`` builds the ordering service (default: the in-process orderer); it
        is called as ``ordering(genesis_block, orderer_identity, clock, ledger_path)``.
        """
        root = Path(directory)
        if (root / _NETWORK_FILE).exists():
            raise FileExistsError(f"{root} already holds a network; use Network.open")
        org_names = ([f"Org{index + 1}" for index in range(orgs)] if isinstance(orgs, int)
                     else list(orgs))
        if not org_names or len(set(org_names)) != len(org_names):
            raise ValueError("organisation names must be non-empty and unique")
        for org in org_names:
            if not _IDENTITY_NAME.fullmatch(org):
                raise ValueError(f"organisation name {org!r}: use letters, digits and ._@-")
        if ORDERER_MSP_ID in org_names:
            raise ValueError(f"{ORDERER_MSP_ID} is reserved for the orderer")
        if peers < len(org_names):
            raise ValueError(f"{peers} peers cannot cover {len(org_names)} organisations")
        policy_text = policy.to_text() if isinstance(policy, Policy) else policy
        parse_policy(policy_text, org_names)
        per_org: dict[str, int] = {}
        peer_layout: list[tuple[str, str]] = []
        for index in range(peers):
            org = org_names[index % len(org_names)]
            number = per_org.get(org, 0)
            per_org[org] = number + 1
            peer_layout.append((f"peer{number}.{org}", org))
        layout = _Layout(channel_id, org_names, peer_layout, policy_text, synchronous,
                         batch or BatchConfig(), max_timestamp_skew)
        root.mkdir(parents=True, exist_ok=True)
        (root / _NETWORK_FILE).write_text(json.dumps({
            "channel_id": layout.channel_id,
            "organisations": layout.organisations,
            "peers": layout.peers,
            "default_policy": layout.default_policy,
            "synchronous": layout.synchronous,
        }, indent=2))
        return cls(root, layout, clock or SystemClock(), workers, ordering)

    @classmethod
    def open(cls, directory: str | Path, clock: Clock | None = None, workers: int = 2,
             ordering: OrderingFactory | None = None, repair: bool = False) -> Network:
        """Reopen a network; peers catch up from the orderer. Re-install chaincode code.

        Each peer checks its store against its block chain as it opens and refuses to
        serve if they disagree (``LedgerCorrupted``); with ``repair`` such a peer's store
        is set aside (``quarantine/<name>``) and the peer rebuilt from the genesis block,
        refetching and re-validating every block from the orderer (``network.repaired``
        names them)."""
        root = Path(directory)
        saved = json.loads((root / _NETWORK_FILE).read_text())
        layout = _Layout(saved["channel_id"], saved["organisations"],
                         [tuple(pair) for pair in saved["peers"]], saved["default_policy"],
                         saved["synchronous"])
        return cls(root, layout, clock or SystemClock(), workers, ordering, repair)

    def _keys_dir(self, org: str) -> Path:
        return self.directory / "keys" / org

    def _load_authorities(self) -> None:
        for org in [*self.organisations, ORDERER_MSP_ID]:
            path = self._keys_dir(org) / "ca.key.pem"
            if path.exists():
                key = SigningKey.from_pem(path.read_bytes())
            else:
                key = SigningKey.generate()
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(key.to_pem())
            self._authorities[org] = CertificateAuthority(org, key)

    def _identity(self, org: str, name: str, role: str) -> Identity:
        """The stored identity ``org/name``, enrolled (and stored) on first use."""
        if not _IDENTITY_NAME.fullmatch(name):
            raise ValueError(f"identity name {name!r}: use letters, digits and ._@- "
                             "(not starting with a dot), at most 100 characters")
        folder = self._keys_dir(org)
        key_path, cert_path = folder / f"{name}.key.pem", folder / f"{name}.cert"
        if key_path.exists() and cert_path.exists():
            certificate = Certificate.decode(cert_path.read_bytes())
            if certificate.role != role:
                raise ValueError(f"{org}/{name} is enrolled with role {certificate.role!r}")
            return Identity(certificate, SigningKey.from_pem(key_path.read_bytes()))
        identity = self._authorities[org].enroll(name, role)
        folder.mkdir(parents=True, exist_ok=True)
        key_path.write_bytes(identity.signing_key.to_pem())
        cert_path.write_bytes(identity.certificate.encode())
        return identity

    def _load_or_create_genesis(self) -> Block:
        genesis_path = self.directory / "genesis.block"
        if genesis_path.exists():
            return Block.decode(genesis_path.read_bytes())
        config = ChannelConfig(
            channel_id=self.channel_id,
            sequence=0,
            organisations=tuple(Organisation(org, self._authorities[org].public_key)
                                for org in self.organisations),
            orderer_organisation=Organisation(ORDERER_MSP_ID,
                                              self._authorities[ORDERER_MSP_ID].public_key),
            batch=self.layout.batch,
            max_timestamp_skew=self.layout.max_timestamp_skew,
        )
        orderer_identity = self._identity(ORDERER_MSP_ID, "orderer0", ROLE_ORDERER)
        genesis = create_genesis_block(config, orderer_identity, int(self.clock.now()))
        genesis_path.write_bytes(genesis.encode())
        return genesis

    # -- identities and clients ------------------------------------------------------------

    def enroll(self, org: str, name: str, role: str = ROLE_CLIENT) -> Identity:
        """An identity of ``org`` (created and stored on first call, reloaded after)."""
        if org not in self.organisations:
            raise ValueError(f"unknown organisation {org!r}; have {self.organisations}")
        if role in (ROLE_PEER, ROLE_ORDERER):
            raise ValueError(f"clients cannot take the node role {role!r}")
        return self._identity(org, name, role)

    def client(self, identity: Identity | None = None, *, org: str | None = None,
               name: str = "client", role: str = ROLE_CLIENT) -> Client:
        if identity is None:
            identity = self.enroll(org or self.organisations[0], name, role)
        return Client(self, identity)

    def peers_of(self, org: str) -> list[Peer]:
        return [peer for peer in self.peers if peer.org == org]

    def any_peer(self) -> Peer:
        return self.peers[0]

    @property
    def config(self) -> ChannelConfig:
        return self.peers[0].channel.config

    # -- chaincode -------------------------------------------------------------------------

    def install_chaincode(self, name: str, chaincode_factory: ChaincodeFactory,
                          policy: str | Policy | None = None, version: str = "1.0") -> None:
        """Install the code on every peer and commit its definition (a config block).

        The definition (version, endorsement policy; default: the network's policy) is
        committed through a config transaction signed by every organisation's admin, unless
        the channel already holds exactly this definition.
        """
        policy_text = (policy.to_text() if isinstance(policy, Policy)
                       else policy or self.default_policy)
        parse_policy(policy_text, self.organisations)
        for peer in self.peers:
            peer.install_chaincode(name, chaincode_factory())
        wanted = ChaincodeDefinition(name, version, policy_text)
        if self.config.chaincode(name) == wanted:
            return
        new_config = self.config.with_chaincode(wanted)
        admins = [self.admins[org] for org in self.organisations]
        envelope = create_config_envelope(admins[0], self.channel_id, new_config.encode(),
                                          admins, int(self.clock.now()))
        response = self.orderer.broadcast(envelope)
        if not response.ok:
            raise RuntimeError(f"config transaction rejected: {response.status.name} "
                               f"{response.info}")
        if self.config.chaincode(name) != wanted:
            raise RuntimeError(f"chaincode definition {name!r} was not committed")
        self._endorser_sets.pop(name, None)

    def endorsers_for(self, chaincode: str) -> list[Peer]:
        """One peer per organisation of a smallest org set satisfying the policy (rotating)."""
        sets = self._endorser_sets.get(chaincode)
        if sets is None:
            definition = self.peers[0].channel.chaincode_policies.get(chaincode)
            if definition is None:
                return [self.peers[0]]  # the peer will answer "not defined"
            sets = minimal_endorsing_organisations(definition[1])
            if not sets:
                raise ValueError(f"no set of peers can satisfy the policy of {chaincode!r}")
            self._endorser_sets[chaincode] = sets
        turn = next(self._rotation)
        chosen = sets[turn % len(sets)]
        endorsers = []
        for org in chosen:
            candidates = self.peers_of(org)
            endorsers.append(candidates[turn % len(candidates)])
        return endorsers

    def endorse_concurrently(self, batches: Sequence[tuple[Endorser, list[bytes]]]
                             ) -> list[list[ProposalResponse]]:
        """Every endorser's share of a batch. The peers live in this process and share its
        interpreter, so they serve one after the other; each signs and verifies its share
        on the network's thread pool."""
        return [peer.process_proposals(signed, executor=self.executor, workers=self.workers)
                for peer, signed in batches]

    # -- ordering and delivery -------------------------------------------------------------

    def broadcast(self, envelope: bytes) -> BroadcastResponse:
        return self.orderer.broadcast(envelope)

    def broadcast_tracked(self, tx_id: str, envelope: bytes,
                           payload: bytes) -> PendingTransaction:
        pending = PendingTransaction(self, tx_id, payload)
        with self._pending_lock:
            self._pending.setdefault(tx_id, []).append(pending)
        response = self.orderer.broadcast(envelope)
        if not response.ok:
            with self._pending_lock:
                waiting = self._pending.get(tx_id, [])
                if pending in waiting:
                    waiting.remove(pending)
                if not waiting:
                    self._pending.pop(tx_id, None)
            pending._resolve(TxResult(tx_id, None, None, b"", int(response.status),
                                      response.info, "ordering"))
        return pending

    def flush(self) -> None:
        """Cut the orderer's pending batch (if any) and deliver every block to every peer."""
        self.orderer.cut_pending_batch()
        self.sync()

    def sync(self) -> None:
        """Deliver all blocks the orderer has to every peer (re-entrant calls coalesce)."""
        with self._sync_lock:
            self._sync_requested = True
            if self._syncing:
                return
            self._syncing = True
            self._syncing_thread = threading.get_ident()
        try:
            while True:
                with self._sync_lock:
                    if not self._sync_requested:
                        self._syncing = False
                        self._syncing_thread = None
                        return
                    self._sync_requested = False
                self._deliver_to_all()
                self._resolve_pending(min(peer.height for peer in self.peers))
        except BaseException:
            with self._sync_lock:
                self._syncing = False
                self._syncing_thread = None
            raise

    def syncing_on_this_thread(self) -> bool:
        with self._sync_lock:
            return self._syncing_thread == threading.get_ident()

    def _deliver_to_all(self) -> None:
        # Peers commit one after the other; each verifies a block's signatures as one batch
        # on the thread pool (threads that only verify scale across cores, while threads
        # that interleave Python work and verification would contend for the GIL).
        for peer in self.peers:
            peer.catch_up(self.orderer, self.executor, self.workers)

    def _resolve_pending(self, committed_everywhere: int) -> None:
        """Resolve the waiting transactions of blocks every peer has committed."""
        ready = [event for event in self._committed_events
                 if event.block_number < committed_everywhere]
        del self._committed_events[:len(ready)]
        with self._pending_lock:
            for event in ready:
                if self._pending:
                    self._resolve_block(event)

    def _resolve_block(self, event: BlockEvent) -> None:
        for status in event.transactions:
            if status.tx_id is None:
                continue
            waiting = self._pending.get(status.tx_id)
            if not waiting:
                continue
            pending = waiting.pop(0)
            if not waiting:
                del self._pending[status.tx_id]
            pending._resolve(TxResult(status.tx_id, event.block_number, status.code,
                                      pending.payload))

    def close(self) -> None:
        self.orderer.close()
        for peer in self.peers:
            peer.close()
        if self.executor is not None:
            self.executor.shutdown(wait=True)

    def __enter__(self) -> Network:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
