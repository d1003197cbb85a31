"""The book's configuration for one build: _config.yml with its repository resolved.

One setting names the book's public repository: ``repository.url`` in _config.yml,
empty by default. For a build, the repository is, in this order:

1. ``--repository URL`` (``make book REPOSITORY=URL``), for that build only;
   ``--repository none`` names none;
2. ``repository.url`` of _config.yml;
3. ``git remote get-url origin``, when it is a GitHub repository.

Every form of a GitHub URL (``https://github.com/OWNER/NAME.git``,
``git@github.com:OWNER/NAME.git``, ``ssh://git@github.com/OWNER/NAME``) becomes
``https://github.com/OWNER/NAME``.

With a repository, the written configuration turns on what needs one: the
Colab and Binder launch buttons (for ``repository.branch``, Binder building
``binder/``, opening JupyterLab) and the repository and "open issue" buttons.
Without one they stay off, and the build says in one line how to name one.
The download button (.ipynb) is the theme's default and needs no repository.

``make book`` and ``make html`` run::

    python -m tools.book_config --repository "$(REPOSITORY)" --output _build/_config.generated.yml

and build with ``jupyter-book build . --config _build/_config.generated.yml``. The
file is rewritten only when its content changes, so its time stamp tells make
when the resolved repository (or _config.yml) changed and the book must be rebuilt.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).absolute().parents[1]
CONFIG = ROOT / "_config.yml"

# What the theme needs to show each button; see sphinx-book-theme's launch buttons.
LAUNCH_BUTTONS = {
    "notebook_interface": "jupyterlab",
    "binderhub_url": "https://mybinder.org",
    "colab_url": "https://colab.research.google.com",
}
REPOSITORY_BUTTONS = {"use_repository_button": True, "use_issues_button": True}

# The value of --repository (and REPOSITORY=) that names no repository, even when
# _config.yml or git's origin names one.
NONE = "none"

NO_REPOSITORY = (
    "No repository named: launch buttons are off. Name one with "
    "`make book REPOSITORY=https://github.com/OWNER/NAME` (this build) or "
    "`make repository REPOSITORY=https://github.com/OWNER/NAME` (repository.url "
    "in _config.yml and the notebooks' Colab setup cells)."
)

_GITHUB = re.compile(
    r"""^(?:https://(?:[^@/]+@)?github\.com/      # https://github.com/ (maybe a user@)
        |git@github\.com:                        # scp-like ssh
        |ssh://git@github\.com/)                  # ssh URL
        (?P<owner>[A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/
        (?P<name>[A-Za-z0-9._-]+?)
        (?:\.git)?/?$""",
    re.VERBOSE,
)


def github_url(url: str) -> str | None:
    """``https://github.com/OWNER/NAME`` for any form of a GitHub repository URL, else None."""
    match = _GITHUB.match(url.strip())
    if match is None or match["name"] in (".", ".."):
        return None
    return f"https://github.com/{match['owner']}/{match['name']}"


def named(repository: str) -> str:
    """repository as _config.yml stores it: https://github.com/OWNER/NAME, or "" for
    none ("" or ``none``). Raises ValueError for anything else."""
    if repository.strip().lower() in ("", NONE):
        return ""
    normalised = github_url(repository)
    if normalised is None:
        raise ValueError(
            f"REPOSITORY={repository!r}: expected a GitHub repository, "
            f"https://github.com/OWNER/NAME, or {NONE!r} for none"
        )
    return normalised


def read_setting(config: Path = CONFIG) -> tuple[str, str]:
    """``repository.url`` (normalised, or "" for none) and ``repository.branch`` of config.

    Raises ValueError when the URL is set but is not a GitHub repository.
    """
    repository = (yaml.safe_load(config.read_text()) or {}).get("repository") or {}
    url = str(repository.get("url") or "").strip()
    branch = str(repository.get("branch") or "main")
    if not url:
        return "", branch
    normalised = github_url(url)
    if normalised is None:
        raise ValueError(
            f"repository.url in {config.name} is {url!r}; expected a GitHub "
            'repository, https://github.com/OWNER/NAME, or "" for none'
        )
    return normalised, branch


def origin_url(root: Path = ROOT) -> str | None:
    """The GitHub repository of ``git remote get-url origin`` in root, or None."""
    try:
        result = subprocess.run(
            ["git", "remote", "get-url", "origin"],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:  # no git on this machine
        return None
    return github_url(result.stdout) if result.returncode == 0 else None


def resolve(
    override: str = "", config: Path = CONFIG, root: Path | None = ROOT
) -> tuple[str, str]:
    """The repository of this build and where it comes from.

    override is --repository ("" for none given, ``none`` for no repository);
    root is the checkout whose origin is asked, or None not to ask git. Returns
    (URL or "", one of "REPOSITORY", "_config.yml", "git origin", "").
    """
    if override.strip():
        repository = named(override)
        return (repository, "REPOSITORY") if repository else ("", "")
    setting, _ = read_setting(config)
    if setting:
        return setting, config.name
    origin = origin_url(root) if root is not None else None
    return (origin, "git origin") if origin else ("", "")


def book_config(repository: str, config: Path = CONFIG) -> dict:
    """The content of config with repository named (or none when "").

    Local extension folders become absolute paths: Jupyter Book resolves them
    against the folder of the configuration file, which may be elsewhere.
    Every other path (bibliography, html_extra_path, static files) is resolved
    against the book's source folder, wherever this configuration lives.
    """
    data = yaml.safe_load(config.read_text())
    extensions = (data.get("sphinx") or {}).get("local_extensions") or {}
    for name, folder in extensions.items():
        extensions[name] = str((config.parent / folder).resolve())
    section = data.setdefault("repository", {})
    section["url"] = repository
    section.setdefault("branch", "main")
    html = data.setdefault("html", {})
    for key, value in REPOSITORY_BUTTONS.items():
        html[key] = value if repository else False
    if repository:
        data["launch_buttons"] = {
            **(data.get("launch_buttons") or {}),
            **LAUNCH_BUTTONS,
        }
    else:
        data.pop("launch_buttons", None)
    return data


def write_if_changed(path: Path, text: str) -> bool:
    """Write text to path unless it already holds it; True when written."""
    if path.is_file() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return True


def write_book_config(
    output: Path, override: str = "", config: Path = CONFIG, root: Path | None = ROOT
) -> str:
    """Write the configuration of one build to output; return the line to print."""
    repository, source = resolve(override, config, root)
    header = (
        "# Written by tools/book_config.py from "
        f"{config.name} for one build: do not edit.\n"
    )
    text = header + yaml.safe_dump(
        book_config(repository, config), sort_keys=False, allow_unicode=True
    )
    write_if_changed(output, text)
    if not repository:
        return NO_REPOSITORY
    committed, _ = read_setting(config)
    if committed != repository:
        setup = committed or "no repository"
        return (
            f"Launch buttons for {repository} ({source}); the notebooks' Colab "
            f"setup cells install from {setup}: make repository "
            f"REPOSITORY={repository} makes them agree."
        )
    return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repository",
        default="",
        help="https://github.com/OWNER/NAME for this build, or 'none'",
    )
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--config", type=Path, default=CONFIG)
    args = parser.parse_args(argv)
    try:
        message = write_book_config(args.output, args.repository, args.config)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    if message:
        print(message)
    return 0


if __name__ == "__main__":
    sys.exit(main())
