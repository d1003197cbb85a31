"""Local Sphinx extension: fixes for the book's build that no setting covers.

sphinx-thebe (loaded by Jupyter Book 1.x) registers its inline configuration
script twice, so every page declares ``const THEBE_JS_URL`` twice and the
browser reports "Identifier 'THEBE_JS_URL' has already been declared".
Identical script entries are dropped here, once per page.
"""

from __future__ import annotations


def _drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        attributes = getattr(script, "attributes", {}) or {}
        # An inline script's filename is None or "" depending on how it was added.
        filename = getattr(script, "filename", script) or ""
        key = (str(filename), tuple(sorted(attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", _drop_duplicate_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
