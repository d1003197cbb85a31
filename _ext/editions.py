"""Local Sphinx extension: every page links to the same page in the book's other editions.

The English book is built to _build/html/ and its Korean edition, from the same
notebooks (tools/i18n_source.py), to _build/html/ko/: the two have the same pages
under the same names. The configuration value ``editions`` lists the other
editions of this build, each with its ``language`` (a BCP 47 code), the ``label``
of the link (in that language: "한국어", "English") and the ``root`` of that
edition seen from this one's (``ko/`` from the English edition, ``../`` from the
Korean one). At build time, so with no JavaScript, every page gets:

- a link to its counterpart in the article header, before the theme's buttons
  (the template _ext/editions/templates/edition-links.html, added to the theme option
  ``article_header_end``);
- ``<link rel="alternate" hreflang="...">`` in its head, for itself and for each
  counterpart.

Every URL is relative, so the site works under any base path.
"""

from __future__ import annotations

from pathlib import Path

from markupsafe import escape

FOLDER = Path(__file__).parent / "editions"
COMPONENT = "edition-links.html"
THEME_DEFAULT = ["article-header-buttons.html"]  # sphinx-book-theme's header end


def _add_component(app, config):
    """Put the links' template and style where the theme finds them."""
    if not config.editions:
        return
    config.templates_path.append(str(FOLDER / "templates"))
    config.html_static_path.append(str(FOLDER / "static"))
    app.add_css_file("editions.css")
    options = config.html_theme_options
    items = options.get("article_header_end", THEME_DEFAULT)
    if isinstance(items, str):
        items = [item.strip() for item in items.split(",") if item.strip()]
    if COMPONENT not in items:
        options["article_header_end"] = [COMPONENT, *items]


def counterpart(pagename: str, target_uri: str, root: str) -> str:
    """The relative URL of page pagename (written to target_uri) in the edition at
    root, from the page itself."""
    return "../" * pagename.count("/") + root + target_uri


def _add_links(app, pagename, templatename, context, doctree):
    editions = app.config.editions
    if not editions:
        return
    target = app.builder.get_target_uri(pagename)
    links = [
        {
            "language": edition["language"],
            "label": edition["label"],
            "url": counterpart(pagename, target, edition["root"]),
        }
        for edition in editions
    ]
    context["edition_links"] = links
    this = {"language": app.config.language, "url": target.rsplit("/", 1)[-1]}
    alternates = "".join(
        f'\n<link rel="alternate" hreflang="{escape(link["language"])}" '
        f'href="{escape(link["url"])}" />'
        for link in [this, *links]
    )
    context["metatags"] = context.get("metatags", "") + alternates


def setup(app):
    app.add_config_value("editions", [], "html", types=[list])
    app.connect("config-inited", _add_component)
    app.connect("html-page-context", _add_links)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
