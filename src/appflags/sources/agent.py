"""The AppConfig Agent / Lambda extension as a source (``http://localhost:2772``).

The Agent polls AppConfig for every process on the host and caches the result; asking it
is a local HTTP call that AWS does not price, so it may be polled often.
"""

from __future__ import annotations

import functools
import json
import os
from typing import TYPE_CHECKING, Any

from appflags._checks import check_optional_str, check_seconds
from appflags.sources._base import Fetched, SourceError
from appflags.sources.appconfigdata import check_identifier

if TYPE_CHECKING:
    import urllib.request
    from collections.abc import Callable, Mapping, Sequence
    from email.message import Message

DEFAULT_AGENT_URL = "http://localhost:2772"
MAX_TIMEOUT = 300.0
"""The longest ``timeout`` for one request to the Agent (five minutes)."""
AGENT_URL_ENV = "APPFLAGS_AGENT_URL"
"""The Agent's URL for ``Flags.from_agent`` when no ``url`` is given."""
EXTENSION_PORT_ENV = "AWS_APPCONFIG_EXTENSION_HTTP_PORT"
"""The AppConfig Lambda extension's port setting (default 2772)."""


def default_agent_url(environ: Mapping[str, str] | None = None) -> str:
    """Where the Agent listens: ``$APPFLAGS_AGENT_URL``, else the Lambda extension's
    ``$AWS_APPCONFIG_EXTENSION_HTTP_PORT`` on localhost, else ``http://localhost:2772``.

    The Agent's own ``HTTP_PORT`` is deliberately not read: in an application container
    that name usually holds the application's own port.
    """
    env = os.environ if environ is None else environ
    url = env.get(AGENT_URL_ENV, "").strip()
    if url:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"{AGENT_URL_ENV} must be an http(s) URL, got {url!r}")
        return url
    port = env.get(EXTENSION_PORT_ENV, "").strip()
    if not port:
        return DEFAULT_AGENT_URL
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"{EXTENSION_PORT_ENV} must be a TCP port, got {port!r}")
    return f"http://localhost:{int(port)}"


class AgentSource:
    """GETs ``/applications/{app}/environments/{env}/configurations/{profile}``.

    The Agent always answers with the whole document; the caller recognises an unchanged
    one by its checksum, so repeated answers cost no parsing. :meth:`fetch_flag` asks for
    one flag of a feature-flag profile for one context (multi-variant flags).
    """

    def __init__(
        self,
        application: str,
        environment: str,
        profile: str,
        *,
        url: str = DEFAULT_AGENT_URL,
        interval: float = 5.0,
        timeout: float = 3.0,
        token: str | None = None,
    ) -> None:
        if not isinstance(url, str):
            raise TypeError(f"url must be a string, got {url!r}")
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"url must be an http(s) URL, got {url!r}")
        interval = check_seconds("poll_interval", interval, zero=False)
        timeout = check_seconds("timeout", timeout, zero=False, maximum=MAX_TIMEOUT)
        check_optional_str("token", token)
        from urllib.parse import quote  # noqa: PLC0415 - with pathlib: see _resources

        path = "/".join(
            (
                "applications",
                quote(check_identifier("application", application), safe=""),
                "environments",
                quote(check_identifier("environment", environment), safe=""),
                "configurations",
                quote(check_identifier("profile", profile), safe=""),
            )
        )
        self._url = f"{url.rstrip('/')}/{path}"
        self._interval = interval
        self._timeout = timeout
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.name = f"agent:{application}/{environment}/{profile}"
        self.on_version: Callable[[str | None], object] | None = None
        """Called with each poll's version: a new version may change variants that the
        polled (empty-context) answer does not show."""

    def __repr__(self) -> str:
        # The access token never appears here.
        return f"<AgentSource {self.name}>"

    def fetch(self) -> Fetched:
        """One GET to the Agent."""
        content, headers = self._get(self._url, self._headers)
        version = headers.get("Configuration-Version") or headers.get("Version-Label")
        if self.on_version is not None:
            self.on_version(version)
        return Fetched(content, headers.get("Content-Type"), version, self._interval)

    def fetch_flags(
        self, flags: Sequence[str], context: str | None, entity_id: str | None
    ) -> dict[str, Mapping[str, Any]]:
        """Some flags' answers for one context, in one request: ``GET ...?flag=A&flag=B``
        with a ``Context`` header (``a=1,b=2``) and ``Entity-Id``. A flag the answer lacks
        is left out; raises :class:`SourceError` when none came."""
        headers: dict[str, str | bytes] = dict(self._headers)
        # Bytes: non-ASCII text travels as UTF-8 (http.client would send Latin-1).
        if context:
            headers["Context"] = context.encode("utf-8")
        if entity_id:
            headers["Entity-Id"] = entity_id.encode("utf-8")
        from urllib.parse import quote  # noqa: PLC0415 - loaded by __init__ already

        query = "&".join(f"flag={quote(flag, safe='')}" for flag in flags)
        url = f"{self._url}?{query}"
        content, _ = self._get(url, headers)
        try:
            document = json.loads(content)
        except ValueError:
            raise SourceError("Agent answered a flag that is not JSON", code="NotJson") from None
        # {"flag": {...}, ...}; for one flag, a bare flag object is accepted too.
        if not isinstance(document, dict):
            document = {}
        elif len(flags) == 1 and flags[0] not in document:
            document = {flags[0]: document}
        values: dict[str, Mapping[str, Any]] = {
            flag: value
            for flag in flags
            if isinstance(value := document.get(flag), dict) and type(value.get("enabled")) is bool
        }
        if not values:
            raise SourceError("Agent answered no such flag", code="NoFlag")
        return values

    def _get(self, url: str, headers: Mapping[str, str | bytes]) -> tuple[bytes, Message]:
        """One GET: the body read whole and the headers, or :class:`SourceError`."""
        import http.client  # noqa: PLC0415 - urllib.request imports http, email, ssl: ~10 ms
        import urllib.error  # noqa: PLC0415
        import urllib.request  # noqa: PLC0415

        # Bytes header values go out as they are (UTF-8); the scheme is checked in __init__.
        request = urllib.request.Request(url, headers=dict(headers))  # type: ignore[arg-type]  # noqa: S310 - see above
        try:
            with _opener().open(request, timeout=self._timeout) as response:
                return response.read(), response.headers
        except urllib.error.HTTPError as exc:
            raise SourceError(f"Agent answered HTTP {exc.code}", code=f"HTTP{exc.code}") from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            # A body cut mid-stream (IncompleteRead) is a failed poll, never a document.
            reason = getattr(exc, "reason", exc)
            raise SourceError(
                f"Agent unreachable: {type(reason).__name__}", code="Unreachable"
            ) from None

    def reset(self) -> None:
        """Nothing to drop: every poll opens its own connection."""

    def close(self) -> None:
        """Nothing to release."""


@functools.cache
def _opener() -> urllib.request.OpenerDirector:
    """urllib without the proxies the environment names and without following redirects.

    The Agent listens on this host: an ``HTTP_PROXY`` meant for the application's outbound
    traffic must not carry these calls (nor their token), and the Agent never redirects,
    so a redirect (another server on the port, a wrong URL) is a failed poll, not a hop
    to wherever it points.
    """
    import urllib.request  # noqa: PLC0415 - see AgentSource._get

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *_args: object, **_kwargs: object) -> None:
            return None  # urllib then raises the 3xx as an HTTPError

    return urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect())
