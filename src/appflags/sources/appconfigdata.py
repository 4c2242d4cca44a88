"""The AppConfigData source: ``StartConfigurationSession``, then ``GetLatestConfiguration``."""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from appflags._clock import Clock, utc_now
from appflags._version import __version__
from appflags.sources._base import Fetched, PollTooEarlyError, SourceError

if TYPE_CHECKING:
    from botocore.config import Config
    from botocore.exceptions import ClientError
    from mypy_boto3_appconfigdata import AppConfigDataClient

# botocore (~100 ms to import) loads when a source is built, not with appflags:
# from_dict, from_file and from_agent never need it. boto3 itself is never imported here.

MIN_POLL_INTERVAL = 15
MAX_POLL_INTERVAL = 86400
# Tokens live 24 h; renewing an hour early means a poll never carries a dying token.
SESSION_MAX_AGE = timedelta(hours=23)
# After this many refusals in a row for polling too early, the session is dropped: a new
# session's first poll is never early.
MAX_REFUSALS = 3
POLL_INTERVAL_NOT_SATISFIED = "PollIntervalNotSatisfied"


@functools.cache
def default_client_config() -> Config:
    """The botocore ``Config`` of the clients appflags builds (``DEFAULT_CLIENT_CONFIG``)."""
    from botocore.config import Config  # noqa: PLC0415 - see above

    return Config(
        # botocore retries throttling and 5xx itself; three attempts per poll in all, stated
        # here so that the cost of a failing poll is known (see docs/operations.md).
        retries={"mode": "standard", "total_max_attempts": 3},
        connect_timeout=3,
        read_timeout=10,
        user_agent_extra=f"appflags/{__version__}",
    )


def __getattr__(name: str) -> Any:
    if name == "DEFAULT_CLIENT_CONFIG":
        return default_client_config()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def check_identifier(what: str, value: str) -> str:
    """Application, environment and profile identifiers are 1-128 characters."""
    if not isinstance(value, str) or not 1 <= len(value) <= 128:
        raise ValueError(f"{what} must be a string of 1 to 128 characters, got {value!r}")
    return value


def check_poll_interval(poll_interval: int | None) -> int | None:
    """``RequiredMinimumPollIntervalInSeconds`` must be a whole number from 15 to 86400."""
    if poll_interval is None:
        return None
    if (
        isinstance(poll_interval, bool)
        or not isinstance(poll_interval, int)
        or not MIN_POLL_INTERVAL <= poll_interval <= MAX_POLL_INTERVAL
    ):
        raise ValueError(
            f"poll_interval must be a whole number of seconds from {MIN_POLL_INTERVAL} "
            f"to {MAX_POLL_INTERVAL}, got {poll_interval!r}"
        )
    return poll_interval


class AppConfigDataSource:
    """Polls one configuration profile through the AppConfigData API.

    Each token is used exactly once: it is taken out of the source before the call is
    made, and only the response's ``NextPollConfigurationToken`` puts one back, once the
    body has been read whole. A failed call or a body cut mid-stream therefore starts a
    new session on the next poll, since nobody can know whether the failed call consumed
    the token, and a session whose version was cut would only answer "unchanged".

    The one exception is a poll refused with ``PollIntervalNotSatisfied`` (sent too early
    by the service's clock): it raises :class:`PollTooEarlyError` and keeps the token for the
    next try. AWS does not say whether such a refusal uses the token up; if it did, that
    next try gets ``BadRequestException`` and starts a new session at once, in the same
    ``fetch()``.
    """

    def __init__(
        self,
        application: str,
        environment: str,
        profile: str,
        *,
        client: AppConfigDataClient | None = None,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        poll_interval: int | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self._identifiers = {
            "ApplicationIdentifier": check_identifier("application", application),
            "EnvironmentIdentifier": check_identifier("environment", environment),
            "ConfigurationProfileIdentifier": check_identifier("profile", profile),
        }
        self._poll_interval = check_poll_interval(poll_interval)
        self._clock = clock
        self._region_name = region_name
        self._endpoint_url = endpoint_url
        self._owns_client = client is None
        self._client: AppConfigDataClient | None = (
            client if client is not None else self._new_client()
        )
        self._token: str | None = None
        self._refusals = 0  # PollIntervalNotSatisfied answers in a row for self._token
        self._session_started = clock()
        self.name = f"appconfigdata:{application}/{environment}/{profile}"

    def __repr__(self) -> str:
        return f"<AppConfigDataSource {self.name}>"

    def _new_client(self) -> AppConfigDataClient:
        import botocore.session  # noqa: PLC0415 - see the module's imports
        from botocore.exceptions import NoRegionError  # noqa: PLC0415

        # A private session: the default one is not safe to share across threads. A
        # botocore session, not a boto3 one: boto3.client() returns this same botocore
        # client (boto3's Session only adds its resource layer and its name in the user
        # agent), and `import boto3` also imports s3transfer and multiprocessing, ~30 ms
        # of a cold start that a client never uses. Region, credentials, profiles and
        # endpoint settings come from botocore's session either way.
        session = botocore.session.Session()
        # botocore checks that a service exists by listing every service it ships (~450
        # directories, walked twice by create_client: about a third of the client's cost
        # in a cold start); this session builds one client, of a service botocore has had
        # since 2021. Loading, signing, credentials and retries stay botocore's own.
        session.get_component("data_loader").list_available_services = _only_appconfigdata
        region, key, secret = self._region_name, None, None
        if _is_loopback(self._endpoint_url):
            # A local server (LocalAppConfig, `appflags serve`) checks no signature and
            # serves one region: it needs neither a region nor credentials from the developer.
            if region is None and session.get_config_variable("region") is None:
                region = LOCAL_REGION
            if session.get_credentials() is None:
                key = secret = "local"  # noqa: S105 - a placeholder the local server ignores
        try:
            client = session.create_client(
                "appconfigdata",
                region_name=region,
                endpoint_url=self._endpoint_url,
                config=default_client_config(),
                aws_access_key_id=key,
                aws_secret_access_key=secret,
            )
        except NoRegionError:
            raise ValueError(
                "no AWS region for AppConfig: pass region_name=..., set AWS_DEFAULT_REGION "
                "(botocore does not read AWS_REGION), or pass a ready "
                "client=boto3.client('appconfigdata')"
            ) from None
        # botocore-stubs types create_client() as BaseClient; the service is named above.
        return cast("AppConfigDataClient", client)

    def fetch(self) -> Fetched:
        """One ``GetLatestConfiguration``, starting a session first when needed."""
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        if self._token is None or self._clock() - self._session_started >= SESSION_MAX_AGE:
            self._token = self._start_session()
            self._refusals = 0
        token, self._token = self._token, None
        try:
            response = self._connected().get_latest_configuration(ConfigurationToken=token)
            body = response["Configuration"]
            try:
                content = body.read()
            finally:
                body.close()
        except ClientError as exc:
            if _problem(exc) == POLL_INTERVAL_NOT_SATISFIED:
                raise self._refused(token) from None
            if self._refusals and exc.response.get("Error", {}).get("Code") == _BAD_REQUEST:
                # The refused poll used the token up after all: a new session, at once.
                self._refusals = 0
                return self.fetch()
            raise _source_error("GetLatestConfiguration", exc) from None
        except (BotoCoreError, OSError) as exc:
            raise SourceError(f"GetLatestConfiguration: {type(exc).__name__}") from None
        self._refusals = 0
        # Only a body read whole counts as received. AppConfig already counted this
        # version as delivered to the session, so after a cut body the next token would
        # answer "unchanged": without a token the next poll starts a new session instead.
        self._token = response["NextPollConfigurationToken"]
        interval = response.get("NextPollIntervalInSeconds")
        # AWS announces at most a day (a token lives 24 h); a larger value from the wire
        # would overflow the poller's waits. A day later the session is renewed anyway.
        seconds = min(float(interval), MAX_POLL_INTERVAL) if interval is not None else None
        return Fetched(
            content=content or None,
            content_type=response.get("ContentType"),
            version=response.get("VersionLabel") or None,
            next_poll=seconds,
            min_wait=seconds,
        )

    def _refused(self, token: str) -> PollTooEarlyError:
        self._refusals += 1
        if self._refusals < MAX_REFUSALS:
            self._token = token  # the session stays; the next poll tries this token again
        return PollTooEarlyError("GetLatestConfiguration: PollIntervalNotSatisfied (HTTP 400)")

    def _start_session(self) -> str:
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        request: dict[str, Any] = dict(self._identifiers)
        if self._poll_interval is not None:
            request["RequiredMinimumPollIntervalInSeconds"] = self._poll_interval
        try:
            response = self._connected().start_configuration_session(**request)
        except ClientError as exc:
            raise _source_error("StartConfigurationSession", exc) from None
        except BotoCoreError as exc:
            raise SourceError(f"StartConfigurationSession: {type(exc).__name__}") from None
        self._session_started = self._clock()
        return response["InitialConfigurationToken"]

    def _connected(self) -> AppConfigDataClient:
        if self._client is None:
            self._client = self._new_client()
        return self._client

    def reset(self) -> None:
        """Drop the session and, when this source built the client, the client too.

        Called in a forked child: the parent's sockets and token must not be shared. The
        new client is built lazily, on the child's poller thread.
        """
        self._token = None
        if self._owns_client:
            self._client = None

    def close(self) -> None:
        """Drop the session and close the client's connections when this source owns it."""
        self._token = None
        if self._owns_client and self._client is not None:
            self._client.close()


_BAD_REQUEST = "BadRequestException"


def _only_appconfigdata(*_args: object, **_kwargs: object) -> list[str]:
    """``Loader.list_available_services(type_name)`` for a session that builds one client
    (whatever botocore passes it: a mismatch must never break the client)."""
    return ["appconfigdata"]


LOCAL_REGION = "us-east-1"
"""The region a loopback ``endpoint_url`` is signed for when none is configured."""


def _is_loopback(url: str | None) -> bool:
    """Whether ``url`` names this machine (``localhost``, ``127.0.0.1``, ``[::1]``)."""
    if not url:
        return False
    import ipaddress  # noqa: PLC0415 - only for an explicit endpoint
    from urllib.parse import urlsplit  # noqa: PLC0415

    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _problem(exc: ClientError) -> str | None:
    """``Details.InvalidParameters.ConfigurationToken.Problem`` of a BadRequestException."""
    found: object = exc.response
    for name in ("Details", "InvalidParameters", "ConfigurationToken", "Problem"):
        found = found.get(name) if isinstance(found, dict) else None
    return found if isinstance(found, str) else None


def _source_error(call: str, exc: ClientError) -> SourceError:
    error = exc.response.get("Error", {})
    code = error.get("Code", "Unknown")
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    # Messages from AWS name resources, never tokens; keep only the code and status, and
    # for a 404 the kind of resource missing: "ConfigurationProfile" is a mistake in the
    # identifiers, "Deployment" or "Configuration" may only mean nothing is deployed yet.
    missing = exc.response.get("ResourceType")
    if isinstance(missing, str) and missing:
        return SourceError(f"{call}: {code} (HTTP {status}, {missing})", code=code)
    return SourceError(f"{call}: {code} (HTTP {status})", code=code)
