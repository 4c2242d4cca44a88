"""LocalAppConfig: an in-process AWS AppConfig for offline tests, and its public test API.

The server is put together from parts that each answer their own routes (``_http``): the
AppConfigData data plane (``_data_plane``) and the Agent's local route (``_agent``), over
the profiles it holds (``_profiles``), and the AppConfig control plane
(``_control_routes`` over ``_control_plane``). A further part joins with one line in
``LocalAppConfig.__init__``: its routes added to the router.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from appflags.testing._agent import AGENT, AgentRoute
from appflags.testing._calls import Call
from appflags.testing._console import Console
from appflags.testing._control_model import DEFAULT_MAX_CONFIGURATION_SIZE
from appflags.testing._control_plane import ControlPlane
from appflags.testing._control_routes import OPERATIONS as CONTROL_OPERATIONS
from appflags.testing._control_routes import routes as control_routes
from appflags.testing._data_plane import (
    DEFAULT_POLL_INTERVAL,
    FAULT_RESPONSES,
    GET_LATEST,
    START_SESSION,
    DataPlane,
)
from appflags.testing._http import Fault, Request, Response, Route, Router, Server
from appflags.testing._profiles import (
    JSON,
    Profiles,
    ProfileType,
    as_profile_type,
    check_header,
    check_label,
    profile_key,
    served,
)

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Mapping

    import boto3.session
    from mypy_boto3_appconfig import AppConfigClient
    from mypy_boto3_appconfigdata import AppConfigDataClient

_FAULTABLE = (GET_LATEST, START_SESSION, AGENT, *CONTROL_OPERATIONS)


@dataclass
class _Pending:
    fault: Fault
    remaining: int  # -1: until clear_faults()


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
        for name, value in (
            ("max_configuration_size", max_configuration_size),
            ("rollout_seed", rollout_seed),
        ):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise TypeError(f"{name} must be an integer, got {value!r}")
        if max_configuration_size < 1:
            raise ValueError(f"max_configuration_size must be >= 1, got {max_configuration_size}")
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
        self._lock = threading.Lock()  # the call log and the queued faults
        self._log: list[Call] = []
        self._faults: dict[str, list[_Pending]] = {}
        self._control = ControlPlane(
            clock or _utc_now,
            served,
            time_scale=time_scale,
            max_configuration_size=max_configuration_size,
            seed=rollout_seed,
        )
        self._profiles = Profiles(self._control)
        self._data_plane = DataPlane(self._profiles, self, clock or _utc_now)
        # Each part answers its own routes: a new part is one more line here.
        self._router = Router()
        self._router.add(self._data_plane.routes())
        self._router.add(AgentRoute(self._profiles, self).routes())
        self._router.add(control_routes(self._control))
        self.console = Console(self._data_plane, self._profiles, self._control, self)
        """The console at ``/ui/`` (``appflags serve --ui``): off until enabled."""
        self._router.add(self.console.routes())
        self._lifecycle = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: Server | None = None
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
                httpd = Server((self._host, self._port), self._router, self._handle)
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
        content_type: str = JSON,
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
        names = profile_key(application, environment, profile)
        check_header("content_type", content_type)
        if version_label is not None:
            check_label(version_label)
        chosen = as_profile_type(profile_type)
        if isinstance(content, (bytes, bytearray)):
            data = bytes(content)
        elif isinstance(content, str):
            data = content.encode("utf-8")
        else:
            data = json.dumps(content).encode("utf-8")
        return self._profiles.put(names, data, content_type, version_label, chosen).number

    def profile_type(self, application: str, environment: str, profile: str) -> ProfileType:
        """The type of a profile that has been put or watched (``KeyError`` otherwise)."""
        return self._profiles.type_of(profile_key(application, environment, profile))

    def delete(self, application: str, environment: str, profile: str) -> None:
        """Remove a profile (and any watch of it): calls for it get a 404 from now on."""
        self._profiles.delete(profile_key(application, environment, profile))

    def watch_file(
        self,
        application: str,
        environment: str,
        profile: str,
        path: str | os.PathLike[str],
        *,
        content_type: str = JSON,
        profile_type: ProfileType | str | None = None,
    ) -> None:
        """Serve a file; an edit is deployed as a new version (unlabelled) on the next call.

        The file is checked (mtime and size) on every request for the profile; while it
        is missing, those requests get ``ResourceNotFoundException``. The profile's type
        is decided as in :meth:`put`, from the file's first readable content when not
        given; an edit that a feature-flag profile refuses is not deployed, and the last
        valid version keeps being served.
        """
        names = profile_key(application, environment, profile)
        check_header("content_type", content_type)
        self._profiles.watch(names, Path(path), content_type, as_profile_type(profile_type))

    # -- faults and records -----------------------------------------------------------

    def inject(self, fault: Fault, *, times: int = 1, call: str = GET_LATEST) -> None:
        """Answer the next ``times`` calls of ``call`` with ``fault`` (``-1``: until cleared).

        Faults queue up in order. A faulted call does not consume its token, except
        :attr:`Fault.SLOW`, :attr:`Fault.NOT_JSON` and :attr:`Fault.CUT_BODY`, which answer
        normally otherwise, and :attr:`Fault.TOO_EARLY` when ``refused_poll_uses_token`` is
        true.
        """
        if call not in _FAULTABLE:
            raise ValueError(
                f"call must be {GET_LATEST!r}, {START_SESSION!r} or {AGENT!r}, got {call!r}"
            )
        if not isinstance(fault, Fault):
            raise TypeError(f"fault must be a Fault, got {fault!r}")
        if fault is Fault.TOO_EARLY and call != GET_LATEST:
            raise ValueError(f"Fault.TOO_EARLY answers {GET_LATEST!r} only, got {call!r}")
        if times != -1 and times < 1:
            raise ValueError(f"times must be -1 or at least 1, got {times}")
        with self._lock:
            self._faults.setdefault(call, []).append(_Pending(fault, times))

    def clear_faults(self) -> None:
        """Drop every queued fault."""
        with self._lock:
            self._faults.clear()

    def expire_tokens(self) -> None:
        """Expire every outstanding token: using one gets ``BadRequestException``, Expired."""
        self._data_plane.expire_tokens()

    @property
    def log(self) -> list[Call]:
        """A copy of the requests received so far, oldest first, faulted ones included."""
        with self._lock:
            return list(self._log)

    def calls(self, name: str | None = None) -> int:
        """How many requests were received for operation ``name``, or in all."""
        with self._lock:
            return sum(1 for call in self._log if name is None or call.operation == name)

    @property
    def early_polls(self) -> int:
        """How many ``GetLatestConfiguration`` calls came sooner than the interval allows.

        Each was refused with ``PollIntervalNotSatisfied``, unless enforcement is off
        (they count all the same). Injected :attr:`Fault.TOO_EARLY` answers do not count.
        """
        return self._data_plane.early_polls

    def reset_calls(self) -> None:
        """Forget the requests received so far (and the count of early polls)."""
        with self._lock:
            self._log.clear()
            self._data_plane.reset_early_polls()

    # -- requests (called by the request handler threads) ------------------------------

    def _handle(self, route: Route, request: Request) -> Response | None:
        """Record the call and answer it, or the fault queued for it.

        ``None`` means: drop the connection without an answer.
        """
        if not route.logged:
            return route.answer(request, None)
        request = route.read(request)
        headers = request.headers
        with self._lock:
            self._log.append(
                Call(
                    route.operation,
                    request.token,
                    time.monotonic(),
                    request.agent,
                    headers.get("User-Agent"),
                    _credential(headers.get("Authorization")),
                )
            )
            fault = self._take_fault(route.operation)
        if fault is Fault.RESET or (fault is Fault.SLOW and self._stopping.wait(self.slow_seconds)):
            return None
        if fault is not None and fault in FAULT_RESPONSES:
            return FAULT_RESPONSES[fault]()
        response = route.answer(request, fault)
        return response._replace(cut=True) if fault is Fault.CUT_BODY else response

    def _take_fault(self, operation: str) -> Fault | None:
        queue = self._faults.get(operation)
        if not queue:
            return None
        pending = queue[0]
        if pending.remaining > 0:
            pending.remaining -= 1
            if pending.remaining == 0:
                queue.pop(0)
        return pending.fault


_CREDENTIAL = re.compile(r"AWS4-HMAC-SHA256 Credential=([^,\s]+)")


def _credential(authorization: str | None) -> str | None:
    """The ``Credential=`` scope of a SigV4 ``Authorization`` header."""
    found = _CREDENTIAL.match(authorization or "")
    return found.group(1) if found else None
