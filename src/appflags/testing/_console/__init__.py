"""The local flag console under ``/ui/``: see, edit and evaluate the served files' flags.

A route part of ``LocalAppConfig``: its routes answer ``/ui`` and below, are left out of
the AppConfig call log, and answer nothing until :meth:`Console.enable`. The files it
shows and writes are the ones :meth:`Console.add_file` was given (``appflags serve``'s).

Safe by default, because a browser on the same machine visits other sites too: every
request must name this server in ``Host`` (no DNS rebinding) and, when it carries an
``Origin``, come from this server's own pages; a state-changing request must carry the
server's token, which only its own pages hold; every page forbids inline script (its
Content Security Policy), and every value is written into pages as text.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import re
import secrets
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qs, quote, urlsplit

from appflags._errors import SchemaError
from appflags.testing._console import _activity, _pages
from appflags.testing._console._assets import CSS, JS
from appflags.testing._console._documents import EditError, edit_for, kind_of, rows
from appflags.testing._console._evaluation import answers, context_from, trace
from appflags.testing._console._files import Conflict, DeployedProfile, ReadOnly, ServedFile
from appflags.testing._http import Request, Response, Route

if TYPE_CHECKING:
    import os
    from collections.abc import Callable

    from appflags.testing._calls import Call
    from appflags.testing._console._activity import ControlPlaneReader
    from appflags.testing._data_plane import DataPlane
    from appflags.testing._http import Fault
    from appflags.testing._profiles import Profiles

CONSOLE = "Console"
TOKEN_HEADER = "X-Appflags-Token"  # noqa: S105 - a header's name, not a secret
_PATH = re.compile(r"/ui(?:/.*)?")
_HTML = "text/html; charset=utf-8"
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
_ASSETS = {
    "/ui/console.css": ("text/css; charset=utf-8", CSS.encode()),
    "/ui/console.js": ("text/javascript; charset=utf-8", JS.encode()),
}


class ConsoleHost(Protocol):
    """What the console reads of ``LocalAppConfig``."""

    @property
    def endpoint_url(self) -> str:
        """``http://HOST:PORT``."""

    @property
    def log(self) -> list[Call]:
        """The AppConfig calls received."""

    @property
    def control(self) -> ControlPlaneReader:
        """The AppConfig control plane."""

    def put(
        self,
        application: str,
        environment: str,
        profile: str,
        content: bytes,
        *,
        content_type: str = ...,
        profile_type: Any = ...,
    ) -> int:
        """Deploy a version; returns its number."""


class _Refused(Exception):  # noqa: N818 - an answer, not a failure
    def __init__(self, status: int, message: str, problems: list[tuple[str, str]] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = problems or []


class Console:
    """The console's routes, the files it serves, and the token its pages carry."""

    def __init__(self, data_plane: DataPlane, profiles: Profiles, host: ConsoleHost) -> None:
        self._data_plane = data_plane
        self._profiles = profiles
        self._host = host
        self._lock = threading.Lock()
        self._files: dict[str, ServedFile] = {}
        self.enabled = False
        """Whether ``/ui/`` answers (404 until :meth:`enable`)."""
        self.token = secrets.token_urlsafe(24)
        """What every POST must carry (its pages embed it)."""
        self.report: Callable[[str, bool], None] = lambda _message, _problem: None
        """Told of every new version and refused change: ``(message, is_problem)``."""

    def enable(self) -> None:
        """Answer ``/ui/`` from now on."""
        self.enabled = True

    def add_file(
        self,
        application: str,
        environment: str,
        profile: str,
        path: str | os.PathLike[str],
        *,
        profile_type: Any = None,
    ) -> ServedFile:
        """Validate and serve the file at ``path`` as ``profile``; the console may edit it.

        Raises ``OSError`` when it cannot be read and :class:`appflags.SchemaError` when
        ``Flags`` would refuse it: nothing is served then.
        """

        def publish(content: bytes, content_type: str) -> int:
            return self._host.put(
                application,
                environment,
                profile,
                content,
                content_type=content_type,
                profile_type=profile_type,
            )

        served = ServedFile(Path(path), (application, environment, profile), publish)
        served.load()
        with self._lock:
            self._files[profile] = served
        return served

    @property
    def files(self) -> list[ServedFile]:
        """The files served, in the order they were added."""
        with self._lock:
            return list(self._files.values())

    def _shown(self) -> list[ServedFile | DeployedProfile]:
        """The files, then the profiles deployed through the control plane."""
        files = self.files
        return [*files, *self._deployed(files)]

    def _deployed(self, files: list[ServedFile]) -> list[DeployedProfile]:
        owned = {file.key for file in files}
        control = self._host.control
        found = []
        for app in control.list_applications({"MaxResults": 50})["Items"]:
            asked = {"ApplicationId": app["Id"], "MaxResults": 50}
            profiles = control.list_configuration_profiles(asked)["Items"]
            for env in control.list_environments(asked)["Items"]:
                for profile in profiles:
                    key = (app["Name"], env["Name"], profile["Name"])
                    version = None if key in owned else self._profiles.current(key)
                    if version is not None:
                        found.append(DeployedProfile(key, version.content, version.content_type))
        return found

    def check_files(self) -> None:
        """Serve what changed on disk (and report it); called often."""
        for file in self.files:
            message = file.check()
            if message is not None:
                self.report(message, file.problem is not None)

    @property
    def url(self) -> str:
        """``http://HOST:PORT/ui/``."""
        return f"{self._host.endpoint_url}/ui/"

    def routes(self) -> list[Route]:
        """``/ui`` and below, for every method, left out of the call log."""
        return [
            Route(CONSOLE, method, _PATH, self._answer, logged=False)
            for method in ("GET", "POST", "PUT", "DELETE", "PATCH")
        ]

    # -- requests ------------------------------------------------------------------------

    def _answer(self, request: Request, _fault: Fault | None) -> Response:
        if not self.enabled:
            return _text(404, "the console is off: start it with appflags serve FILE --ui")
        try:
            self._check_sender(request)
            if request.method == "GET":
                self.check_files()
                return self._get(request)
            return self._post(request)
        except _Refused as refused:
            return self._refusal(request, refused)
        except Exception:  # noqa: BLE001 - a page must never show a traceback
            return _text(500, "the console failed to answer this request")

    def _check_sender(self, request: Request) -> None:
        headers = request.headers
        host = headers.get("Host", "")
        if not self._names_this_server(host):
            raise _Refused(403, f"Host {host!r} does not name this server")
        origin = headers.get("Origin")
        if origin is not None and origin != f"http://{host}":
            raise _Refused(403, "a request from another site is refused")
        if headers.get("Sec-Fetch-Site") == "cross-site":
            raise _Refused(403, "a request from another site is refused")
        if request.method != "GET":
            sent = headers.get(TOKEN_HEADER) or _form(request).get("token", [""])[0]
            if not hmac.compare_digest(sent.encode(), self.token.encode()):
                raise _Refused(403, "missing or wrong console token: reload the page")

    def _names_this_server(self, host: str) -> bool:
        """Whether a ``Host`` header names this server."""
        url = urlsplit(self._host.endpoint_url)
        bound, port = url.hostname or "", url.port
        name, _, given_port = host.rpartition(":")
        if given_port != str(port):
            return False
        if _is_loopback(bound):
            return name in (bound, *_LOOPBACK_NAMES)
        # Bound to all interfaces (or to one): any IP literal of the machine reaches it,
        # but a DNS name other than localhost could be rebound to it by a web page.
        return name in (bound, "localhost") or _is_ip(name)

    def _get(self, request: Request) -> Response:
        if request.path == "/ui":
            return Response(303, {"Location": "/ui/"}, b"")
        asset = _ASSETS.get(request.path)
        if asset is not None:
            return Response(200, {"Content-Type": asset[0], **_SECURITY_HEADERS}, asset[1])
        view = self._views().get(request.path)
        if view is None:
            raise _Refused(404, f"no console page {request.path}")
        query = parse_qs(request.query, keep_blank_values=True, max_num_fields=200)
        return view(query)

    def _views(self) -> dict[str, Callable[[dict[str, list[str]]], Response]]:
        return {
            "/ui/": lambda _query: _html(_pages.flags_page(self._shown(), self.token)),
            "/ui/api/flags": lambda _query: _json(
                200, {"profiles": [_profile_json(file) for file in self._shown()]}
            ),
            "/ui/flag": self._flag,
            "/ui/evaluate": lambda query: _html(self._evaluate(self._shown(), query)),
            "/ui/activity": lambda _query: _html(self._activity()),
            "/ui/activity/live": lambda _query: Response(
                200, {"Content-Type": _HTML, **_SECURITY_HEADERS}, self._live().encode()
            ),
            "/ui/diff": lambda query: _html(self._diff(query)),
        }

    def _flag(self, query: dict[str, list[str]]) -> Response:
        file = self._shown_named(_one(query, "profile"))
        key = _one(query, "key")
        if key not in {row.key for row in rows(file.served.doc, file.served.format)}:
            raise _Refused(404, f"profile {file.profile!r} has no flag {key!r}")
        return _html(_pages.flag_page(file, key, self.token))

    def _live(self) -> str:
        sessions = _activity.live_section(self._data_plane.sessions(), self._host.log, time.time())
        return sessions + _activity.deployments_section(self._host.control)

    def _activity(self) -> bytes:
        body = (
            f'<div data-refresh="/ui/activity/live" aria-live="off">{self._live()}</div>'
            f"{_activity.versions_section(self.files)}"
        )
        return _pages.page("Clients and versions", body, self.token, "/ui/activity")

    def _evaluate(
        self, files: list[ServedFile | DeployedProfile], query: dict[str, list[str]]
    ) -> bytes:
        if not files:
            raise _Refused(404, "no profile is served")
        asked = query.get("profile", [""])[0]
        chosen = self._shown_named(asked) if asked else files[0]
        served = chosen.served
        try:
            context = context_from(
                query.get("context", [""])[0],
                # A browser sends each row's name and value: a missing one is an empty row.
                zip(query.get("name", []), query.get("value", []), strict=False),
            )
        except EditError as exc:
            result = _pages.problem_block(exc.message)
        else:
            result = _pages.answers_table(answers(served.doc, served.format, context))
            key = query.get("explain", [""])[0]
            if key:
                result += _pages.trace_block(key, trace(served.doc, served.format, key, context))
        return _pages.evaluate_page(files, chosen, query, self.token, result)

    def _diff(self, query: dict[str, list[str]]) -> bytes:
        file = self._file(_one(query, "profile"))
        try:
            a, b = int(_one(query, "a")), int(_one(query, "b"))
        except ValueError:
            raise _Refused(400, "a and b are version numbers") from None
        found = {revision.number: revision for revision in file.history}
        if a not in found or b not in found:
            raise _Refused(
                404, f"profile {file.profile!r} has no such version (kept: {sorted(found)})"
            )
        title = f"{file.profile}: version {a} to {b}"
        body = _activity.diff_block(file, found[a], found[b])
        return _pages.page(title, body + '<p><a href="/ui/activity">Back</a></p>', self.token)

    def _post(self, request: Request) -> Response:
        if request.method != "POST" or request.path != "/ui/edit":
            raise _Refused(405, f"{request.method} {request.path}: not a console action")
        form = _form(request)
        file = self._file(_one(form, "profile"))
        op, key = _one(form, "op"), form.get("flag", [""])[0].strip()
        if op == "delete" and form.get("confirm", [""])[0] != "yes":
            raise _Refused(400, "tick the confirmation to delete a flag", [("confirm", "required")])
        served = file.served
        fields = {name: values[-1] for name, values in form.items()}
        try:
            edit = edit_for(kind_of(served.doc, served.format), op, key, fields)
            loaded = file.write(_one(form, "etag"), edit)
        except EditError as exc:
            raise _Refused(400, exc.message, [(exc.path, exc.message)]) from None
        except SchemaError as exc:
            found = [(p.path, p.message) for p in exc.problems]
            raise _Refused(
                400, "refused: the edit is not valid; nothing was written", found
            ) from None
        except Conflict as exc:
            raise _Refused(409, str(exc)) from None
        except ReadOnly as exc:
            raise _Refused(403, str(exc)) from None
        version = file.history[-1].number
        self.report(f"{file.path}: version {version} written by the console ({op} {key})", False)
        if op == "delete":
            location = "/ui/"
        else:
            location = f"/ui/flag?profile={quote(file.profile, safe='')}&key={quote(key, safe='')}"
            if op == "toggle":
                location = "/ui/"
        if "application/json" in request.headers.get("Accept", ""):
            answer = {"ok": True, "etag": loaded.etag, "version": version}
            if op in ("add", "delete"):
                answer["location"] = location
            return _json(200, answer)
        return Response(303, {"Location": location, **_SECURITY_HEADERS}, b"")

    def _file(self, profile: str) -> ServedFile:
        """The file served as ``profile`` (the console edits these only)."""
        with self._lock:
            found = self._files.get(profile)
        if found is None:
            if any(shown.profile == profile for shown in self._deployed(self.files)):
                raise _Refused(403, DeployedProfile.read_only_note)
            raise _Refused(404, f"no profile {profile!r} is served")
        return found

    def _shown_named(self, profile: str) -> ServedFile | DeployedProfile:
        """A file or a profile deployed through the control plane, to show."""
        found = next((shown for shown in self._shown() if shown.profile == profile), None)
        if found is None:
            raise _Refused(404, f"no profile {profile!r} is served")
        return found

    def _refusal(self, request: Request, refused: _Refused) -> Response:
        if "application/json" in request.headers.get("Accept", "") or request.path.startswith(
            "/ui/api/"
        ):
            problems = [{"path": path, "message": text} for path, text in refused.problems]
            return _json(refused.status, {"error": refused.message, "problems": problems})
        body = _pages.problem_block(refused.message, refused.problems)
        body += '<p><a href="/ui/">Back to the flags</a></p>'
        page = _pages.page("Refused", body, self.token if refused.status != 403 else "")
        return Response(refused.status, {"Content-Type": _HTML, **_SECURITY_HEADERS}, page)


def _is_loopback(host: str) -> bool:
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


def _form(request: Request) -> dict[str, list[str]]:
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise _Refused(400, "the request body is not UTF-8") from None
    kind = request.headers.get("Content-Type", "").split(";")[0].strip()
    if kind == "application/json":
        try:
            parsed = json.loads(text or "{}")
        except (ValueError, RecursionError):
            raise _Refused(400, "the request body is not JSON") from None
        if not isinstance(parsed, dict):
            raise _Refused(400, "the request body is not a JSON object")
        return {str(k): [v if isinstance(v, str) else json.dumps(v)] for k, v in parsed.items()}
    try:
        return parse_qs(text, keep_blank_values=True, max_num_fields=500)
    except ValueError as exc:
        raise _Refused(400, f"the form cannot be read: {exc}") from None


def _one(fields: dict[str, list[str]], name: str) -> str:
    values = fields.get(name)
    if not values:
        raise _Refused(400, f"the request has no {name}", [(name, "required")])
    return values[-1]


def _profile_json(file: ServedFile | DeployedProfile) -> dict[str, Any]:
    served = file.served
    return {
        "profile": file.profile,
        "path": str(file.path),
        "etag": served.etag,
        "version": file.history[-1].number if file.history else None,
        "editable": file.editable,
        "format": served.format,
        "kind": kind_of(served.doc, served.format),
        "problem": file.problem,
        "flags": [
            {
                "key": row.key,
                "enabled": row.enabled,
                "types": row.types,
                "variants": row.variants,
                "rules": row.rules,
            }
            for row in rows(served.doc, served.format)
        ],
    }


def _html(body: bytes) -> Response:
    return Response(200, {"Content-Type": _HTML, **_SECURITY_HEADERS}, body)


def _json(status: int, value: object) -> Response:
    headers = {"Content-Type": "application/json", **_SECURITY_HEADERS}
    return Response(status, headers, json.dumps(value).encode())


def _text(status: int, message: str) -> Response:
    headers = {"Content-Type": "text/plain; charset=utf-8", **_SECURITY_HEADERS}
    return Response(status, headers, message.encode())
