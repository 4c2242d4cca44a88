"""The sources a compat ``AppConfigStore`` polls through, for ``appflags.compat.powertools``.

They wrap the AppConfig (or extension) source: one applies Powertools' JMESPath envelope
to each new document before appflags validates it, the other keeps the last documents
fetched so that ``get_configuration()`` can return the one being served.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from appflags.formats import parse
from appflags.sources import Fetched, Source, SourceError


class _Wrapping:
    """A source that polls through ``inner``: same name, same session to reset and close."""

    def __init__(self, inner: Source) -> None:
        self._inner = inner
        self.name = inner.name

    def reset(self) -> None:
        self._inner.reset()

    def close(self) -> None:
        self._inner.close()


class EnvelopeSource(_Wrapping):
    """Applies a JMESPath envelope to each new document before appflags validates it."""

    def __init__(self, inner: Source, expression: Any, options: Any) -> None:
        super().__init__(inner)
        self._expression = expression
        self._options = options

    def fetch(self) -> Fetched:
        fetched = self._inner.fetch()
        if fetched.content is None:
            return fetched
        try:
            document = json.loads(fetched.content)
        except ValueError:
            return fetched  # not JSON: the format rejects it with a precise message
        try:
            plucked = self._expression.search(document, options=self._options)
        except Exception as exc:  # noqa: BLE001 - any JMESPath failure is a failed poll
            raise SourceError(f"envelope failed: {type(exc).__name__}") from None
        content = json.dumps(plucked).encode()
        return dataclasses.replace(fetched, content=content, content_type="application/json")


class RecordingSource(_Wrapping):
    """Keeps the last documents fetched, so the one being served can be told by its digest."""

    def __init__(self, inner: Source) -> None:
        super().__init__(inner)
        self._recent: dict[str, tuple[bytes, str | None]] = {}
        self._documents: dict[str, dict[str, Any]] = {}

    def fetch(self) -> Fetched:
        fetched = self._inner.fetch()
        if fetched.content is not None:
            digest = hashlib.sha256(fetched.content).hexdigest()
            # The served document is the newest valid one: two suffice (a rejected
            # version never replaces what is served).
            self._recent = {
                **dict(list(self._recent.items())[-1:]),
                digest: (fetched.content, fetched.content_type),
            }
        return fetched

    def document(self, digest: str | None) -> dict[str, Any] | None:
        if digest is None:
            return None
        found = self._documents.get(digest)
        if found is None:
            recent = self._recent.get(digest)
            if recent is None:
                return None
            parsed = parse(*recent)
            if not isinstance(parsed, dict):
                return None
            self._documents = {digest: parsed}  # the document served, parsed once
            found = parsed
        return found
