"""Data availability of a :class:`~appflags.Flags`: its :class:`State` and :class:`Status`."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from datetime import datetime


class State(str, enum.Enum):
    """Whether lookups answer from fetched flags, and how fresh they are."""

    NOT_READY = "NOT_READY"
    """No flags yet: every lookup answers the caller's default (``PROVIDER_NOT_READY``)."""
    READY = "READY"
    """The last poll succeeded: lookups answer from current flags."""
    STALE = "STALE"
    """Polls are failing: lookups answer from the last good flags."""


AnswerSource = Literal["appconfig", "agent", "file", "dict", "backup", "bootstrap"]
"""Where the document answering lookups came from (:attr:`Status.source`):

- ``"appconfig"``: fetched through the AppConfigData API (:meth:`Flags.from_appconfig`);
- ``"agent"``: fetched from the AppConfig Agent or Lambda extension (:meth:`Flags.from_agent`);
- ``"file"``: read from a file (:meth:`Flags.from_file`), or fetched by any other source;
- ``"dict"``: given in memory (:meth:`Flags.from_dict`);
- ``"backup"``: restored from the ``backup=`` file at a cold start, until a fetch answers;
- ``"bootstrap"``: the ``bootstrap=`` document, until a fetch answers.

Keys answered by overrides are told apart by :attr:`Status.overrides`.
"""

ErrorKind = Literal["poll_failed", "rejected"]
"""What :attr:`Status.last_error` reports: ``"poll_failed"`` (the source could not be
polled: network, credentials, a 404) or ``"rejected"`` (a version was fetched whole but
could not be read: invalid JSON, a schema problem)."""


@dataclass(frozen=True, slots=True)
class StatusError:
    """Why the flags answering are not known to be the latest deployed."""

    kind: ErrorKind
    message: str
    """A description that never quotes the document or a secret (the log events say more)."""


@dataclass(frozen=True, slots=True)
class Status:
    """Where a :class:`~appflags.Flags`' answers come from, and how current they are.

    What :meth:`Flags.status` returns: one consistent reading, immutable, taken under the
    lock that every update holds (modelled on LaunchDarkly's data-source status)::

        status = flags.status()
        if status.state is State.STALE and status.last_error is not None:
            print(f"serving {status.version} from {status.source}: {status.last_error.message}")
    """

    state: State
    """``NOT_READY``, ``READY`` or ``STALE``, as :attr:`Flags.state`."""
    since: datetime
    """When ``state`` last changed (when the flags were built, before any change), by the
    flags' clock."""
    last_error: StatusError | None
    """The error that keeps the flags from being the latest: the last poll's failure, else
    the rejection of the latest version fetched; ``None`` once a poll succeeds and the
    latest version serves."""
    version: str | None
    """The version label of the flags answering, as :attr:`Flags.version`."""
    digest: str | None
    """The SHA-256 (hex) of the bytes the answering document was read from: tells which
    exact document serves, labelled or not; ``None`` for ``from_dict`` and ``bootstrap=``
    documents, and while nothing answers."""
    source: AnswerSource | None
    """Where the document answering came from (see :data:`appflags.AnswerSource`);
    ``None`` while nothing answers (``NOT_READY``)."""
    source_name: str | None
    """What the log events call the source (``appconfigdata:shop/prod/flags``, never a
    secret; ``file:PATH`` for :meth:`Flags.from_file`, watched or not); ``None`` for
    :meth:`Flags.from_dict`, which has no source."""
    overrides: bool
    """Whether some keys answer from overrides (:attr:`Flags.overrides` names them)."""
    last_updated: datetime | None
    """As :attr:`Flags.last_updated`: the last poll that confirmed the flags are current."""
    closed: bool
    """:meth:`Flags.close` was called: no update will come any more (lookups still answer)."""
