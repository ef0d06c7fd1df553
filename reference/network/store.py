"""A thin, fail-over wrapper around the ``etcd3gw`` client (etcd's v3 JSON gateway).

``EtcdLog`` talks to the members of one cluster: every call goes to the member that
answered last and, when it does not answer (killed, or busy electing a leader), is retried
on the next member until ``retry_for`` seconds have passed. Only operations that are safe
to repeat are retried: reads, create-if-absent, and compare-and-swap transactions (a
repeated compare fails harmlessly; callers re-read after a failed compare).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import etcd3gw
import requests
from etcd3gw import exceptions as etcd_errors
from etcd3gw.utils import _decode, _encode, _increment_last_byte

Result = TypeVar("Result")

REQUEST_TIMEOUT = 3.0


class EtcdError(RuntimeError):
    """No member of the cluster answered within the retry window."""


def _prefix_end(prefix: str) -> str:
    return _increment_last_byte(prefix)


class EtcdLog:
    """Key-value access to an etcd cluster with fail-over between its members."""

    def __init__(self, endpoints: list[str], retry_for: float = 15.0) -> None:
        if not endpoints:
            raise ValueError("no etcd endpoints")
        self.endpoints = list(endpoints)
        self.retry_for = retry_for
        self._clients = []
        for endpoint in endpoints:
            parts = urlsplit(endpoint)
            self._clients.append(etcd3gw.client(host=parts.hostname or "127.0.0.1",
                                                port=parts.port or 2379,
                                                protocol=parts.scheme or "http",
                                                timeout=REQUEST_TIMEOUT, api_path="/v3/"))
        self._current = 0
        self._lock = threading.Lock()

    @classmethod
    def connect(cls, endpoints: list[str], retry_for: float = 15.0) -> EtcdLog:
        return cls(endpoints, retry_for)

    # -- fail-over -----------------------------------------------------------------------

    def _call(self, operation: Callable[[Any], Result]) -> Result:
        deadline = time.monotonic() + self.retry_for
        last: Exception | None = None
        attempt = 0
        while True:
            with self._lock:
                index = self._current
            try:
                return operation(self._clients[index])
            except (etcd_errors.Etcd3Exception, OSError, ValueError) as exc:
                last = exc
                with self._lock:
                    if self._current == index:
                        self._current = (index + 1) % len(self._clients)
                attempt += 1
                if time.monotonic() >= deadline:
                    raise EtcdError(f"etcd cluster {self.endpoints} did not answer: "
                                    f"{exc}") from exc
                if attempt % len(self._clients) == 0:
                    time.sleep(0.05)
        raise EtcdError(str(last))  # pragma: no cover - the loop returns or raises

    # -- operations ----------------------------------------------------------------------

    def get(self, key: str) -> tuple[bytes, int] | None:
        """The value and mod revision of ``key``, or None (a linearizable read)."""
        found = self._call(lambda client: client.get(key, metadata=True))
        if not found:
            return None
        value, meta = found[0]
        return value, int(meta["mod_revision"])

    def range_from(self, prefix: str, min_create_revision: int,
                   limit: int = 1000) -> list[tuple[bytes, bytes, int]]:
        """Keys under ``prefix`` created at or after a revision, in creation order:
        ``(key, value, create_revision)``."""
        found = self._call(lambda client: client.get(
            prefix, metadata=True, sort_order="ascend", sort_target="create",
            range_end=_prefix_end(prefix), limit=limit,
            min_create_revision=max(1, min_create_revision)))
        return [(meta["key"], value, int(meta["create_revision"])) for value, meta in found]

    def create(self, key: str, value: bytes, lease_id: int | None = None) -> bool:
        """Put ``key`` only if it does not exist; True if this call (or an earlier try of
        it whose answer was lost) created it with this value."""
        def attempt(client: Any) -> bool:
            put: dict[str, Any] = {"key": _encode(key), "value": _encode(value)}
            if lease_id is not None:
                put["lease"] = lease_id
            result = client.transaction({
                "compare": [{"key": _encode(key), "result": "EQUAL", "target": "CREATE",
                             "create_revision": 0}],
                "success": [{"request_put": put}],
                "failure": [{"request_range": {"key": _encode(key)}}],
            })
            if result.get("succeeded"):
                return True
            kvs = result["responses"][0]["response_range"].get("kvs", [])
            return bool(kvs) and _decode(kvs[0].get("value", "")) == value
        return self._call(attempt)

    def swap(self, guard_key: str, expected: bytes | None,
             puts: list[tuple[str, bytes]], lease_id: int | None = None) -> bool:
        """Atomically: if ``guard_key`` holds ``expected`` (None: does not exist), apply
        every put. False if the guard did not hold."""
        def attempt(client: Any) -> bool:
            if expected is None:
                compare = {"key": _encode(guard_key), "result": "EQUAL", "target": "CREATE",
                           "create_revision": 0}
            else:
                compare = {"key": _encode(guard_key), "result": "EQUAL", "target": "VALUE",
                           "value": _encode(expected)}
            result = client.transaction({
                "compare": [compare],
                "success": [{"request_put": {"key": _encode(key), "value": _encode(value),
                                             **({"lease": lease_id} if lease_id else {})}}
                            for key, value in puts],
                "failure": [],
            })
            return bool(result.get("succeeded"))
        return self._call(attempt)

    def grant(self, ttl: int) -> int:
        return self._call(lambda client: client.lease(ttl)).id

    def refresh(self, lease_id: int) -> int:
        """Keep a lease alive; its remaining TTL, or -1 if it expired."""
        return self._call(lambda client: etcd3gw.Lease(lease_id, client).refresh())

    def revoke(self, lease_id: int) -> None:
        self._call(lambda client: etcd3gw.Lease(lease_id, client).revoke())

    def watch(self, prefix: str, wakeup: threading.Event, stop: threading.Event) -> None:
        """Set ``wakeup`` whenever a key under ``prefix`` changes, until ``stop`` is set.

        Runs a daemon thread holding etcd's watch stream (the gateway's streaming
        ``/v3/watch``) to one member, moving to the next when the stream breaks. It only
        wakes waiters up: callers still read the state, and still poll now and then."""
        def run() -> None:
            turn = 0
            request = {"create_request": {"key": _encode(prefix),
                                          "range_end": _encode(_prefix_end(prefix))}}
            while not stop.is_set():
                client = self._clients[turn % len(self._clients)]
                turn += 1
                try:
                    with requests.Session() as session, session.post(
                            client.base_url + "/v3/watch", json=request, stream=True,
                            timeout=(REQUEST_TIMEOUT, 1.0)) as response:
                        for _ in response.iter_lines():
                            wakeup.set()
                            if stop.is_set():
                                return
                except (requests.RequestException, OSError, ValueError):
                    pass  # a read timeout (quiet prefix) or a dead member: reconnect
                wakeup.set()  # something may have changed while no stream was open
                stop.wait(0.05)

        threading.Thread(target=run, name=f"etcd-watch {prefix}", daemon=True).start()

    def delete(self, key: str) -> None:
        self._call(lambda client: client.delete(key))
