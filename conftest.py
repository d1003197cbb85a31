"""Root pytest configuration, shared by the unit tests and nbval.

nbval looks for this hook in a conftest.py at or above the notebooks, which
is why it lives at the repository root and not in tests/.
"""

from __future__ import annotations

# Outputs that are not text, or whose text is a fresh id on every run, are
# not compared. Everything else (stdout, stderr, text/plain, text/html,
# text/markdown, glued values) is compared exactly, after the sanitizer.
UNCOMPARED_MIME_TYPES = (
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/svg+xml",
    "application/vnd.jupyter.widget-view+json",
    "application/vnd.jupyter.widget-state+json",
)


def pytest_collectstart(collector):
    """Extend nbval's list of output keys it does not compare."""
    if hasattr(collector, "skip_compare"):
        collector.skip_compare = tuple(
            dict.fromkeys((*collector.skip_compare, *UNCOMPARED_MIME_TYPES))
        )
