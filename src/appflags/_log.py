"""The library's one logger. The library never configures logging."""

from __future__ import annotations

from typing import Any

import structlog

logger: Any = structlog.get_logger("appflags")
