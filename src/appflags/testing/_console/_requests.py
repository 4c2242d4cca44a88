"""What the console asks of every request, how it reads forms, and how it answers.

A browser on the same machine visits other sites too, so a request is answered only
when it names this server in ``Host`` (a page cannot reach the console through a DNS
name rebound to 127.0.0.1) and, when it carries an ``Origin``, comes from this server's
own pages; a state-changing request must also carry the server's token, which only its
own pages hold. Every answer forbids inline script and framing.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from urllib.parse import parse_qs, urlsplit

from appflags.testing._http import Request, Response

TOKEN_HEADER = "X-Appflags-Token"  # noqa: S105 - a header's name, not a secret
HTML = "text/html; charset=utf-8"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # same-origin, not no-referrer: with no-referrer a form post says `Origin: null`.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")

Fields = dict[str, list[str]]


class Refused(Exception):  # noqa: N818 - an answer, not a failure
    """A request answered with a 4xx: the status, a message, and problems with paths."""

    def __init__(
        self, status: int, message: str, problems: list[tuple[str, str]] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = problems or []


def check_sender(request: Request, endpoint_url: str, token: str) -> None:
    """:class:`Refused` (403) unless ``request`` comes from this server's own pages."""
    headers = request.headers
    host = headers.get("Host", "")
    if not names_this_server(host, endpoint_url):
        raise Refused(403, f"Host {host!r} does not name this server")
    origin = headers.get("Origin")
    if origin is not None and origin != f"http://{host}":
        raise Refused(403, "a request from another site is refused")
    if headers.get("Sec-Fetch-Site") == "cross-site":
        raise Refused(403, "a request from another site is refused")
    if request.method != "GET":
        sent = headers.get(TOKEN_HEADER) or form_of(request).get("token", [""])[0]
        if not hmac.compare_digest(sent.encode(), token.encode()):
            raise Refused(403, "missing or wrong console token: reload the page")


def names_this_server(host: str, endpoint_url: str) -> bool:
    """Whether a ``Host`` header names the server at ``endpoint_url``."""
    url = urlsplit(endpoint_url)
    bound, port = url.hostname or "", url.port
    name, _, given_port = host.rpartition(":")
    if given_port != str(port):
        return False
    if is_loopback(bound):
        return name in (bound, *_LOOPBACK_NAMES)
    # Bound to all interfaces (or to one): any IP literal of the machine reaches it, but
    # a DNS name other than localhost could be rebound to it by a web page.
    return name in (bound, "localhost") or _is_ip(name)


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an IP literal) is this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


def form_of(request: Request) -> Fields:
    """The request's fields: a form (as browsers post it) or a JSON object."""
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "the request body is not UTF-8") from None
    kind = request.headers.get("Content-Type", "").split(";")[0].strip()
    if kind == "application/json":
        try:
            parsed = json.loads(text or "{}")
        except (ValueError, RecursionError):
            raise Refused(400, "the request body is not JSON") from None
        if not isinstance(parsed, dict):
            raise Refused(400, "the request body is not a JSON object")
        return {str(k): [v if isinstance(v, str) else json.dumps(v)] for k, v in parsed.items()}
    try:
        return parse_qs(text, keep_blank_values=True, max_num_fields=500)
    except ValueError as exc:
        raise Refused(400, f"the form cannot be read: {exc}") from None


def one(fields: Fields, name: str) -> str:
    """The field ``name`` (its last value): :class:`Refused` (400) when it is missing."""
    values = fields.get(name)
    if not values:
        raise Refused(400, f"the request has no {name}", [(name, "required")])
    return values[-1]


def html(body: bytes, status: int = 200) -> Response:
    """A page."""
    return Response(status, {"Content-Type": HTML, **SECURITY_HEADERS}, body)


def json_answer(status: int, value: object) -> Response:
    """A JSON answer (to the pages' script and to tests)."""
    headers = {"Content-Type": "application/json", **SECURITY_HEADERS}
    return Response(status, headers, json.dumps(value).encode())


def text(status: int, message: str) -> Response:
    """A plain-text answer."""
    headers = {"Content-Type": "text/plain; charset=utf-8", **SECURITY_HEADERS}
    return Response(status, headers, message.encode())


def redirect(location: str) -> Response:
    """A 303 to ``location`` (after a form posted without script)."""
    return Response(303, {"Location": location, **SECURITY_HEADERS}, b"")
