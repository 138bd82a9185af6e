"""Downloads that survive a busy server.

A download button given a callable (every download in this app: the PDF, the exports, the backup) builds
its file only when clicked: the browser asks over the WebSocket, Streamlit runs the callable and stores
the bytes under a fresh media id, answers with the URL, and the browser then fetches `/media/<id>`.
That stored file belongs to no session, and Streamlit sweeps unreferenced files at the end of every
script run of every session on the server: the first sweep marks the file, the second deletes it. On a
server where a workshop is live, each phone's one-second fragment ends a run every second, so the file
lives a fraction of a second; a browser whose fetch comes later (a busy machine, a proxy in between, a
slow phone network) gets a 404 and the click downloads nothing. tests/test_downloads.py shows it: one
participant on the voting page and a fetch delayed by two seconds lose every download without this.

The fix keeps each file a deferred download built for `GRACE_SECONDS` out of the sweep, then lets the
sweep take it as before. It wraps two methods of Streamlit's MediaFileManager, which is internal API:
`install()` checks they exist, and if a Streamlit release renames them it writes one warning naming them to
the server's log and leaves Streamlit as it is (tests/test_downloads.py fails on such a release).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

GRACE_SECONDS = 120.0  # a fetch later than this is not a download in progress any more
_PATCHED = "_aiops_fresh_downloads"
_lock = threading.Lock()
log = logging.getLogger(__name__)


def _file_id(url: str) -> str:
    """The media id in a URL such as /media/<id>.pdf."""
    return url.rsplit("/", 1)[-1].split(".", 1)[0]


def install(manager_class: Any = None, grace: float = GRACE_SECONDS) -> bool:
    """Wrap the manager's deferred execution and sweep once per process (idempotent); False, with a
    warning in the log, when this Streamlit release lacks what the fix wraps."""
    if manager_class is None:
        from streamlit.runtime.media_file_manager import MediaFileManager as manager_class
    missing = [name for name in ("execute_deferred", "_get_inactive_file_ids") if not hasattr(manager_class, name)]
    if missing:
        log.warning("streamlit %s: MediaFileManager has no %s; downloads may fail on a busy server "
                    "(assessment_app/downloads.py)", _version(), ", ".join(missing))
        return False
    with _lock:
        if getattr(manager_class, _PATCHED, False):
            return True
        execute: Callable[[Any, str], str] = manager_class.execute_deferred
        inactive: Callable[[Any], set[str]] = manager_class._get_inactive_file_ids
        fresh: dict[str, float] = {}  # media id → when the sweep may take it (time.monotonic)

        def execute_deferred(self: Any, file_id: str) -> str:
            url = execute(self, file_id)
            fresh[_file_id(url)] = time.monotonic() + grace
            return url

        def get_inactive_file_ids(self: Any) -> set[str]:
            now = time.monotonic()
            for media_id in [m for m, until in list(fresh.items()) if until <= now]:
                fresh.pop(media_id, None)
            return inactive(self) - fresh.keys()

        manager_class.execute_deferred = execute_deferred
        manager_class._get_inactive_file_ids = get_inactive_file_ids
        setattr(manager_class, _PATCHED, True)
    return True


def _version() -> str:
    import streamlit

    return streamlit.__version__
