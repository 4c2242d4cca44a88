"""Where library events go: the application's logging configuration decides.

Each set-up runs in a fresh interpreter (logging and structlog configuration is
process-wide). The event is ``appflags.overrides_ignored``, logged at error level while
a ``Flags`` is built with an unusable ``APPFLAGS_OVERRIDES``.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import appflags

if TYPE_CHECKING:
    from mypy_boto3_appconfigdata import AppConfigDataClient

    from appflags.testing import LocalAppConfig

ROOT = Path(__file__).resolve().parents[1]

BUILD = """
import appflags
flags = appflags.Flags.from_dict({"beta": {"enabled": True}})
assert flags.is_enabled("beta")
"""


def run(setup: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "APPFLAGS_"))}
    env["APPFLAGS_OVERRIDES"] = "{not json"
    script = textwrap.dedent(setup) + BUILD
    return subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=env,
    )


def test_no_logging_configured_prints_nothing() -> None:
    done = run("")
    assert (done.stdout, done.stderr) == ("", "")


def test_root_logger_configured_receives_the_event_on_its_handler() -> None:
    # What Lambda's runtime does: a handler on the root logger.
    done = run(
        """
        import logging, sys
        logging.basicConfig(
            stream=sys.stderr,
            level=logging.INFO,
            format="%(name)s|%(levelname)s|%(message)s|%(event)s|%(variable)s",
        )
        """
    )
    assert done.stdout == ""
    name, level, message, event, variable = done.stderr.strip().split("|")
    assert (name, level, event, variable) == (
        "appflags",
        "ERROR",
        "appflags.overrides_ignored",
        "APPFLAGS_OVERRIDES",
    )
    assert message.startswith("appflags.overrides_ignored variable=APPFLAGS_OVERRIDES error=")
    assert "structlog" not in done.stderr


def test_the_appflags_logger_level_silences_it() -> None:
    done = run(
        """
        import logging, sys
        logging.basicConfig(stream=sys.stderr, level=logging.CRITICAL)
        logging.getLogger("appflags").setLevel(logging.CRITICAL)
        """
    )
    assert (done.stdout, done.stderr) == ("", "")


def test_configured_structlog_receives_key_values_instead() -> None:
    done = run(
        """
        import logging, sys, structlog
        logging.basicConfig(stream=sys.stdout, level=logging.DEBUG)  # must stay silent
        structlog.configure(
            processors=[structlog.processors.add_log_level, structlog.processors.JSONRenderer()],
            logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        )
        """
    )
    assert done.stdout == ""
    event = json.loads(done.stderr)
    assert event["event"] == "appflags.overrides_ignored"
    assert event["level"] == "error"
    assert event["variable"] == "APPFLAGS_OVERRIDES"
    assert "error" in event


class _RaisingHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        raise RuntimeError("the application's handler broke")


@pytest.fixture
def raising_handler() -> Iterator[None]:
    """A handler on the ``appflags`` logger whose emit raises (not every handler wraps
    its emit in ``handleError`` as the stdlib's do)."""
    logger = logging.getLogger("appflags")
    handler, level = _RaisingHandler(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield
    logger.removeHandler(handler)
    logger.setLevel(level)


@pytest.mark.usefixtures("raising_handler")
def test_a_raising_handler_neither_stops_versions_loading_nor_changes_answers(
    server: LocalAppConfig, client: AppConfigDataClient
) -> None:
    server.put("shop", "prod", "flags", {"beta": {"enabled": False}})
    with appflags.Flags.from_appconfig("shop", "prod", "flags", client=client, wait=5) as flags:
        assert flags.state is appflags.State.READY  # was NOT_READY: "poll_failed RuntimeError"
        server.put("shop", "prod", "flags", {"beta": {"enabled": True}})
        assert flags.refresh(timeout=5)
        assert flags.is_enabled("beta") is True

    legacy = {
        "version": "1",
        "flags": {"legacy": {"name": "legacy", "_deprecation": {"status": "planned"}}},
        "values": {"legacy": {"enabled": True}},
    }
    # The first lookup of a deprecated flag logs: it answered the default False.
    assert appflags.Flags.from_dict(legacy).is_enabled("legacy") is True


def test_a_raising_structlog_processor_does_not_fail_building_flags() -> None:
    # The overrides_ignored event is logged while the Flags is built: it raised from it.
    run(
        """
        import structlog
        def broken(logger, name, event):
            raise RuntimeError("the application's processor broke")
        structlog.configure(processors=[broken])
        """
    )
