"""The local flag console under ``/ui/``: see, edit and evaluate the served files' flags.

A route part of ``LocalAppConfig``: its routes answer ``/ui`` and below, are left out of
the AppConfig call log, and answer nothing until :meth:`Console.enable`. The files it
shows and writes are the ones :meth:`Console.add_file` was given (``appflags serve``'s).

Safe by default: requests are checked as ``_requests`` says (``Host``, ``Origin``, the
server's token on every edit), every page forbids inline script (its Content Security
Policy), and every value is written into pages as text (``_pages``).
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qs, quote

from appflags._errors import SchemaError
from appflags.testing._console import _activity, _pages
from appflags.testing._console._assets import CSS, JS
from appflags.testing._console._documents import EditError, edit_for, kind_of, rows
from appflags.testing._console._evaluation import answers, context_from, trace
from appflags.testing._console._files import Conflict, DeployedProfile, ReadOnly, ServedFile
from appflags.testing._console._requests import (
    SECURITY_HEADERS,
    Fields,
    Refused,
    check_sender,
    form_of,
    html,
    json_answer,
    one,
    redirect,
    text,
)
from appflags.testing._http import Request, Response, Route
from appflags.testing._profiles import as_profile_type, profile_key

if TYPE_CHECKING:
    import os
    from collections.abc import Callable

    from appflags.testing._calls import Call
    from appflags.testing._console._activity import ControlPlaneReader
    from appflags.testing._data_plane import DataPlane
    from appflags.testing._http import Fault
    from appflags.testing._profiles import Profiles

CONSOLE = "Console"
_PATH = re.compile(r"/ui(?:/.*)?")
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


class Console:
    """The console's routes, the files it serves, and the token its pages carry."""

    def __init__(
        self,
        data_plane: DataPlane,
        profiles: Profiles,
        control: ControlPlaneReader,
        host: ConsoleHost,
    ) -> None:
        self._data_plane = data_plane
        self._profiles = profiles
        self._control = control
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

        key = profile_key(application, environment, profile)
        chosen = as_profile_type(profile_type)

        def publish(content: bytes, content_type: str) -> int:
            # The file owns the profile: a deployment to it is refused, naming the file.
            owner = str(path)
            return self._profiles.put(key, content, content_type, None, chosen, owner=owner).number

        served = ServedFile(Path(path), key, publish)
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
        control = self._control
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
            return text(404, "the console is off: start it with appflags serve FILE --ui")
        try:
            check_sender(request, self._host.endpoint_url, self.token)
            if request.method == "GET":
                self.check_files()
                return self._get(request)
            return self._post(request)
        except Refused as refused:
            return self._refusal(request, refused)
        except Exception:  # noqa: BLE001 - a page must never show a traceback
            return text(500, "the console failed to answer this request")

    def _get(self, request: Request) -> Response:
        if request.path == "/ui":
            return redirect("/ui/")
        asset = _ASSETS.get(request.path)
        if asset is not None:
            return Response(200, {"Content-Type": asset[0], **SECURITY_HEADERS}, asset[1])
        view = self._views().get(request.path)
        if view is None:
            raise Refused(404, f"no console page {request.path}")
        query = parse_qs(request.query, keep_blank_values=True, max_num_fields=200)
        return view(query)

    def _views(self) -> dict[str, Callable[[Fields], Response]]:
        return {
            "/ui/": lambda _query: html(_pages.flags_page(self._shown(), self.token)),
            "/ui/api/flags": lambda _query: json_answer(
                200, {"profiles": [_profile_json(file) for file in self._shown()]}
            ),
            "/ui/flag": self._flag,
            "/ui/evaluate": lambda query: html(self._evaluate(self._shown(), query)),
            "/ui/activity": lambda _query: html(self._activity()),
            "/ui/activity/live": lambda _query: html(self._live().encode()),
            "/ui/diff": lambda query: html(self._diff(query)),
        }

    def _flag(self, query: Fields) -> Response:
        file = self._shown_named(one(query, "profile"))
        key = one(query, "key")
        if key not in {row.key for row in rows(file.served.doc, file.served.format)}:
            raise Refused(404, f"profile {file.profile!r} has no flag {key!r}")
        return html(_pages.flag_page(file, key, self.token))

    def _live(self) -> str:
        sessions = _activity.live_section(self._data_plane.sessions(), self._host.log, time.time())
        return sessions + _activity.deployments_section(self._control)

    def _activity(self) -> bytes:
        body = (
            f'<div data-refresh="/ui/activity/live" aria-live="off">{self._live()}</div>'
            f"{_activity.versions_section(self.files)}"
        )
        return _pages.page("Clients and versions", body, self.token, "/ui/activity")

    def _evaluate(self, files: list[ServedFile | DeployedProfile], query: Fields) -> bytes:
        if not files:
            raise Refused(404, "no profile is served")
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

    def _diff(self, query: Fields) -> bytes:
        file = self._file(one(query, "profile"))
        try:
            a, b = int(one(query, "a")), int(one(query, "b"))
        except ValueError:
            raise Refused(400, "a and b are version numbers") from None
        found = {revision.number: revision for revision in file.history}
        if a not in found or b not in found:
            raise Refused(
                404, f"profile {file.profile!r} has no such version (kept: {sorted(found)})"
            )
        title = f"{file.profile}: version {a} to {b}"
        body = _activity.diff_block(file, found[a], found[b])
        return _pages.page(title, body + '<p><a href="/ui/activity">Back</a></p>', self.token)

    def _post(self, request: Request) -> Response:
        if request.method != "POST" or request.path != "/ui/edit":
            raise Refused(405, f"{request.method} {request.path}: not a console action")
        form = form_of(request)
        file = self._file(one(form, "profile"))
        op, key = one(form, "op"), form.get("flag", [""])[0].strip()
        if op == "delete" and form.get("confirm", [""])[0] != "yes":
            raise Refused(400, "tick the confirmation to delete a flag", [("confirm", "required")])
        served = file.served
        fields = {name: values[-1] for name, values in form.items()}
        try:
            edit = edit_for(kind_of(served.doc, served.format), op, key, fields)
            loaded = file.write(one(form, "etag"), edit)
        except EditError as exc:
            raise Refused(400, exc.message, [(exc.path, exc.message)]) from None
        except SchemaError as exc:
            found = [(p.path, p.message) for p in exc.problems]
            raise Refused(
                400, "refused: the edit is not valid; nothing was written", found
            ) from None
        except Conflict as exc:
            raise Refused(409, str(exc)) from None
        except ReadOnly as exc:
            raise Refused(403, str(exc)) from None
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
            return json_answer(200, answer)
        return redirect(location)

    def _file(self, profile: str) -> ServedFile:
        """The file served as ``profile`` (the console edits these only)."""
        with self._lock:
            found = self._files.get(profile)
        if found is None:
            if any(shown.profile == profile for shown in self._deployed(self.files)):
                raise Refused(403, DeployedProfile.read_only_note)
            raise Refused(404, f"no profile {profile!r} is served")
        return found

    def _shown_named(self, profile: str) -> ServedFile | DeployedProfile:
        """A file or a profile deployed through the control plane, to show."""
        found = next((shown for shown in self._shown() if shown.profile == profile), None)
        if found is None:
            raise Refused(404, f"no profile {profile!r} is served")
        return found

    def _refusal(self, request: Request, refused: Refused) -> Response:
        if "application/json" in request.headers.get("Accept", "") or request.path.startswith(
            "/ui/api/"
        ):
            problems = [{"path": path, "message": text} for path, text in refused.problems]
            return json_answer(refused.status, {"error": refused.message, "problems": problems})
        body = _pages.problem_block(refused.message, refused.problems)
        body += '<p><a href="/ui/">Back to the flags</a></p>'
        page = _pages.page("Refused", body, self.token if refused.status != 403 else "")
        return html(page, refused.status)


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
