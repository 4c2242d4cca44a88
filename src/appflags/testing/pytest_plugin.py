"""The appflags pytest plugin: fixtures for testing code that uses feature flags.

pytest loads it through the ``pytest11`` entry point of the installed package, so the
fixtures exist in every test suite of a project that depends on appflags, and nothing of
it is imported outside pytest. ``-p no:appflags`` turns it off.

Fixtures:

- ``appflags_profile``: a started :class:`~appflags.testing.LocalAppConfig` with one
  profile deployed (the ``appflags_document`` marker's document, else an empty one). It
  builds :class:`~appflags.Flags` against itself and closes them after the test.
- ``appflags_server``: the bare :class:`~appflags.testing.LocalAppConfig`, started.
- ``appflags_override``: ``appflags_override(flags, {"beta": True})`` overrides keys of a
  ``Flags`` for the rest of the test only.

The developer's ``APPFLAGS_OVERRIDES`` does not reach the tests: the plugin removes it
from the environment for the run (before conftest files load, so ``Flags`` built at
import time do not see it either) and puts it back at the end. A test that sets it
itself (``monkeypatch.setenv``) sees its own. The ini option
``appflags_use_environment_overrides = true`` keeps the developer's for the run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from appflags._flags import Flags, Override
    from appflags.testing import LocalAppConfig, ProfileType

# pytest loads this module in every suite of a project that has appflags installed, used
# or not: the fixtures import the library (and boto3, with the server) only when used.

DOCUMENT_MARKER = "appflags_document"
KEEP_OVERRIDES_OPTION = "appflags_use_environment_overrides"
OVERRIDES_VARIABLE = "APPFLAGS_OVERRIDES"  # as appflags._overrides, not imported here

OverrideFlags = Callable[["Flags", Mapping[str, Any]], "Override"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        KEEP_OVERRIDES_OPTION,
        f"keep the developer's {OVERRIDES_VARIABLE} for the tests (by default the appflags "
        "plugin removes it for the run, so that local overrides cannot change test results)",
        type="bool",
        default=False,
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """Remove ``APPFLAGS_OVERRIDES`` for the run, before any conftest imports the
    application; the run's cleanup puts it back (in-process runs share ``os.environ``)."""
    if early_config.getini(KEEP_OVERRIDES_OPTION):
        return
    saved = os.environ.pop(OVERRIDES_VARIABLE, None)
    if saved is not None:
        early_config.add_cleanup(lambda: os.environ.__setitem__(OVERRIDES_VARIABLE, saved))


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker, so ``--strict-markers`` suites accept it."""
    config.addinivalue_line(
        "markers",
        f"{DOCUMENT_MARKER}(document, *, content_type='application/json', version_label=None, "
        "profile_type=None): the flag document the appflags_profile fixture deploys first "
        "(a dict, str or bytes)",
    )


class LocalProfile:
    """One deployed configuration profile on a :class:`LocalAppConfig`, for one test.

    ``application``/``environment``/``profile`` name it (the profile name is unique per
    test); :meth:`deploy` puts a new version; :meth:`flags` builds ``Flags`` polling it.
    """

    def __init__(self, server: LocalAppConfig, application: str, environment: str) -> None:
        self.server = server
        self.application = application
        self.environment = environment
        self.profile = f"flags-{uuid.uuid4().hex[:8]}"
        self._built: list[Flags] = []

    @property
    def endpoint_url(self) -> str:
        """Where boto3 (``endpoint_url=``) or ``from_agent`` (``url=``) reaches the server."""
        return self.server.endpoint_url

    def deploy(
        self,
        document: bytes | str | Mapping[str, Any],
        *,
        content_type: str = "application/json",
        version_label: str | None = None,
        profile_type: ProfileType | str | None = None,
    ) -> int:
        """Deploy a new version of the profile; returns its version number.

        ``version_label`` and ``profile_type`` are as for :meth:`LocalAppConfig.put`.
        """
        return self.server.put(
            self.application,
            self.environment,
            self.profile,
            document,
            content_type=content_type,
            version_label=version_label,
            profile_type=profile_type,
        )

    def flags(self, **options: Any) -> Flags:
        """``Flags.from_appconfig`` for this profile (``options`` as for it); closed after
        the test. The first configuration has arrived when it returns."""
        from appflags._flags import Flags  # noqa: PLC0415 - see the imports above

        options.setdefault("client", self.server.client())
        flags = Flags.from_appconfig(self.application, self.environment, self.profile, **options)
        self._built.append(flags)
        return flags

    def agent_flags(self, **options: Any) -> Flags:
        """``Flags.from_agent`` for this profile, through the server's Agent route."""
        from appflags._flags import Flags  # noqa: PLC0415 - see the imports above

        options.setdefault("url", self.server.endpoint_url)
        flags = Flags.from_agent(self.application, self.environment, self.profile, **options)
        self._built.append(flags)
        return flags

    def close(self) -> None:
        """Close every ``Flags`` this profile built."""
        for flags in self._built:
            flags.close()

    def __repr__(self) -> str:
        return f"<LocalProfile {self.application}/{self.environment}/{self.profile}>"


@pytest.fixture
def appflags_server() -> Iterator[LocalAppConfig]:
    """A started :class:`LocalAppConfig` answering a 1 s poll interval."""
    from appflags.testing._server import LocalAppConfig  # noqa: PLC0415 - see the imports

    with LocalAppConfig(poll_interval=1) as server:
        yield server


@pytest.fixture
def appflags_profile(
    request: pytest.FixtureRequest, appflags_server: LocalAppConfig
) -> Iterator[LocalProfile]:
    """A profile deployed on a local AppConfigData server, ready to build ``Flags`` from.

    Its document is the ``appflags_document`` marker's (an empty one without it), as in
    ``@pytest.mark.appflags_document({"beta": {"enabled": True}})``; then
    ``appflags_profile.flags().is_enabled("beta")`` is ``True``.
    """
    profile = LocalProfile(appflags_server, "app", "test")
    marker = request.node.get_closest_marker(DOCUMENT_MARKER)
    if marker is not None:
        problem = None  # failed outside the handler below: no chained traceback
        try:
            document, options = _document_marker(*marker.args, **marker.kwargs)
        except TypeError as exc:
            problem = str(exc).removeprefix(f"{_document_marker.__name__}() ")
        if problem is not None:
            pytest.fail(
                f"@pytest.mark.{DOCUMENT_MARKER} takes the document the appflags_profile "
                f"fixture deploys (a dict, str or bytes), as in "
                f'@pytest.mark.{DOCUMENT_MARKER}({{"beta": {{"enabled": True}}}}), and the '
                f"keywords content_type, version_label, profile_type; {problem}",
                pytrace=False,
            )
        profile.deploy(document, **options)
    else:
        profile.deploy({})
    try:
        yield profile
    finally:
        profile.close()


def _document_marker(
    document: bytes | str | Mapping[str, Any],
    *,
    content_type: str = "application/json",
    version_label: str | None = None,
    profile_type: ProfileType | str | None = None,
) -> tuple[bytes | str | Mapping[str, Any], dict[str, Any]]:
    """The ``appflags_document`` marker's arguments, checked as a call checks them."""
    options = {
        "content_type": content_type,
        "version_label": version_label,
        "profile_type": profile_type,
    }
    return document, options


@pytest.fixture
def appflags_override() -> Iterator[OverrideFlags]:
    """Override keys of any ``Flags`` for this test only.

    ``appflags_override(app_flags, {"new-checkout": True})`` answers ``new-checkout``
    from the override until the test ends, whatever the test's outcome.
    """
    made: list[Override] = []

    def override(flags: Flags, values: Mapping[str, Any]) -> Override:
        layer = flags.override(values)
        made.append(layer)
        return layer

    try:
        yield override
    finally:
        for layer in reversed(made):
            layer.end()
