"""The RPC layer: gRPC with generic handlers over the ledger's own byte encodings.

Every method takes and returns ``bytes`` (the ledger's ``wire`` format or its messages'
encodings, so no generated stubs are needed). Servers listen on the address they are
given (127.0.0.1 in tests); ``Remote`` is a client to one server whose every call first
waits out the simulated link delay of the latency model (``latency.py``): the transport is
where the geography of a one-machine experiment lives, since the kernel's netem is not
available.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from concurrent import futures

import grpc

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
_OPTIONS = [("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES)]

Unary = Callable[[bytes], bytes]
Streaming = Callable[[bytes], Iterator[bytes]]


def serve(address: str, service: str, unary: dict[str, Unary],
          streaming: dict[str, Streaming] | None = None, threads: int = 8) -> grpc.Server:
    """Start a gRPC server for ``service`` on ``address`` (``host:port``)."""
    handlers: dict[str, grpc.RpcMethodHandler] = {
        name: grpc.unary_unary_rpc_method_handler(_wrap_unary(function))
        for name, function in unary.items()}
    for name, function in (streaming or {}).items():
        handlers[name] = grpc.unary_stream_rpc_method_handler(_wrap_stream(function))
    server = grpc.server(futures.ThreadPoolExecutor(threads), options=_OPTIONS)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service, handlers),))
    if server.add_insecure_port(address) == 0:
        raise OSError(f"cannot listen on {address}")
    server.start()
    return server


def _wrap_unary(function: Unary):
    def handle(request: bytes, context: grpc.ServicerContext) -> bytes:
        return function(request)
    return handle


def _wrap_stream(function: Streaming):
    def handle(request: bytes, context: grpc.ServicerContext) -> Iterator[bytes]:
        for item in function(request):
            if not context.is_active():
                return
            yield item
    return handle


def call_all(calls: Sequence[tuple[Remote, str, bytes]],
             timeout: float | None = 30.0) -> list[bytes]:
    """Make several calls at once (one gRPC future each) and return their answers in order.

    Each call first waits its link's delay, as ``Remote.call`` does, but the delays run
    side by side: every call is sent once its own delay has passed since the start, so
    this returns when the slowest call, delay included, has answered — the round trips
    overlap instead of adding up."""
    start = time.perf_counter()
    pending: dict[int, grpc.Future] = {}
    for index in sorted(range(len(calls)), key=lambda position: calls[position][0].delay):
        remote, method, request = calls[index]
        pause = start + remote.delay - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        pending[index] = remote.call_future(method, request, timeout)
    return [pending[index].result() for index in range(len(calls))]


class Remote:
    """A client to one server: ``call(method, request)`` and ``stream(method, request)``;
    ``delay`` seconds (the link's round trip) are waited before every call."""

    def __init__(self, address: str, service: str, delay: float = 0.0) -> None:
        self.address = address
        self.service = service
        self.delay = delay
        self.channel = grpc.insecure_channel(address, options=_OPTIONS)

    def call(self, method: str, request: bytes = b"", timeout: float | None = 30.0) -> bytes:
        if self.delay:
            time.sleep(self.delay)
        return self.channel.unary_unary(f"/{self.service}/{method}")(request, timeout=timeout)

    def call_future(self, method: str, request: bytes = b"",
                    timeout: float | None = 30.0) -> grpc.Future:
        """Start a call without waiting for its answer (a gRPC future); the link delay is
        not waited here (``call_all`` waits it for concurrent calls)."""
        return self.channel.unary_unary(f"/{self.service}/{method}").future(request,
                                                                          timeout=timeout)

    def stream(self, method: str, request: bytes = b"",
               timeout: float | None = None) -> Iterator[bytes]:
        return self.channel.unary_stream(f"/{self.service}/{method}")(request, timeout=timeout)

    def wait_ready(self, timeout: float) -> None:
        grpc.channel_ready_future(self.channel).result(timeout=timeout)

    def close(self) -> None:
        self.channel.close()
