"""The HTTP side of LocalAppConfig: routes, the router, and the request handler.

Each part of the server (the AppConfigData data plane, the Agent route, ...) answers its
own :class:`Route` objects: the operation's name, a method, a path pattern, and a function
from the :class:`Request` (and any injected :class:`Fault`) to a :class:`Response`.
``LocalAppConfig`` adds each part's routes to one :class:`Router`; the handler finds the
route for each request and hands both to the server, which records the call and applies
the fault queued for the operation around the route's answer.

A new part (an AppConfig control plane, a console under ``/ui/``) is an object whose
``routes()`` lists its routes, e.g. ``Route("Console", "GET", re.compile(r"/ui(/.*)?"),
page)``, added with one line in ``LocalAppConfig.__init__``.
"""

from __future__ import annotations

import enum
import json
import re
import socket
import struct
import sys
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from email.message import Message

    from appflags.testing._calls import AgentRequest

JSON = "application/json"
UNKNOWN_OPERATION = "UnknownOperation"


class Fault(enum.Enum):
    """A failure :meth:`LocalAppConfig.inject` makes the server produce instead of an answer."""

    THROTTLE = "THROTTLE"
    """429 ``ThrottlingException``."""
    SERVER_ERROR = "SERVER_ERROR"
    """500 ``InternalServerException``."""
    BAD_REQUEST = "BAD_REQUEST"
    """400 ``BadRequestException``, ``Reason: InvalidParameters``, ``Problem: Corrupted``."""
    NOT_FOUND = "NOT_FOUND"
    """404 ``ResourceNotFoundException``."""
    RESET = "RESET"
    """The connection is reset without an answer."""
    SLOW = "SLOW"
    """The answer comes after :attr:`LocalAppConfig.slow_seconds`."""
    NOT_JSON = "NOT_JSON"
    """A new version whose body is not JSON although its content type says so."""
    TOO_EARLY = "TOO_EARLY"
    """400 ``BadRequestException``, ``Problem: PollIntervalNotSatisfied``, as if the client's
    clock ran fast: the token is used up or kept as ``refused_poll_uses_token`` says."""
    CUT_BODY = "CUT_BODY"
    """The answer's headers and half its body are sent, then the connection is closed.

    The server counts the answer as delivered: the token is consumed and the session
    holds the version, as AppConfig does once it has sent a response.
    """


class Request(NamedTuple):
    """One HTTP request, as a route sees it."""

    method: str
    path: str
    """The URL's path, still percent-encoded."""
    params: tuple[str, ...]
    """The route pattern's groups, percent-decoded: the identifiers in the path."""
    query: str
    """The URL's query string, unparsed."""
    headers: Message
    body: bytes
    token: str | None = None
    """What :attr:`Call.token` records: filled by the route's ``read``."""
    agent: AgentRequest | None = None
    """What :attr:`Call.agent` records: filled by the route's ``read``."""


class Response(NamedTuple):
    """What the handler sends back."""

    status: int
    headers: dict[str, str]
    body: bytes
    cut: bool = False  # Fault.CUT_BODY: send half the body, then hang up


def _as_read(request: Request) -> Request:
    return request


class Route(NamedTuple):
    """One operation the server answers, and the requests that ask for it."""

    operation: str
    """Its name in :attr:`Call.operation` and for :meth:`LocalAppConfig.inject`."""
    method: str
    path: re.Pattern[str]
    """Matched against the whole percent-encoded path; its groups become ``params``."""
    answer: Callable[[Request, Fault | None], Response]
    """The answer, told which injected fault (if any) it must play along with."""
    read: Callable[[Request], Request] = _as_read
    """What the call log records of the request (``token``, ``agent``), read before the
    call is recorded and its fault taken."""
    logged: bool = True
    """``False``: not an AppConfig call (the console's pages): not recorded in the call
    log, and no injected fault applies to it."""


def _unknown(_request: Request, _fault: Fault | None) -> Response:
    return error(404, "UnknownOperationException", {"Message": "No such operation"})


_UNKNOWN = Route(UNKNOWN_OPERATION, "", re.compile(""), _unknown)


class Router:
    """Finds the route for a request: the first registered whose method and path match."""

    def __init__(self, routes: Iterable[Route] = ()) -> None:
        self._routes = list(routes)

    def add(self, routes: Iterable[Route]) -> None:
        """Register ``routes`` after those already registered."""
        self._routes.extend(routes)

    def find(self, method: str, path: str) -> tuple[Route, tuple[str, ...]]:
        """The route and the decoded path parameters; the ``UnknownOperation`` route when
        none matches."""
        for route in self._routes:
            if route.method == method:
                found = route.path.fullmatch(path)
                if found is not None:
                    return route, tuple(unquote(group) for group in found.groups())
        return _UNKNOWN, ()


def json_body(value: object) -> bytes:
    """``value`` as a JSON body."""
    return json.dumps(value).encode("utf-8")


def error(status: int, error_type: str, body: Mapping[str, object]) -> Response:
    """An AWS error answer: the type in ``x-amzn-ErrorType``, the details as JSON."""
    headers = {"Content-Type": JSON, "x-amzn-ErrorType": error_type}
    return Response(status, headers, json_body(body))


class Server(ThreadingHTTPServer):
    """Serves each request on its own daemon thread: the route ``router`` finds, answered
    by ``handle`` (``None``: drop the connection without an answer)."""

    daemon_threads = True
    # socketserver's default backlog of 5 drops the SYNs of a burst of clients, which
    # then wait a second to retry.
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        router: Router,
        handle: Callable[[Route, Request], Response | None],
    ) -> None:
        super().__init__(address, _Handler)
        self.router = router
        self.handle = handle

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hang up on purpose (read timeouts, Fault.RESET): not worth a traceback.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


MAX_BODY = 32 * 1024 * 1024
"""The largest request body read (a document is at most 4 MiB; a form posting one,
percent-encoded, stays below this): a larger one is refused before it is read."""


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.0 closes every connection after its answer, so once stop() returns no
    # kept-alive connection can still reach a handler.
    protocol_version = "HTTP/1.0"
    # Headers and body go out in two writes; with Nagle the body waits for an ACK.
    disable_nagle_algorithm = True
    server: Server

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        # Silence: the default writes every request, token included, to stderr.
        return

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.send_error(400, "Content-Length is not a number")
            return
        if length > MAX_BODY:
            self.send_error(413, f"a request body is at most {MAX_BODY} bytes")
            return
        body = self.rfile.read(length) if length > 0 else b""
        route, params = self.server.router.find(self.command, url.path)
        request = Request(self.command, url.path, params, url.query, self.headers, body)
        response = self.server.handle(route, request)
        if response is None:
            # SO_LINGER 0: close() sends RST, the client sees a reset connection.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if response.cut:
            # The promised length never arrives: the client sees the body end early.
            self.wfile.write(response.body[: len(response.body) // 2])
            self.close_connection = True
            return
        self.wfile.write(response.body)
