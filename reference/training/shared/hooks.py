"""The one adapter between the training program and MPyC's private attributes.

MPyC exposes no public hooks for what accountable training needs, so everything that
touches a private attribute of ``mpyc`` lives here, in four small pieces:

* :class:`StepCoins` — replaces the ``secrets`` module that ``mpyc.runtime`` and
  ``mpyc.thresha`` draw resharing coins from. Coins are a pure function of the current
  *step key* (derived from the vendor's committed seed, never the seed itself), the MPyC
  program counter at the moment of the draw and a per-counter draw index. Coroutines
  interleave differently from run to run (message arrival order), but each program counter
  is one coroutine body, so the coins of a step do not depend on scheduling.
* :class:`MessageLog` — wraps ``Runtime._send_message`` / ``Runtime._receive_message`` to
  record every payload with its (program counter, peer); ordering by that pair makes the
  digests independent of arrival order. It can also tamper with an outgoing payload (for
  tests and the demo's inconsistent-resharing vendor).
* :func:`bind_localhost` — MPyC's listening socket binds every interface; this pins it to
  127.0.0.1.
* :class:`ReplayTransport` — the peers' ``protocol`` objects for a referee re-executing one
  step offline: receives are served from the evidence, sends are recorded.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import sys
from collections import defaultdict
from collections.abc import Callable
from typing import Any

COIN_TAG = b"aimarket/mpc-coins/v1"


class StepCoins:
    """A deterministic stand-in for :mod:`secrets` (``randbelow``, ``randbits``,
    ``token_bytes``) keyed by a step key and MPyC's program counter."""

    def __init__(self, runtime: Any) -> None:
        self._runtime = runtime
        self._key = b""
        self._draws: dict[int, int] = defaultdict(int)

    def set_step_key(self, key: bytes) -> None:
        self._key = key
        self._draws.clear()

    def _bytes(self, count: int) -> bytes:
        if not self._key:
            raise RuntimeError("MPC coins drawn outside a step (no step key set)")
        pc = self._runtime._program_counter[0]  # private: the current coroutine's counter
        index = self._draws[pc]
        self._draws[pc] += 1
        label = pc.to_bytes(16, "little", signed=True) + index.to_bytes(8, "little")
        out = b""
        block = 0
        while len(out) < count:
            out += hmac.new(self._key, COIN_TAG + label + block.to_bytes(4, "little"),
                            hashlib.sha256).digest()
            block += 1
        return out[:count]

    def randbelow(self, bound: int) -> int:
        if bound <= 0:
            raise ValueError("bound must be positive")
        width = (bound.bit_length() + 64 + 7) // 8  # 64 extra bits: bias below 2**-64
        return int.from_bytes(self._bytes(width), "little") % bound

    def randbits(self, bits: int) -> int:
        if bits == 0:
            return 0
        value = int.from_bytes(self._bytes((bits + 7) // 8), "little")
        return value & ((1 << bits) - 1)

    def token_bytes(self, count: int = 32) -> bytes:
        return self._bytes(count)


def install_coins(runtime: Any) -> StepCoins:
    """Make MPyC draw every coin from a :class:`StepCoins` (its ``secrets`` references)."""
    import mpyc.runtime
    import mpyc.thresha

    coins = StepCoins(runtime)
    mpyc.runtime.secrets = coins
    mpyc.thresha.secrets = coins
    return coins


Tamper = Callable[[int, int, bytes], bytes]


class MessageLog:
    """Records every message of the current step as ``(pc, peer) -> payload``."""

    def __init__(self, runtime: Any) -> None:
        self._runtime = runtime
        self.sent: dict[tuple[int, int], bytes] = {}
        self.received: dict[tuple[int, int], bytes] = {}
        self.tamper: Tamper | None = None
        send, receive = runtime._send_message, runtime._receive_message

        def send_message(peer: int, data: bytes) -> None:
            pc = runtime._program_counter[0]
            if self.tamper is not None:
                data = self.tamper(pc, peer, data)
            self.sent[(pc, peer)] = bytes(data)
            send(peer, data)

        def receive_message(peer: int) -> Any:
            pc = runtime._program_counter[0]
            future = receive(peer)

            def record(done: Any) -> None:
                if not done.cancelled() and done.exception() is None:
                    self.received[(pc, peer)] = bytes(done.result())

            if isinstance(future, (bytes, bytearray, memoryview)):  # already arrived
                self.received[(pc, peer)] = bytes(future)
            else:
                future.add_done_callback(record)
            return future

        runtime._send_message = send_message
        runtime._receive_message = receive_message

    def reset(self) -> None:
        self.sent = {}
        self.received = {}


def bind_localhost(runtime: Any) -> None:
    """MPyC's ``start`` calls ``create_server(factory, port=...)`` with no host, which binds
    every interface; pin the listening socket to 127.0.0.1."""
    loop = runtime._loop
    loop.create_server = functools.partial(loop.create_server, host="127.0.0.1")


def program_counter(runtime: Any) -> list[int]:
    return list(runtime._program_counter)


def set_program_counter(runtime: Any, value: list[int]) -> None:
    runtime._program_counter = list(value)


class ReplayTransport:
    """A peer's ``protocol`` during offline re-execution of one step."""

    def __init__(self, loop: asyncio.AbstractEventLoop, peer: int,
                 received: dict[tuple[int, int], bytes]) -> None:
        self.loop = loop
        self.peer = peer
        self.received = received
        self.nbytes_sent = 0

    def send(self, pc: int, data: bytes) -> None:
        self.nbytes_sent += len(data)

    def receive(self, pc: int) -> asyncio.Future:
        future = self.loop.create_future()
        try:
            future.set_result(self.received[(pc, self.peer)])
        except KeyError:
            future.set_exception(MissingMessage(pc, self.peer))
        return future


class MissingMessage(LookupError):
    """The replayed step asked for a message its evidence does not hold."""

    def __init__(self, pc: int, peer: int) -> None:
        super().__init__(f"no message from party {peer} at program counter {pc}")


def install_replay(runtime: Any, received: dict[tuple[int, int], bytes]) -> None:
    """Connect the runtime's peers to :class:`ReplayTransport` objects (no sockets)."""
    for party in runtime.parties:
        if party.pid != runtime.pid:
            party.protocol = ReplayTransport(runtime._loop, party.pid, received)


def mpyc_argv(pid: int, ports: list[int], threshold: int) -> list[str]:
    """MPyC's command-line options for party ``pid`` on 127.0.0.1 (PRSS off: every coin
    is a local draw, so :class:`StepCoins` covers them all)."""
    argv = [sys.argv[0]]
    for port in ports:
        argv += ["-P", f"127.0.0.1:{port}"]
    return argv + ["-I", str(pid), "-T", str(threshold), "--no-prss", "--no-log"]
