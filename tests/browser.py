"""What the browser tests share: where the book is, Chromium, and request and console
watchers. The `server` and `browser` fixtures built on them are in tests/conftest.py."""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# BOOK_HTML and BOOK_SCREENSHOTS point the tests at another build, for example one
# made with `jupyter-book build . --path-output /tmp/elsewhere`.
HTML = Path(os.environ.get("BOOK_HTML", REPO / "_build" / "html"))
SCREENSHOTS = Path(os.environ.get("BOOK_SCREENSHOTS", REPO / "_build" / "screenshots"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

# Chromium flags for a machine with no network and no display.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output clean
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve directory on 127.0.0.1 (a free port) while in the block; yields its URL."""
    handler = functools.partial(QuietHandler, directory=str(directory))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def blocker(server: str, external: list[str]):
    """A route handler: local requests go through, any other host is recorded and refused."""

    def handle(route):
        url = route.request.url
        if url.startswith((server, "data:", "blob:")):
            route.continue_()
        else:
            external.append(url)
            route.abort()

    return handle


def console_recorder(errors: list[str]):
    """A console listener that keeps the text of every error message."""

    def record(message):
        if message.type == "error":
            errors.append(message.text)

    return record
