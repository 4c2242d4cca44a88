"""The AppConfig Agent / Lambda extension as a source (``http://localhost:2772``).

The Agent polls AppConfig for every process on the host and caches the result; asking it
is a local HTTP call that AWS does not price, so it may be polled often.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from urllib.parse import quote

from appflags.sources._base import Fetched, SourceError
from appflags.sources.appconfigdata import check_identifier

DEFAULT_AGENT_URL = "http://localhost:2772"


class AgentSource:
    """GETs ``/applications/{app}/environments/{env}/configurations/{profile}``.

    The Agent always answers with the whole document; the caller recognises an unchanged
    one by its checksum, so repeated answers cost no parsing.
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
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"url must be an http(s) URL, got {url!r}")
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

    def __repr__(self) -> str:
        # The access token never appears here.
        return f"<AgentSource {self.name}>"

    def fetch(self) -> Fetched:
        """One GET to the Agent."""
        request = urllib.request.Request(self._url, headers=self._headers)  # noqa: S310 - scheme checked in __init__
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                content = response.read()
                headers = response.headers
        except urllib.error.HTTPError as exc:
            raise SourceError(f"Agent answered HTTP {exc.code}", code=f"HTTP{exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SourceError(
                f"Agent unreachable: {type(reason).__name__}", code="Unreachable"
            ) from None
        version = headers.get("Configuration-Version") or headers.get("Version-Label")
        return Fetched(content, headers.get("Content-Type"), version, self._interval)

    def reset(self) -> None:
        """Nothing to drop: every poll opens its own connection."""

    def close(self) -> None:
        """Nothing to release."""
