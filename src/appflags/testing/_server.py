"""An in-process server speaking the AWS AppConfigData REST protocol, for offline tests."""

from __future__ import annotations

import enum
import json
import math
import re
import secrets
import socket
import struct
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, overload
from urllib.parse import parse_qs, unquote, urlsplit

from appflags._errors import Problem, SchemaError
from appflags.formats._appconfig import STORED_SCHEMA
from appflags.formats._appconfig_document import document_problems
from appflags.formats._detect import is_stored_document
from appflags.formats._schemas import problems, project_validator
from appflags.testing._agent import AgentRequest, AgentRequestError, agent_answer, parse_context
from appflags.testing._control_model import DEFAULT_MAX_CONFIGURATION_SIZE
from appflags.testing._control_plane import ControlPlane
from appflags.testing._control_routes import OPERATIONS as CONTROL_OPERATIONS
from appflags.testing._control_routes import ControlRequest
from appflags.testing._control_routes import answer as control_answer
from appflags.testing._control_routes import operation as control_operation

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Mapping

    import boto3.session
    from mypy_boto3_appconfig import AppConfigClient
    from mypy_boto3_appconfigdata import AppConfigDataClient

START_SESSION = "StartConfigurationSession"
GET_LATEST = "GetLatestConfiguration"
AGENT = "Agent"
"""The AppConfig Agent's local route, which LocalAppConfig also serves (``from_agent``)."""
UNKNOWN_OPERATION = "UnknownOperation"

TOKEN_LIFETIME = timedelta(hours=24)
MIN_POLL_INTERVAL = 15
MAX_POLL_INTERVAL = 86400
DEFAULT_POLL_INTERVAL = 60
"""AWS's documented default interval, and the local server's unless a test asks for less."""
POLL_INTERVAL_NOT_SATISFIED = "PollIntervalNotSatisfied"
NOT_JSON_BODY = b"<html>oops"
_JSON = "application/json"

Key = tuple[str, str, str]


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


class ProfileType(str, enum.Enum):
    """A configuration profile's type: what ``GetLatestConfiguration`` serves of a version."""

    FEATURE_FLAGS = "AWS.AppConfig.FeatureFlags"
    """Stores the full feature-flag document, validated when put, and serves its
    retrieval form: values only, a disabled flag as ``{"enabled": false}``."""
    FREEFORM = "AWS.Freeform"
    """Serves the bytes and content type put, verbatim."""


class Call(NamedTuple):
    """One request the server received."""

    operation: str
    """``StartConfigurationSession``, ``GetLatestConfiguration`` or ``UnknownOperation``."""
    token: str | None
    """The configuration token sent with ``GetLatestConfiguration``."""
    at: float
    """``time.monotonic()`` on arrival."""
    agent: AgentRequest | None = None
    """For the Agent route: the flags, context and ``Entity-Id`` asked with."""
    user_agent: str | None = None
    """The request's ``User-Agent`` header (``None`` without one)."""
    credential: str | None = None
    """The SigV4 credential scope the request was signed with,
    ``ACCESS_KEY_ID/DATE/REGION/SERVICE/aws4_request`` (``None`` when unsigned): which
    credentials and which region the client used. The signature is not checked."""


class _Response(NamedTuple):
    status: int
    headers: dict[str, str]
    body: bytes
    cut: bool = False  # Fault.CUT_BODY: send half the body, then hang up


@dataclass(eq=False)
class _Version:
    # Compared by identity: a new put() is a new deployment even when label and bytes repeat.
    label: str | None
    content: bytes
    """As put: for a feature-flag profile, the stored document (the Agent route reads it)."""
    content_type: str
    number: int = 0
    """The hosted configuration version number: 1, 2, ... per profile."""
    served: bytes | None = None
    """What ``GetLatestConfiguration`` answers when it is not ``content``."""


@dataclass
class _Watch:
    path: Path
    content_type: str
    stamp: tuple[int, int] | None = None


@dataclass(eq=False)
class _Session:
    key: Key
    min_interval: int | None
    last: _Version | None = None


@dataclass(frozen=True)
class _Token:
    session: _Session
    issued: datetime
    generation: int
    not_before: float = 0.0
    """``time.monotonic()`` before which a poll with this token is too early."""


@dataclass
class _Pending:
    fault: Fault
    remaining: int  # -1: until clear_faults()


@dataclass
class _State:
    versions: dict[Key, _Version] = field(default_factory=dict)
    types: dict[Key, ProfileType] = field(default_factory=dict)
    deployments: dict[Key, int] = field(default_factory=dict)
    watches: dict[Key, _Watch] = field(default_factory=dict)
    tokens: dict[str, _Token] = field(default_factory=dict)
    faults: dict[str, list[_Pending]] = field(default_factory=dict)
    log: list[Call] = field(default_factory=list)
    early_polls: int = 0
    generation: int = 0


_boto3_lock = threading.Lock()
_boto3_session: boto3.session.Session | None = None


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class LocalAppConfig:
    """An AppConfigData endpoint on 127.0.0.1 that real boto3 talks to.

    It honours the protocol AWS documents: single-use tokens that expire after 24 hours,
    an empty body when the session already holds the deployed version, AWS's status
    codes, ``x-amzn-ErrorType`` headers and error bodies, and the poll interval: a
    ``GetLatestConfiguration`` sooner than the ``NextPollIntervalInSeconds`` the session
    was last told is refused with ``BadRequestException``, ``PollIntervalNotSatisfied``,
    as AWS refuses it.

    The interval is AWS's default, 60 s, unless ``poll_interval`` asks for another; tests
    ask for short ones (even ``0`` or fractions of a second, which AWS never allows: its
    minimum is 15 s). A session's ``RequiredMinimumPollIntervalInSeconds`` raises it.

    It also answers the AppConfig Agent's local route,
    ``GET /applications/{app}/environments/{env}/configurations/{profile}``, so that
    ``Flags.from_agent(..., url=server.endpoint_url)`` can be tested the same way. As the
    Agent does, it evaluates a stored feature-flag document per request: the context
    comes from ``Context: key=value`` headers (several, or comma-separated pairs in one;
    read as UTF-8, as appflags sends them),
    ``?flag=KEY`` (repeatable) keeps only those flags, and a multi-variant flag answers
    its chosen variant plus ``"_variant"``. With :attr:`agent_token` set it wants
    ``Authorization: Bearer <token>``. Each request is recorded with its
    :class:`~appflags.testing.AgentRequest` in :attr:`Call.agent`.

    Example::

        with LocalAppConfig(poll_interval=1) as server:
            server.put("shop", "prod", "flags", {"beta": {"enabled": True}})
            client = server.client()
            token = client.start_configuration_session(
                ApplicationIdentifier="shop",
                EnvironmentIdentifier="prod",
                ConfigurationProfileIdentifier="flags",
            )["InitialConfigurationToken"]
            response = client.get_latest_configuration(ConfigurationToken=token)
            document = response["Configuration"].read()
    """

    slow_seconds: float = 5.0
    """How long a :attr:`Fault.SLOW` request waits before it is answered."""
    agent_token: str | None = None
    """The Agent's access token (its ``ACCESS_TOKEN``): when set, an Agent request without
    ``Authorization: Bearer <token>`` is refused with 401."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        clock: Callable[[], datetime] | None = None,
        enforce_poll_interval: bool = True,
        refused_poll_uses_token: bool = True,
        time_scale: float = 1.0,
        rollout_seed: int | None = None,
        max_configuration_size: int = DEFAULT_MAX_CONFIGURATION_SIZE,
    ) -> None:
        """Configure the server; :meth:`start` (or ``with``) opens the port.

        ``poll_interval`` (seconds, default 60) is the interval each session must keep
        between polls, raised to the session's ``RequiredMinimumPollIntervalInSeconds``.
        ``NextPollIntervalInSeconds`` is a whole number of seconds, so a fraction is
        announced rounded up and enforced as given.

        ``enforce_poll_interval=False`` answers early polls as if they were on time (for
        the rare test about something else that must poll faster than a client would).
        AWS does not document whether a refused early poll uses up its token:
        ``refused_poll_uses_token`` chooses (default ``True``, the stricter assumption:
        the client must start a new session), so a client can be tested under both.

        ``clock`` returns an aware datetime and decides token expiry (the poll interval
        is measured on ``time.monotonic()``) and how far deployments have come.

        The server also speaks AppConfig's control plane (``client("appconfig")``; see
        docs/local-appconfig.md). ``time_scale`` makes deployment durations and bake
        times pass that many times faster (``60``: a minute per second);
        ``rollout_seed`` fixes which targets fall in which bucket of a gradual rollout;
        ``max_configuration_size`` (bytes) is the hosted store's size quota.
        """
        if isinstance(time_scale, bool) or not isinstance(time_scale, (int, float)):
            raise TypeError(f"time_scale must be a number, got {time_scale!r}")
        if not (math.isfinite(time_scale) and time_scale > 0):
            raise ValueError(f"time_scale must be a finite number > 0, got {time_scale}")
        if (
            isinstance(poll_interval, bool)
            or not isinstance(poll_interval, (int, float))
            or not math.isfinite(poll_interval)
        ):
            raise TypeError(f"poll_interval must be a number of seconds, got {poll_interval!r}")
        if poll_interval < 0:
            raise ValueError(f"poll_interval must be >= 0, got {poll_interval}")
        self._host = host
        self._port = port
        self.poll_interval = poll_interval
        self.enforce_poll_interval = enforce_poll_interval
        self.refused_poll_uses_token = refused_poll_uses_token
        self._clock = clock or _utc_now
        self.control = ControlPlane(
            self._clock,
            lambda kind, data, content_type: _served(ProfileType(kind), data, content_type),
            time_scale=time_scale,
            max_configuration_size=max_configuration_size,
            seed=rollout_seed,
        )
        self._lock = threading.Lock()
        self._state = _State()
        self._lifecycle = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        where = self.endpoint_url if self._httpd is not None else "stopped"
        return f"<LocalAppConfig {where}>"

    # -- life cycle -------------------------------------------------------------------

    def start(self) -> LocalAppConfig:
        """Open the port and serve in a daemon thread. Idempotent; returns ``self``."""
        with self._lifecycle:
            if self._httpd is None:
                self._stopping.clear()
                httpd = _Server((self._host, self._port), self)
                # A short poll interval keeps stop() quick: shutdown() waits for one poll.
                thread = threading.Thread(
                    target=httpd.serve_forever,
                    kwargs={"poll_interval": 0.05},
                    name=f"LocalAppConfig:{httpd.server_address[1]}",
                    daemon=True,
                )
                thread.start()
                self._httpd, self._thread = httpd, thread
        return self

    def stop(self) -> None:
        """Stop serving, close the socket and join the thread. Idempotent."""
        with self._lifecycle:
            httpd, thread = self._httpd, self._thread
            self._httpd = self._thread = None
            if httpd is None or thread is None:
                return
            self._stopping.set()  # wakes requests held by Fault.SLOW
            httpd.shutdown()
            httpd.server_close()
            thread.join()

    def __enter__(self) -> LocalAppConfig:
        """Start the server."""
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        """Stop the server."""
        self.stop()

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:PORT``, for boto3's ``endpoint_url``. Only while started."""
        httpd = self._httpd
        if httpd is None:
            raise RuntimeError("LocalAppConfig is not started")
        return f"http://{self._host}:{httpd.server_address[1]}"

    @overload
    def client(
        self, service: Literal["appconfigdata"] = ..., **kwargs: Any
    ) -> AppConfigDataClient: ...

    @overload
    def client(self, service: Literal["appconfig"], **kwargs: Any) -> AppConfigClient: ...

    def client(self, service: str = "appconfigdata", **kwargs: Any) -> Any:
        """A boto3 client for this server, with dummy credentials: ``appconfigdata``
        (the default) or ``appconfig`` (the control plane).

        ``kwargs`` go to ``Session.client`` and override the defaults (``config=``...).
        Clients come from one private boto3 Session, never from boto3's default one.
        """
        options: dict[str, Any] = {
            "endpoint_url": self.endpoint_url,
            "region_name": "us-east-1",
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
            **kwargs,
        }
        # One private Session for all servers, behind a lock: Session.client() is not
        # thread-safe, and reusing the loaded service model makes a client ~20x cheaper.
        with _boto3_lock:
            global _boto3_session  # noqa: PLW0603 - one cache for the process
            if _boto3_session is None:
                # Imported here: the pytest plugin loads this module in every suite of a
                # project with appflags installed, and boto3 costs ~0.4 s to import.
                import boto3.session  # noqa: PLC0415

                _boto3_session = boto3.session.Session()
            if service == "appconfig":
                return _boto3_session.client("appconfig", **options)
            if service != "appconfigdata":
                raise ValueError(f"service must be 'appconfigdata' or 'appconfig', got {service!r}")
            return _boto3_session.client("appconfigdata", **options)

    # -- deployments ------------------------------------------------------------------

    def put(
        self,
        application: str,
        environment: str,
        profile: str,
        content: bytes | str | Mapping[str, Any] | list[Any],
        *,
        content_type: str = _JSON,
        version_label: str | None = None,
        profile_type: ProfileType | str | None = None,
    ) -> int:
        """Create and deploy a new version of a profile; returns its version number.

        Mappings and lists are JSON-encoded, strings UTF-8 encoded. Version numbers count
        the profile's versions: 1, 2... ``version_label`` is optional, as in AWS, and may
        not be all digits; without one, ``GetLatestConfiguration`` sends no
        ``Version-Label``.

        A profile's type is fixed by its first put (or :meth:`watch_file`): the
        ``profile_type`` given, else :attr:`ProfileType.FEATURE_FLAGS` when the content is
        a stored feature-flag document (a JSON object with ``version`` and no keys but
        ``version``/``flags``/``values``), else :attr:`ProfileType.FREEFORM`. A
        feature-flag version is validated as AWS validates it when a version is created
        (the same checks as ``appflags validate``) and an invalid one is refused with
        :class:`appflags.SchemaError`; ``GetLatestConfiguration`` serves its retrieval
        form. A put replaces any :meth:`watch_file` of the profile.
        """
        key = _key(application, environment, profile)
        _check_header("content_type", content_type)
        if version_label is not None:
            _check_label(version_label)
        chosen = _profile_type(profile_type)
        if isinstance(content, (bytes, bytearray)):
            data = bytes(content)
        elif isinstance(content, str):
            data = content.encode("utf-8")
        else:
            data = json.dumps(content).encode("utf-8")
        with self._lock:
            kind = self._type_of(key, chosen, data, content_type)
            served = _served(kind, data, content_type)
            self._state.watches.pop(key, None)
            self._state.types[key] = kind
            return self._deploy(key, data, content_type, version_label, served).number

    def profile_type(self, application: str, environment: str, profile: str) -> ProfileType:
        """The type of a profile that has been put or watched (``KeyError`` otherwise)."""
        with self._lock:
            return self._state.types[_key(application, environment, profile)]

    def delete(self, application: str, environment: str, profile: str) -> None:
        """Remove a profile (and any watch of it): calls for it get a 404 from now on."""
        key = _key(application, environment, profile)
        with self._lock:
            self._state.versions.pop(key, None)
            self._state.watches.pop(key, None)
            self._state.types.pop(key, None)

    def watch_file(
        self,
        application: str,
        environment: str,
        profile: str,
        path: str | os.PathLike[str],
        *,
        content_type: str = _JSON,
        profile_type: ProfileType | str | None = None,
    ) -> None:
        """Serve a file; an edit is deployed as a new version (unlabelled) on the next call.

        The file is checked (mtime and size) on every request for the profile; while it
        is missing, those requests get ``ResourceNotFoundException``. The profile's type
        is decided as in :meth:`put`, from the file's first readable content when not
        given; an edit that a feature-flag profile refuses is not deployed, and the last
        valid version keeps being served.
        """
        key = _key(application, environment, profile)
        _check_header("content_type", content_type)
        chosen = _profile_type(profile_type)
        with self._lock:
            self._state.versions.pop(key, None)
            if chosen is not None:
                self._state.types[key] = chosen
            self._state.watches[key] = _Watch(Path(path), content_type)
            self._refresh(key)

    # -- faults and records -----------------------------------------------------------

    def inject(self, fault: Fault, *, times: int = 1, call: str = GET_LATEST) -> None:
        """Answer the next ``times`` calls of ``call`` with ``fault`` (``-1``: until cleared).

        Faults queue up in order. A faulted call does not consume its token, except
        :attr:`Fault.SLOW`, :attr:`Fault.NOT_JSON` and :attr:`Fault.CUT_BODY`, which answer
        normally otherwise, and :attr:`Fault.TOO_EARLY` when ``refused_poll_uses_token`` is
        true.
        """
        if call not in (GET_LATEST, START_SESSION, AGENT, *CONTROL_OPERATIONS):
            raise ValueError(
                f"call must be {GET_LATEST!r}, {START_SESSION!r}, {AGENT!r} or a control-plane "
                f"operation ('StartDeployment'...), got {call!r}"
            )
        if not isinstance(fault, Fault):
            raise TypeError(f"fault must be a Fault, got {fault!r}")
        if fault is Fault.TOO_EARLY and call != GET_LATEST:
            raise ValueError(f"Fault.TOO_EARLY answers {GET_LATEST!r} only, got {call!r}")
        if times != -1 and times < 1:
            raise ValueError(f"times must be -1 or at least 1, got {times}")
        with self._lock:
            self._state.faults.setdefault(call, []).append(_Pending(fault, times))

    def clear_faults(self) -> None:
        """Drop every queued fault."""
        with self._lock:
            self._state.faults.clear()

    def expire_tokens(self) -> None:
        """Expire every outstanding token: using one gets ``BadRequestException``, Expired."""
        with self._lock:
            self._state.generation += 1

    @property
    def log(self) -> list[Call]:
        """A copy of the requests received so far, oldest first, faulted ones included."""
        with self._lock:
            return list(self._state.log)

    def calls(self, name: str | None = None) -> int:
        """How many requests were received for operation ``name``, or in all."""
        with self._lock:
            return sum(1 for call in self._state.log if name is None or call.operation == name)

    @property
    def early_polls(self) -> int:
        """How many ``GetLatestConfiguration`` calls came sooner than the interval allows.

        Each was refused with ``PollIntervalNotSatisfied``, unless enforcement is off
        (they count all the same). Injected :attr:`Fault.TOO_EARLY` answers do not count.
        """
        with self._lock:
            return self._state.early_polls

    def reset_calls(self) -> None:
        """Forget the requests received so far (and the count of early polls)."""
        with self._lock:
            self._state.log.clear()
            self._state.early_polls = 0

    # -- protocol (called by the request handler threads) -----------------------------

    def _handle(
        self,
        operation: str,
        token: str | None,
        body: bytes,
        agent: AgentRequest | None = None,
        *,
        user_agent: str | None = None,
        credential: str | None = None,
        control: ControlRequest | None = None,
    ) -> _Response | None:
        """Answer one request; ``None`` means: drop the connection without an answer."""
        with self._lock:
            self._state.log.append(
                Call(operation, token, time.monotonic(), agent, user_agent, credential)
            )
            fault = self._take_fault(operation)
        if fault is Fault.RESET or (fault is Fault.SLOW and self._stopping.wait(self.slow_seconds)):
            return None
        if fault is not None and fault in _FAULT_RESPONSES:
            return _FAULT_RESPONSES[fault]()
        if control is not None:
            return _Response(*control_answer(self.control, control))
        response = self._answer(operation, token, body, agent, fault)
        return response._replace(cut=True) if fault is Fault.CUT_BODY else response

    def _answer(
        self,
        operation: str,
        token: str | None,
        body: bytes,
        agent: AgentRequest | None,
        fault: Fault | None,
    ) -> _Response:
        not_json = fault is Fault.NOT_JSON
        if operation == START_SESSION:
            return self._start_session(body, not_json=not_json)
        if operation == GET_LATEST:
            return self._get_latest(token or "", not_json=not_json, early=fault is Fault.TOO_EARLY)
        if operation == AGENT and token is not None:
            return self._agent(token, agent, not_json=not_json)
        return _error(404, "UnknownOperationException", {"Message": "No such operation"})

    def _start_session(self, body: bytes, *, not_json: bool) -> _Response:
        if not_json:
            return _Response(201, {"Content-Type": _JSON}, NOT_JSON_BODY)
        request = _parse_start(body)
        if isinstance(request, str):
            return _invalid(request)
        key, interval = request
        with self._lock:
            self._refresh(key)
            if key not in self._state.versions:
                # Nothing was put for this profile: the local server cannot tell "no such
                # profile" from "nothing deployed yet", and answers as for the former.
                return _not_found("ConfigurationProfile")
            token = self._issue(_Session(key, interval))
        return _Response(201, {"Content-Type": _JSON}, _json({"InitialConfigurationToken": token}))

    def _get_latest(self, token: str, *, not_json: bool, early: bool = False) -> _Response:
        with self._lock:
            tokens = self._state.tokens
            record = tokens.pop(token, None)
            # A used token is gone, so reuse answers "Corrupted", as AWS does.
            if record is None:
                return _bad_token("Corrupted")
            if (
                record.generation < self._state.generation
                or self._clock() - record.issued > TOKEN_LIFETIME
            ):
                tokens[token] = record  # an expired token stays expired
                return _bad_token("Expired")
            too_soon = time.monotonic() < record.not_before
            if too_soon:
                self._state.early_polls += 1
            if early or (too_soon and self.enforce_poll_interval):
                if not self.refused_poll_uses_token:
                    tokens[token] = record
                return _bad_token(POLL_INTERVAL_NOT_SATISFIED)
            session = record.session
            self._refresh(session.key)
            version = self._state.versions.get(session.key)
            if version is None:
                return _not_found()
            if not_json:
                version = _Version(
                    f"{version.label or version.number}-not-json", NOT_JSON_BODY, _JSON
                )
            interval = max(self.poll_interval, session.min_interval or 0)
            headers = {
                "Next-Poll-Configuration-Token": self._issue(session, interval),
                # The model's header is an integer: a fraction is announced rounded up, so
                # a client that waits what it is told is never early.
                "Next-Poll-Interval-In-Seconds": str(math.ceil(interval)),
                "Content-Type": version.content_type,
            }
            if version is session.last:
                # The model: "If the client already has the latest version ... this value
                # [Version-Label] is empty", and so is the body.
                return _Response(200, headers, b"")
            session.last = version
            if version.label is not None:
                headers["Version-Label"] = version.label
            body = version.content if version.served is None else version.served
            return _Response(200, headers, body)

    def _agent(self, path: str, request: AgentRequest | None, *, not_json: bool) -> _Response:
        # The Agent answers the whole cached document on every request (no tokens, no
        # empty bodies), with the version in Configuration-Version; a feature-flag
        # document is evaluated for the request's Context headers and flag= parameters.
        if request is None:
            return _error(400, "BadRequestException", {"Message": "Context must be key=value"})
        expected = self.agent_token
        if expected is not None and not secrets.compare_digest(
            (request.authorization or "").encode(), f"Bearer {expected}".encode()
        ):
            return _error(401, "UnauthorizedException", {"Message": "Unauthorized"})
        parts = [unquote(p) for p in path.strip("/").split("/")]
        key = (parts[1], parts[3], parts[5])
        with self._lock:
            self._refresh(key)
            version = self._state.versions.get(key)
        if version is None:
            return _error(404, "ResourceNotFoundException", {"Message": "not found"})
        if not_json:
            version = _Version(f"{version.label or version.number}-not-json", NOT_JSON_BODY, _JSON)
        answer = agent_answer(version.content, version.content_type, request)
        if isinstance(answer, str):
            return _error(400, "BadRequestException", {"Message": answer})
        content, content_type = answer
        # The Agent always names the version: the local server sends its number.
        headers = {"Content-Type": content_type, "Configuration-Version": str(version.number)}
        return _Response(200, headers, content)

    # -- state helpers (the caller holds self._lock) ----------------------------------

    def _deploy(
        self, key: Key, content: bytes, content_type: str, label: str | None, served: bytes | None
    ) -> _Version:
        count = self._state.deployments.get(key, 0) + 1
        self._state.deployments[key] = count
        version = _Version(label, content, content_type, count, served)
        self._state.versions[key] = version
        return version

    def _type_of(
        self, key: Key, chosen: ProfileType | None, data: bytes, content_type: str
    ) -> ProfileType:
        """The profile's type: fixed once known, as AWS fixes it when a profile is created."""
        known = self._state.types.get(key)
        if known is not None and chosen is not None and chosen is not known:
            raise ValueError(
                f"profile {'/'.join(key)} is {known.value}; a profile's type cannot change"
            )
        return known or chosen or _inferred_type(data, content_type)

    def _refresh(self, key: Key) -> None:
        watch = self._state.watches.get(key)
        if watch is None:
            return
        try:
            # stat before reading: an edit landing during the read is seen next time.
            stat = watch.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
            if stamp == watch.stamp:
                return
            content = watch.path.read_bytes()
        except OSError:
            watch.stamp = None
            self._state.versions.pop(key, None)
            return
        watch.stamp = stamp
        try:
            kind = self._type_of(key, None, content, watch.content_type)
            served = _served(kind, content, watch.content_type)
        except ValueError:
            return  # AWS would not have created this version: the last valid one stays
        self._state.types[key] = kind
        self._deploy(key, content, watch.content_type, None, served)

    def _issue(self, session: _Session, wait: float = 0.0) -> str:
        """A new token for ``session``, too early to use for ``wait`` seconds."""
        token = secrets.token_urlsafe(32)
        self._state.tokens[token] = _Token(
            session, self._clock(), self._state.generation, time.monotonic() + wait
        )
        return token

    def _take_fault(self, operation: str) -> Fault | None:
        queue = self._state.faults.get(operation)
        if not queue:
            return None
        pending = queue[0]
        if pending.remaining > 0:
            pending.remaining -= 1
            if pending.remaining == 0:
                queue.pop(0)
        return pending.fault


def _key(application: str, environment: str, profile: str) -> Key:
    # AWS accepts no other identifiers, so no client could ever ask for such a profile.
    for what, value in (
        ("application", application),
        ("environment", environment),
        ("profile", profile),
    ):
        if not isinstance(value, str) or not 1 <= len(value) <= 128:
            raise ValueError(f"{what} must be a string of 1 to 128 characters, got {value!r}")
    return (application, environment, profile)


def _parse_start(body: bytes) -> tuple[Key, int | None] | str:
    """The session's profile and minimum poll interval, or what is wrong with the request."""
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        return "The request body is not JSON"
    if not isinstance(request, dict):
        return "The request body is not a JSON object"
    names = ("ApplicationIdentifier", "EnvironmentIdentifier", "ConfigurationProfileIdentifier")
    for name in names:
        value = request.get(name)
        if not isinstance(value, str) or not 1 <= len(value) <= 128:
            return f"{name} must be a string of 1 to 128 characters"
    interval = request.get("RequiredMinimumPollIntervalInSeconds")
    if interval is not None and (
        isinstance(interval, bool)
        or not isinstance(interval, int)
        or not MIN_POLL_INTERVAL <= interval <= MAX_POLL_INTERVAL
    ):
        return (
            "RequiredMinimumPollIntervalInSeconds must be from "
            f"{MIN_POLL_INTERVAL} to {MAX_POLL_INTERVAL}"
        )
    return (request[names[0]], request[names[1]], request[names[2]]), interval


def _profile_type(value: ProfileType | str | None) -> ProfileType | None:
    if value is None or isinstance(value, ProfileType):
        return value
    try:
        return ProfileType(value)
    except ValueError:
        kinds = ", ".join(repr(k.value) for k in ProfileType)
        raise ValueError(f"profile_type must be one of {kinds}, got {value!r}") from None


def _check_label(label: str) -> None:
    # AppConfig's VersionLabel: 1-64 characters, at least one of them not a digit.
    _check_header("version_label", label)
    if len(label) > 64 or label.isdigit():
        raise ValueError(
            f"version_label must be 1 to 64 characters, not all digits (as in AWS), got {label!r}"
        )


_VALUE_META = frozenset(("enabled", "_createdAt", "_updatedAt", "_variants"))


def _json_document(data: bytes, content_type: str) -> Any:
    if content_type.split(";", maxsplit=1)[0].strip().lower() != _JSON:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None


def _inferred_type(data: bytes, content_type: str) -> ProfileType:
    doc = _json_document(data, content_type)
    if is_stored_document(doc) and "version" in doc:
        return ProfileType.FEATURE_FLAGS
    return ProfileType.FREEFORM


def _served(kind: ProfileType, data: bytes, content_type: str) -> bytes | None:
    """What GetLatestConfiguration answers for a new version (``None``: the bytes put).

    Raises :class:`SchemaError` for a feature-flag document AWS would refuse.
    """
    if kind is ProfileType.FREEFORM:
        return None
    doc = _json_document(data, content_type)
    if not isinstance(doc, dict):
        raise SchemaError([Problem("$", f"a feature-flag profile takes a JSON object as {_JSON}")])
    found = problems(project_validator(STORED_SCHEMA), doc) or document_problems(doc)
    if found:
        raise SchemaError(found)
    return _json(retrieval_form(doc))


def retrieval_form(doc: Mapping[str, Any]) -> dict[str, Any]:
    """What ``GetLatestConfiguration`` returns for a valid stored feature-flag document.

    Values only: no definitions, constraints, ``version`` or timestamps; a disabled flag is
    ``{"enabled": false}`` without attributes. AWS says SDK callers get no variant data; for
    a multi-variant flag the local server serves its default (last) variant's values,
    without ``_variant`` (an assumption: AWS does not document what it serves). A flag
    defined without a value is served disabled.
    """
    values: Mapping[str, Any] = doc.get("values", {})
    served: dict[str, Any] = {}
    for name in doc.get("flags", {}):
        value: Mapping[str, Any] = values.get(name, {})
        variants = value.get("_variants")
        if variants:
            default = variants[-1]
            enabled = default.get("enabled", False)
            attributes = dict(default.get("attributeValues", {}))
        else:
            enabled = value.get("enabled", False)
            attributes = {k: v for k, v in value.items() if k not in _VALUE_META}
        served[name] = {"enabled": True, **attributes} if enabled else {"enabled": False}
    return served


_CREDENTIAL = re.compile(r"AWS4-HMAC-SHA256 Credential=([^,\s]+)")


def _credential(authorization: str | None) -> str | None:
    """The ``Credential=`` scope of a SigV4 ``Authorization`` header."""
    found = _CREDENTIAL.match(authorization or "")
    return found.group(1) if found else None


def _check_header(what: str, value: str) -> None:
    # Sent as an HTTP header (Content-Type, Version-Label), which carries ASCII only.
    if not isinstance(value, str) or not value or not (value.isascii() and value.isprintable()):
        raise ValueError(f"{what} must be a non-empty printable ASCII string, got {value!r}")


def _json(value: object) -> bytes:
    return json.dumps(value).encode("utf-8")


def _error(status: int, error_type: str, body: Mapping[str, object]) -> _Response:
    headers = {"Content-Type": _JSON, "x-amzn-ErrorType": error_type}
    return _Response(status, headers, _json(body))


def _invalid(message: str) -> _Response:
    body = {"Message": message, "Reason": "InvalidParameters"}
    return _error(400, "BadRequestException", body)


# What AWS says, as users of other clients report it.
_TOKEN_MESSAGES = {POLL_INTERVAL_NOT_SATISFIED: "Request too early"}


def _bad_token(problem: str) -> _Response:
    body = {
        "Message": _TOKEN_MESSAGES.get(problem, f"The configuration token is {problem.lower()}"),
        "Reason": "InvalidParameters",
        "Details": {"InvalidParameters": {"ConfigurationToken": {"Problem": problem}}},
    }
    return _error(400, "BadRequestException", body)


def _not_found(resource_type: str = "Configuration") -> _Response:
    body = {
        "Message": "Requested resource not found",
        "ResourceType": resource_type,
        "ReferencedBy": {},
    }
    return _error(404, "ResourceNotFoundException", body)


_FAULT_RESPONSES: dict[Fault, Callable[[], _Response]] = {
    Fault.THROTTLE: lambda: _error(429, "ThrottlingException", {"Message": "Rate exceeded"}),
    Fault.SERVER_ERROR: lambda: _error(
        500, "InternalServerException", {"Message": "Internal server error"}
    ),
    Fault.BAD_REQUEST: lambda: _bad_token("Corrupted"),
    Fault.NOT_FOUND: _not_found,
}


_AGENT_PATH = re.compile(r"/applications/[^/]+/environments/[^/]+/configurations/[^/]+")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 drops the SYNs of a burst of clients, which
    # then wait a second to retry.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: LocalAppConfig) -> None:
        super().__init__(address, _Handler)
        self.app = app

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hang up on purpose (read timeouts, Fault.RESET): not worth a traceback.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.0 closes every connection after its answer, so once stop() returns no
    # kept-alive connection can still reach a handler.
    protocol_version = "HTTP/1.0"
    # Headers and body go out in two writes; with Nagle the body waits for an ACK.
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        # Silence: the default writes every request, token included, to stderr.
        return

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        token = None
        agent = None
        if self.command == "POST" and url.path == "/configurationsessions":
            operation = START_SESSION
        elif self.command == "GET" and url.path == "/configuration":
            operation = GET_LATEST
            query = parse_qs(url.query, keep_blank_values=True)
            token = query.get("configuration_token", [""])[0]
        elif self.command == "GET" and _AGENT_PATH.fullmatch(url.path):
            operation = AGENT
            token = url.path  # the Agent route carries the profile in its path
            agent = self._agent_request(url.query)
        else:
            operation = control_operation(self.command, url.path) or UNKNOWN_OPERATION
        control = None
        if operation not in (START_SESSION, GET_LATEST, AGENT, UNKNOWN_OPERATION):
            headers = {name.lower(): value for name, value in self.headers.items()}
            control = ControlRequest(operation, url.path, url.query, headers, body)
        response = self.server.app._handle(
            operation,
            token,
            body,
            agent,
            user_agent=self.headers.get("User-Agent"),
            credential=_credential(self.headers.get("Authorization")),
            control=control,
        )
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

    def _agent_request(self, query: str) -> AgentRequest | None:
        """The Agent route's parameters; ``None`` when a Context header cannot be read."""
        try:
            context = parse_context(_utf8(v) for v in self.headers.get_all("Context") or [])
        except AgentRequestError:
            return None
        entity_id = self.headers.get("Entity-Id")
        return AgentRequest(
            tuple(parse_qs(query).get("flag", [])),
            context,
            None if entity_id is None else _utf8(entity_id),
            self.headers.get("Authorization"),
        )


def _utf8(value: str) -> str:
    """A header value as UTF-8 text: http.server decodes header bytes as Latin-1, so
    ``José`` sent as UTF-8 would read ``JosÃ©`` (bytes that are not UTF-8 stay as read)."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value
