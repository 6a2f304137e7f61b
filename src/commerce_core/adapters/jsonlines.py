"""A file adapter: the JSON-lines analytics sink."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from commerce_core.domain.analytics.events import JourneyEvent, to_json

__all__ = ["JsonLinesAnalyticsSink"]


class JsonLinesAnalyticsSink:
    """Appends each event as one JSON line (schema of :func:`to_json`) to a file.

    Thread-safe: a lock serialises writers in this process, and each line is written with one
    ``write`` call on a file opened in append mode and flushed, so lines are never interleaved.
    The file can be read back with :func:`commerce_core.domain.analytics.decode_lines` or
    ``python -m commerce_core report``.

    Args:
        path: the events file (created if missing; existing lines are kept).
        fsync: also ``os.fsync`` after each event (durable, slower).
    """

    def __init__(self, path: str | os.PathLike[str], *, fsync: bool = False) -> None:
        self.path = Path(path)
        self._fsync = fsync
        self._lock = threading.Lock()

    def record(self, event: JourneyEvent) -> None:
        """Append ``event`` as one line.

        Raises:
            OSError: the file cannot be written (nothing is recorded).
        """
        line = to_json(event) + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            if self._fsync:
                os.fsync(handle.fileno())
