"""Shared fixtures: nothing in the test suite may reach AWS or the internet."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, settings

from _support import FAST_CONFIG
from appflags.testing import LocalAppConfig

# CI machines are shared and noisy: no property test may fail for taking long.
settings.register_profile("appflags", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("appflags")

# Gherkin tags as markers, for the OpenFeature conformance scenarios (pytest-bdd).
pytest_plugins = ["_openfeature_bdd", "_flagd_testbed_bdd", "_deploying", "pytester"]

if TYPE_CHECKING:
    from mypy_boto3_appconfigdata import AppConfigDataClient


@pytest.fixture(autouse=True)
def _offline_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    # boto3 must never look for real credentials or probe the instance metadata service,
    # and nothing of the developer's AWS settings (profiles, endpoint URLs, FIPS or
    # dual-stack endpoints, Lambda variables) may reach a test: all AWS_* go first.
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/appflags-tests")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/appflags-tests")


@pytest.fixture(autouse=True)
def _no_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    # The developer's APPFLAGS_OVERRIDES (docs/overrides.md) would answer before every
    # document; a test that means to use it sets its own. The pytest plugin removes it
    # for the run too, but the suite must hold without the plugin (-p no:appflags).
    monkeypatch.delenv("APPFLAGS_OVERRIDES", raising=False)


@pytest.fixture
def server() -> Iterator[LocalAppConfig]:
    """A LocalAppConfig answering a 1 s poll interval."""
    with LocalAppConfig(poll_interval=1) as local:
        yield local


@pytest.fixture
def client(server: LocalAppConfig) -> AppConfigDataClient:
    """Real boto3 against the local server, one attempt per call."""
    return server.client(config=FAST_CONFIG)
