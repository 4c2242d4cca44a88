"""The AppConfigData protocol as AWS answers it: sessions, tokens, poll intervals, errors.

``StartConfigurationSession`` opens a session on a profile and hands out its first token;
each ``GetLatestConfiguration`` uses one token up and hands out the next, which may not be
used before the poll interval has passed, and answers an empty body when the session
already holds the deployed version. Tokens expire after 24 hours.
"""

from __future__ import annotations

import json
import math
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, NamedTuple, Protocol
from urllib.parse import parse_qs

from appflags.testing._http import JSON, Fault, Request, Response, Route, error, json_body
from appflags.testing._profiles import NOT_JSON_BODY

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from appflags.testing._profiles import Key, Profiles, Version

START_SESSION = "StartConfigurationSession"
GET_LATEST = "GetLatestConfiguration"

TOKEN_LIFETIME = timedelta(hours=24)
MIN_POLL_INTERVAL = 15
MAX_POLL_INTERVAL = 86400
DEFAULT_POLL_INTERVAL = 60
"""AWS's documented default interval, and the local server's unless a test asks for less."""
POLL_INTERVAL_NOT_SATISFIED = "PollIntervalNotSatisfied"


class PollRules(Protocol):
    """How strictly the data plane keeps the poll interval (``LocalAppConfig``'s settings,
    read on every request, so that a test may change them while the server runs)."""

    @property
    def poll_interval(self) -> float:
        """Seconds a session must wait between polls (raised to its own minimum)."""

    @property
    def enforce_poll_interval(self) -> bool:
        """Whether an early poll is refused."""

    @property
    def refused_poll_uses_token(self) -> bool:
        """Whether a refused early poll uses its token up."""


@dataclass(eq=False)
class _Session:
    key: Key
    min_interval: int | None
    target: str
    """``session-N`` for the N-th session started: its rollout bucket's name."""
    last: Version | None = None
    started: float = field(default_factory=time.time)
    polls: int = 0
    last_poll: float | None = None


class SessionView(NamedTuple):
    """One session as the console shows it: its profile, polls and the version it holds."""

    profile: Key
    started: float
    """``time.time()`` when it was started."""
    polls: int
    """How many ``GetLatestConfiguration`` calls it answered (refused ones not counted)."""
    last_poll: float | None
    version: int | None
    """The number of the version the session was last sent (``None``: none yet)."""


SESSIONS_KEPT = 256
"""The most recent sessions :meth:`DataPlane.sessions` remembers."""


@dataclass(frozen=True)
class _Token:
    session: _Session
    issued: datetime
    generation: int
    not_before: float = 0.0
    """``time.monotonic()`` before which a poll with this token is too early."""


class DataPlane:
    """The sessions and tokens of the AppConfigData API, over the profiles it serves."""

    def __init__(self, profiles: Profiles, rules: PollRules, clock: Callable[[], datetime]) -> None:
        self._profiles = profiles
        self._rules = rules
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[str, _Token] = {}
        self._generation = 0
        self._early_polls = 0
        self._sessions = 0
        self._recent: deque[_Session] = deque(maxlen=SESSIONS_KEPT)

    def routes(self) -> list[Route]:
        """``StartConfigurationSession`` and ``GetLatestConfiguration``."""
        return [
            Route(START_SESSION, "POST", re.compile("/configurationsessions"), self._start),
            Route(GET_LATEST, "GET", re.compile("/configuration"), self._get_latest, _read_token),
        ]

    def expire_tokens(self) -> None:
        """Expire every outstanding token."""
        with self._lock:
            self._generation += 1

    @property
    def early_polls(self) -> int:
        """How many polls came sooner than their token allowed."""
        with self._lock:
            return self._early_polls

    def sessions(self) -> list[SessionView]:
        """The most recent sessions started, oldest first."""
        with self._lock:
            return [
                SessionView(
                    s.key, s.started, s.polls, s.last_poll, s.last.number if s.last else None
                )
                for s in self._recent
            ]

    def reset_early_polls(self) -> None:
        """Start counting early polls from zero."""
        with self._lock:
            self._early_polls = 0

    def _start(self, request: Request, fault: Fault | None) -> Response:
        if fault is Fault.NOT_JSON:
            return Response(201, {"Content-Type": JSON}, NOT_JSON_BODY)
        asked = _parse_start(request.body)
        if isinstance(asked, str):
            return _invalid(asked)
        key, interval = asked
        if not self._profiles.deployed(key):
            # A profile that exists with nothing (valid) deployed, a watched file that is
            # missing or invalid, is not a missing profile: AWS names the configuration.
            exists = self._profiles.exists(key)
            return not_found("Configuration" if exists else "ConfigurationProfile")
        with self._lock:
            self._sessions += 1
            session = _Session(key, interval, f"session-{self._sessions}")
            self._recent.append(session)
            token = self._issue(session)
        return Response(
            201, {"Content-Type": JSON}, json_body({"InitialConfigurationToken": token})
        )

    def _get_latest(self, request: Request, fault: Fault | None) -> Response:
        token = request.token or ""
        rules = self._rules
        with self._lock:
            tokens = self._tokens
            record = tokens.pop(token, None)
            # A used token is gone, so reuse answers "Corrupted", as AWS does.
            if record is None:
                return bad_token("Corrupted")
            if (
                record.generation < self._generation
                or self._clock() - record.issued > TOKEN_LIFETIME
            ):
                tokens[token] = record  # an expired token stays expired
                return bad_token("Expired")
            too_soon = time.monotonic() < record.not_before
            if too_soon:
                self._early_polls += 1
            if fault is Fault.TOO_EARLY or (too_soon and rules.enforce_poll_interval):
                if not rules.refused_poll_uses_token:
                    tokens[token] = record
                return bad_token(POLL_INTERVAL_NOT_SATISFIED)
            session = record.session
            version = self._profiles.current(session.key, session.target)
            if version is None and not self._profiles.deployed(session.key):
                return not_found()
            session.polls += 1
            session.last_poll = time.time()
            if fault is Fault.NOT_JSON and version is not None:
                version = version.not_json()
            interval = max(rules.poll_interval, session.min_interval or 0)
            headers = {
                "Next-Poll-Configuration-Token": self._issue(session, interval),
                # The model's header is an integer: a fraction is announced rounded up, so
                # a client that waits what it is told is never early.
                "Next-Poll-Interval-In-Seconds": str(math.ceil(interval)),
                "Content-Type": JSON if version is None else version.content_type,
            }
            if version is None or version is session.last:
                # The model: "If the client already has the latest version ... this value
                # [Version-Label] is empty", and so is the body. (No version: a first
                # deployment has not reached this session yet.)
                return Response(200, headers, b"")
            session.last = version
            if version.label is not None:
                headers["Version-Label"] = version.label
            body = version.content if version.served is None else version.served
            return Response(200, headers, body)

    def _issue(self, session: _Session, wait: float = 0.0) -> str:
        """A new token for ``session``, too early to use for ``wait`` seconds (the caller
        holds the lock)."""
        token = secrets.token_urlsafe(32)
        self._tokens[token] = _Token(
            session, self._clock(), self._generation, time.monotonic() + wait
        )
        return token


def _read_token(request: Request) -> Request:
    query = parse_qs(request.query, keep_blank_values=True)
    return request._replace(token=query.get("configuration_token", [""])[0])


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


def _invalid(message: str) -> Response:
    body = {"Message": message, "Reason": "InvalidParameters"}
    return error(400, "BadRequestException", body)


# What AWS says, as users of other clients report it.
_TOKEN_MESSAGES = {POLL_INTERVAL_NOT_SATISFIED: "Request too early"}


def bad_token(problem: str) -> Response:
    """``BadRequestException`` for a token that is ``Corrupted``, ``Expired``, ..."""
    body = {
        "Message": _TOKEN_MESSAGES.get(problem, f"The configuration token is {problem.lower()}"),
        "Reason": "InvalidParameters",
        "Details": {"InvalidParameters": {"ConfigurationToken": {"Problem": problem}}},
    }
    return error(400, "BadRequestException", body)


def not_found(resource_type: str = "Configuration") -> Response:
    """``ResourceNotFoundException``."""
    body = {
        "Message": "Requested resource not found",
        "ResourceType": resource_type,
        "ReferencedBy": {},
    }
    return error(404, "ResourceNotFoundException", body)


FAULT_RESPONSES: dict[Fault, Callable[[], Response]] = {
    Fault.THROTTLE: lambda: error(429, "ThrottlingException", {"Message": "Rate exceeded"}),
    Fault.SERVER_ERROR: lambda: error(
        500, "InternalServerException", {"Message": "Internal server error"}
    ),
    Fault.BAD_REQUEST: lambda: bad_token("Corrupted"),
    Fault.NOT_FOUND: not_found,
}
"""The faults answered with an error instead of the route's answer, as AWS words them."""
