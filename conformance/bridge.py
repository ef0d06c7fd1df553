"""The runner bridge: the conformance suite for implementations in any language.

An implementation that is not written in Python is tested through a small program of its
own that speaks this **line-oriented JSON protocol** over its standard input and output.
The suite (``aimarket conform --runner exec:'COMMAND'`` or the pytest plugin with
``--aimarket-runner exec:'COMMAND'``) starts ``COMMAND``, writes one request per line to
its standard input and reads one response per line from its standard output. Everything
else of the suite — prelude chaining, the completeness check, shrinking, the stateful
comparison, the mutant matrix — runs on the suite's side, unchanged.

Every request is one JSON object on one line with an ``id`` (a whole number, echoed back)
and an ``op``:

=====================  =====================================================  =========================================
``op``                 request fields                                         response fields (besides ``id``, ``ok``)
=====================  =====================================================  =========================================
``hello``              ``protocol`` (1)                                       ``protocol`` (1), ``name``, ``mutants``
``init``               ``genesis``: the vector file's ``#meta.genesis``       —
``step``               ``call``: ``{"action", "picks"}``                      ``outcome``
``step_concurrently``  ``calls``: two calls, submitted in one block           ``outcomes``: two outcomes
``project``            —                                                      ``state``: the projected state
``inject``             ``mutant``: a name from ``hello``'s ``mutants``        —
``restore``            —                                                      —
``close``              —                                                      — (then the program exits)
=====================  =====================================================  =========================================

Values are written exactly as in the vector files (``docs/vectors.md``): a call's
``action`` is a state's ``mbt::actionTaken`` and its ``picks`` the state's
``mbt::nondetPicks`` (the actor and the arguments as ITF ``Option`` values, plus
``meaning``); an ``outcome`` is ``"accepted"`` or a rejection code; a projected ``state``
is the ITF value of a state's ``state`` variable. A program can therefore reuse the code
that reads the vector files.

A response is ``{"id": N, "ok": true, ...}``, or when the request could not be served
``{"id": N, "ok": false, "error": "one line", "traceback": "..."}`` (the implementation's
stack trace or any detail it has; shown in the failure report), or
``{"id": N, "ok": false, "unsupported": "reason"}`` when the implementation cannot
execute a call (the vector is reported as skipped, which fails the run's completeness
check). ``mutants`` lists the faults the program can inject into itself, each
``{"name", "kind", "description"}`` (``[]`` for none); ``inject`` activates one until
``restore``. The program must write nothing else to its standard output (logs go to
standard error, which the suite keeps and shows with a failure).

The suite waits at most ``timeout`` seconds for a response; a program that exits, or
writes a line that is not a response, fails the vector it was running, with the tail of
its standard error, and is started anew for the next vector.

:func:`serve` is the other side, in Python: ``aimarket bridge --runner spec`` serves any
:class:`~conformance.runner.Runner` over this protocol, which is how the bridge is tested
end to end (and how a non-Python front end can delegate to a Python runner).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shlex
import subprocess
import threading
import traceback
from collections import deque
from collections.abc import Iterator
from typing import IO, Any

from itf_py import value_to_json

from conformance.projection import AbstractState
from conformance.runner import Runner, Unsupported
from conformance.vectors import (
    Genesis,
    VectorCall,
    VectorFormatError,
    canonical,
    decode_state,
    decode_vector_call,
    picks_value,
    state_value,
)
from mutation.patching import Mutant, applied

PROTOCOL = 1
EXEC_PREFIX = "exec:"
DEFAULT_TIMEOUT = 60.0
STDERR_LINES = 40
"""How many of the program's last standard-error lines a failure report shows."""


class BridgeError(Exception):
    """The program under test failed a request: it answered with an error, exited, timed
    out or broke the protocol. ``detail`` holds its traceback or the tail of its standard
    error."""

    def __init__(self, message: str, detail: str = ""):
        super().__init__(message)
        self.detail = detail


# ---------------------------------------------------------------------------------------
# The wire encoding (the vector files' own)
# ---------------------------------------------------------------------------------------

def call_json(made: VectorCall) -> dict[str, Any]:
    """A call as the protocol sends it: the file's ``mbt::actionTaken`` and
    ``mbt::nondetPicks``."""
    return {"action": made.action, "picks": canonical(value_to_json(picks_value(made)))}


def call_from_json(value: Any, where: str = "call") -> VectorCall:
    if not isinstance(value, dict):
        raise VectorFormatError(f"{where}: expected an object with action and picks")
    return decode_vector_call(value.get("action"), value.get("picks"), where)


def state_json(state: AbstractState) -> Any:
    return canonical(value_to_json(state_value(state)))


# ---------------------------------------------------------------------------------------
# The server: a Python runner behind the protocol
# ---------------------------------------------------------------------------------------

def serve(runner: Runner, requests: IO[str], responses: IO[str]) -> int:
    """Answer requests from ``requests`` with ``runner`` until ``close`` or the end of the
    input; return the number of requests served."""
    mutants = {mutant.name: mutant for mutant in (getattr(runner, "mutants", ()) or ())}
    injected = contextlib.ExitStack()
    served = 0

    def answer(message: dict[str, Any]) -> None:
        responses.write(json.dumps(message, separators=(",", ":")) + "\n")
        responses.flush()

    try:
        for line in requests:
            if not line.strip():
                continue
            served += 1
            ident = None
            try:
                request = json.loads(line)
                if not isinstance(request, dict):
                    raise ValueError("a request is a JSON object")
                ident = request.get("id")
                op = request.get("op")
                reply: dict[str, Any] = {"id": ident, "ok": True}
                if op == "hello":
                    reply.update(protocol=PROTOCOL, name=runner.name, mutants=[
                        {"name": item.name, "kind": item.kind, "description": item.description}
                        for item in mutants.values()])
                elif op == "init":
                    runner.init(Genesis.from_json(request.get("genesis")))
                elif op == "step":
                    reply["outcome"] = runner.step(call_from_json(request.get("call")))
                elif op == "step_concurrently":
                    calls = request.get("calls")
                    if not isinstance(calls, list) or len(calls) != 2:
                        raise ValueError("calls: expected a list of two calls")
                    reply["outcomes"] = list(runner.step_concurrently(
                        call_from_json(calls[0], "calls[0]"), call_from_json(calls[1], "calls[1]")))
                elif op == "project":
                    reply["state"] = state_json(runner.project())
                elif op == "inject":
                    name = request.get("mutant")
                    if name not in mutants:
                        raise ValueError(f"mutant: no mutant named {name!r}")
                    injected.close()
                    injected.enter_context(applied(mutants[name]))
                elif op == "restore":
                    injected.close()
                elif op == "close":
                    answer(reply)
                    break
                else:
                    raise ValueError(f"op: unknown operation {op!r}")
            except Unsupported as reason:
                reply = {"id": ident, "ok": False, "unsupported": str(reason)}
            except Exception as error:  # reported to the suite, which fails the vector
                reply = {"id": ident, "ok": False, "error": f"{type(error).__name__}: {error}",
                         "traceback": traceback.format_exc()}
            answer(reply)
    finally:
        injected.close()
        runner.close()
    return served


# ---------------------------------------------------------------------------------------
# The client: a program behind the protocol, as a Runner
# ---------------------------------------------------------------------------------------

class ExecRunner(Runner):
    """A :class:`~conformance.runner.Runner` that runs ``command`` and talks to it over the
    bridge protocol. A program that dies is started again at the next ``init``."""

    def __init__(self, command: str, timeout: float = DEFAULT_TIMEOUT, cwd: str | None = None):
        self.command = command
        self.argv = shlex.split(command)
        if not self.argv:
            raise ValueError("exec: needs a command, e.g. exec:'node runner.js'")
        self.timeout = timeout
        self.cwd = cwd
        self.process: subprocess.Popen[str] | None = None
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.stderr_tail: deque[str] = deque(maxlen=STDERR_LINES)
        self.counter = 0
        self.name = f"exec:{command}"
        self._mutants: list[dict[str, str]] = []
        self.start()

    # -- the process -------------------------------------------------------------------

    def start(self) -> subprocess.Popen[str]:
        try:
            self.process = subprocess.Popen(
                self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True, encoding="utf-8", errors="replace", bufsize=1, cwd=self.cwd,
                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        except OSError as error:
            raise BridgeError(f"cannot start {self.argv[0]}: {error.strerror or error}") from None
        self.lines = queue.Queue()
        self.stderr_tail.clear()
        process = self.process
        stdout, stderr = process.stdout, process.stderr
        assert stdout is not None and stderr is not None  # both are pipes

        def read_stdout() -> None:
            for line in stdout:
                self.lines.put(line)
            self.lines.put(None)

        def read_stderr() -> None:
            for line in stderr:
                self.stderr_tail.append(line.rstrip("\n"))

        threading.Thread(target=read_stdout, daemon=True).start()
        threading.Thread(target=read_stderr, daemon=True).start()
        hello = self.request("hello", protocol=PROTOCOL)
        if hello.get("protocol") != PROTOCOL:
            self.stop()
            raise BridgeError(f"{self.argv[0]} speaks protocol {hello.get('protocol')!r}, "
                              f"not {PROTOCOL}")
        self.name = str(hello.get("name") or self.name)
        mutants = hello.get("mutants") or []
        self._mutants = [item for item in mutants if isinstance(item, dict) and "name" in item]
        return process

    def stderr_text(self) -> str:
        return "\n".join(self.stderr_tail)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        with contextlib.suppress(OSError, ValueError):
            if process.stdin is not None:
                process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def broken(self, reason: str) -> BridgeError:
        """Stop the program after a protocol failure; the next ``init`` restarts it."""
        process = self.process
        if process is not None and process.poll() is None:
            process.kill()
        if process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
        # let the stderr reader drain what the program wrote before it died
        threading.Event().wait(0.05)
        self.process = None
        return BridgeError(reason, self.stderr_text())

    def request(self, op: str, **fields: Any) -> dict[str, Any]:
        process = self.process if self.process is not None else self.start()
        self.counter += 1
        message = json.dumps({"id": self.counter, "op": op, **fields}, separators=(",", ":"))
        try:
            assert process.stdin is not None  # a pipe
            process.stdin.write(message + "\n")
            process.stdin.flush()
        except (OSError, ValueError):
            raise self.broken(f"the program exited (code {process.poll()}) "
                              f"before the {op} request") from None
        try:
            line = self.lines.get(timeout=self.timeout)
        except queue.Empty:
            raise self.broken(f"no response to {op} within {self.timeout:g} s") from None
        if line is None:
            code = process.wait(timeout=5)
            raise self.broken(f"the program exited (code {code}) during {op}")
        try:
            reply = json.loads(line)
        except ValueError:
            raise self.broken(f"not a protocol response to {op}: {line.strip()[:200]!r}") from None
        if not isinstance(reply, dict) or reply.get("id") != self.counter:
            raise self.broken(f"response to {op} has the wrong id: {line.strip()[:200]!r}")
        if reply.get("ok") is True:
            return reply
        if "unsupported" in reply:
            raise Unsupported(str(reply["unsupported"]))
        raise BridgeError(str(reply.get("error") or f"{op} failed"),
                          str(reply.get("traceback") or self.stderr_text()))

    # -- the Runner interface ----------------------------------------------------------

    def init(self, genesis: Genesis) -> None:
        self.request("init", genesis=genesis.to_json())

    def step(self, call: VectorCall) -> str:
        return self.outcome(self.request("step", call=call_json(call)).get("outcome"), "step")

    def step_concurrently(self, first: VectorCall, second: VectorCall) -> tuple[str, str]:
        reply = self.request("step_concurrently", calls=[call_json(first), call_json(second)])
        outcomes = reply.get("outcomes")
        if not isinstance(outcomes, list) or len(outcomes) != 2:
            raise BridgeError(f"step_concurrently: expected two outcomes, got {outcomes!r}")
        return (self.outcome(outcomes[0], "step_concurrently"),
                self.outcome(outcomes[1], "step_concurrently"))

    @staticmethod
    def outcome(value: Any, op: str) -> str:
        if not isinstance(value, str):
            raise BridgeError(f"{op}: the outcome must be a string, got {value!r}")
        return value

    def project(self) -> AbstractState:
        reply = self.request("project")
        try:
            return decode_state(reply.get("state"), "projected state")
        except VectorFormatError as error:
            raise BridgeError(f"project: {error}") from None

    @property
    def mutants(self) -> tuple[Mutant, ...]:
        return tuple(Mutant(item["name"], str(item.get("description", "")),
                            kind=str(item.get("kind", "")), injector=self._injector(item["name"]))
                     for item in self._mutants)

    def _injector(self, name: str):
        @contextlib.contextmanager
        def inject() -> Iterator[None]:
            self.request("inject", mutant=name)
            try:
                yield
            finally:
                with contextlib.suppress(BridgeError):
                    self.request("restore")
        return inject

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(BridgeError, Unsupported):
                self.request("close")
        self.stop()


__all__ = ["BridgeError", "ExecRunner", "PROTOCOL", "call_from_json", "call_json", "serve",
           "state_json"]
