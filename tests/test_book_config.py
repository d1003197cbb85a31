"""tools/book_config.py and the Makefile's build: one setting names the repository.

The build tests run the Makefile's own rules (`make html`, and `_build/html/index.html`
and `_build/html/ko/index.html`, the rules `make book` rebuilds the two editions with)
in a sandbox (tests/book_build.py): with the fixture repository every notebook page
of both editions has the exact Colab, Binder, repository, issue and download links
(Colab and Binder open the English notebook, the one in the repository); with none,
no page links to Colab, Binder or GitHub and make says in one line how to name one;
the book is rebuilt when, and only when, the repository changes; and the Korean
edition alone when a translation or a tool changes.
"""

from __future__ import annotations

import html
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests import book_build
from tests.conftest import REPO
from tools import book_config
from tools.book_config import NO_REPOSITORY, github_url, named, resolve
from tools.setup_cells import write_setting
from tools.toc import toc_notebooks

FIXTURE = "https://github.com/example-org/cnn-book"
NOTEBOOKS = toc_notebooks()
BUILD_COMMAND = "jupyter-book build"
ENGLISH_BUILD = "jupyter-book build . "
KOREAN_BUILD = "jupyter-book build _build/ko-src "
# The rules `make book` renders the two editions with.
HTML_TARGETS = ("_build/html/index.html", "_build/html/ko/index.html")
EDITIONS = ("", "ko/")


# --- the setting and where a build's repository comes from --------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/example-org/cnn-book",
        "https://github.com/example-org/cnn-book/",
        "https://github.com/example-org/cnn-book.git",
        "git@github.com:example-org/cnn-book.git",
        "git@github.com:example-org/cnn-book",
        "ssh://git@github.com/example-org/cnn-book.git",
        "https://token@github.com/example-org/cnn-book.git",
        "  https://github.com/example-org/cnn-book\n",
    ],
)
def test_every_form_of_a_github_url_is_normalised(url):
    assert github_url(url) == FIXTURE


@pytest.mark.parametrize(
    "url",
    [
        "",
        "http://github.com/example-org/cnn-book",
        "https://gitlab.com/example-org/cnn-book",
        "https://github.com/example-org",
        "https://github.com/example-org/cnn-book/tree/main",
        "https://github.com.evil.org/example-org/cnn-book",
        "git@gitlab.com:example-org/cnn-book.git",
        "example-org/cnn-book",
    ],
)
def test_anything_else_is_not_a_github_repository(url):
    assert github_url(url) is None


def config_naming(tmp_path: Path, url: str) -> Path:
    config = tmp_path / "_config.yml"
    config.write_text((REPO / "_config.yml").read_text())
    write_setting(url, config)
    return config


def git_checkout(folder: Path, origin: str | None) -> Path:
    folder.mkdir(exist_ok=True)
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    if origin:
        subprocess.run(
            ["git", "-C", str(folder), "remote", "add", "origin", origin], check=True
        )
    return folder


def test_repository_is_the_override_then_the_setting_then_git_origin(tmp_path):
    origin = git_checkout(tmp_path / "clone", "git@github.com:fork-org/fork-book.git")
    empty = config_naming(tmp_path, "")
    assert resolve("", empty, origin) == (
        "https://github.com/fork-org/fork-book",
        "git origin",
    )
    assert resolve("", empty, None) == ("", "")
    named_config = config_naming(tmp_path, FIXTURE)
    assert resolve("", named_config, origin) == (FIXTURE, "_config.yml")
    assert resolve("https://github.com/other/book.git", named_config, origin) == (
        "https://github.com/other/book",
        "REPOSITORY",
    )
    assert resolve("none", named_config, origin) == ("", "")


def test_an_origin_that_is_not_on_github_names_nothing(tmp_path):
    gitlab = git_checkout(tmp_path / "clone", "https://gitlab.com/a/b.git")
    assert resolve("", config_naming(tmp_path, ""), gitlab) == ("", "")
    no_origin = git_checkout(tmp_path / "bare", None)
    assert resolve("", config_naming(tmp_path, ""), no_origin) == ("", "")


def test_a_repository_that_is_not_on_github_is_refused_by_name(tmp_path):
    with pytest.raises(ValueError, match=r"REPOSITORY='gitlab.com/a/b'.*OWNER/NAME"):
        named("gitlab.com/a/b")
    config = tmp_path / "_config.yml"
    config.write_text('repository:\n  url: "https://example.org/book"\n')
    with pytest.raises(ValueError, match=r"repository.url in _config.yml"):
        book_config.read_setting(config)


def test_the_committed_setting_is_empty_or_a_normalised_github_url():
    data = yaml.safe_load((REPO / "_config.yml").read_text())
    url = data["repository"]["url"]
    assert url == "" or github_url(url) == url
    assert data["repository"]["branch"] == "main"


def test_nothing_but_the_setting_and_the_setup_cells_repeats_the_url():
    url, _ = book_config.read_setting()
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    holders = []
    for name in tracked:
        path = REPO / name
        if not path.is_file() or path.suffix in {".png", ".jpg", ".gif"}:
            continue
        text = path.read_text(errors="replace")
        if url and url in text:
            holders.append(name)
    allowed = {"_config.yml", *NOTEBOOKS}
    assert set(holders) <= allowed, set(holders) - allowed
    if url:
        assert "_config.yml" in holders


def test_binder_builds_the_locked_environment():
    """repo2docker reads binder/ alone: the lock and the requirements, on a Python the
    stored outputs are validated on, with no file that would take precedence."""
    binder = REPO / "binder"
    overriding = {
        "Dockerfile",
        "environment.yml",
        "environment.yaml",
        "Pipfile",
        "setup.py",
    }
    assert not overriding & {p.name for p in binder.iterdir()}
    lines = (binder / "requirements.txt").read_text().splitlines()
    assert [line for line in lines if line and not line.startswith("#")] == [
        "-c ../constraints.txt",
        "-r ../requirements.txt",
    ]
    assert "-e ." in (REPO / "requirements.txt").read_text().splitlines()
    supported = subprocess.run(
        [
            "make",
            "-s",
            "--no-print-directory",
            "--eval=v: ; @echo $(SUPPORTED_PYTHONS)",
            "v",
        ],
        cwd=REPO,
        env=book_build.make_env(REPO),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    runtime = (binder / "runtime.txt").read_text().strip()
    assert runtime.removeprefix("python-") in supported, runtime


# --- the configuration a build uses ---------------------------------------------------


def test_with_a_repository_the_buttons_are_on_for_branch_main():
    data = book_config.book_config(FIXTURE)
    assert data["repository"] == {"url": FIXTURE, "branch": "main"}
    assert data["launch_buttons"] == {
        "notebook_interface": "jupyterlab",
        "binderhub_url": "https://mybinder.org",
        "colab_url": "https://colab.research.google.com",
    }
    assert data["html"]["use_repository_button"] is True
    assert data["html"]["use_issues_button"] is True
    assert "use_download_button" not in data["html"]  # the theme's default: on


def test_without_one_every_button_that_needs_it_is_off():
    data = book_config.book_config("")
    assert data["repository"]["url"] == ""
    assert "launch_buttons" not in data
    assert data["html"]["use_repository_button"] is False
    assert data["html"]["use_issues_button"] is False


def test_the_rest_of_the_config_is_kept_and_extension_folders_resolve_anywhere():
    original = yaml.safe_load((REPO / "_config.yml").read_text())
    data = book_config.book_config(FIXTURE)
    for key in ("title", "bibtex_bibfiles", "execute", "parse", "exclude_patterns"):
        assert data[key] == original[key]
    assert data["sphinx"]["config"] == original["sphinx"]["config"]
    for name, folder in data["sphinx"]["local_extensions"].items():
        assert Path(folder).is_absolute() and (Path(folder) / f"{name}.py").is_file()


def test_the_written_config_changes_only_when_the_repository_does(tmp_path):
    output = tmp_path / "_build" / "config.yml"
    config = config_naming(tmp_path, "")
    message = book_config.write_book_config(output, "", config, None)
    assert message == NO_REPOSITORY and "\n" not in message
    first = output.stat().st_mtime_ns
    assert book_config.write_book_config(output, "", config, None) == NO_REPOSITORY
    assert output.stat().st_mtime_ns == first
    message = book_config.write_book_config(output, FIXTURE, config, None)
    assert f"Launch buttons for {FIXTURE} (REPOSITORY)" in message
    assert f"make repository REPOSITORY={FIXTURE}" in message
    assert yaml.safe_load(output.read_text())["repository"]["url"] == FIXTURE
    # Named in _config.yml too: the build and the setup cells agree, nothing to say.
    assert (
        book_config.write_book_config(
            output, "", config_naming(tmp_path, FIXTURE), None
        )
        == ""
    )


def test_the_command_line_refuses_a_bad_repository(tmp_path, capsys):
    status = book_config.main(["--repository", "nope", "--output", str(tmp_path / "c")])
    assert status == 2 and "REPOSITORY='nope'" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()


# --- make html, in a sandbox ----------------------------------------------------------


def hrefs(page: Path) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]*)"', page.read_text())]


def read_pages(folder: Path) -> dict[str, list[str]]:
    """The links of every page of a build, keyed by its path in _build/html."""
    root = folder / "_build" / "html"
    return {str(p.relative_to(root)): hrefs(p) for p in sorted(root.rglob("*.html"))}


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """`make html` with the fixture repository, then the book's rebuild rule with none.

    Between and after, the rule must find the book up to date when the repository is
    the same. Returns each step's result, the links of the first build's pages and
    whether its notebooks can be downloaded, the links of the second's pages, and the
    second's notebook pages.
    """
    folder = book_build.sandbox(tmp_path_factory.mktemp("book") / "book")
    steps = {"named": book_build.make(folder, "html", f"REPOSITORY={FIXTURE}")}
    named_pages = read_pages(folder)
    downloads = {
        edition + nb: (folder / "_build" / "html" / edition / "_sources" / nb).is_file()
        for edition in EDITIONS
        for nb in NOTEBOOKS
    }
    targets = HTML_TARGETS
    steps["named again"] = book_build.make(folder, *targets, f"REPOSITORY={FIXTURE}")
    steps["none"] = book_build.make(folder, *targets)
    steps["none again"] = book_build.make(folder, *targets)
    # What would be rebuilt if one source changed (make -W: as if it were newer; -o:
    # the configuration, which a dry run cannot rewrite, is taken as it is).
    for changed in ("translations/ko/book.yml", "tools/i18n.py", "intro.md"):
        steps[changed] = book_build.make(
            folder, "-n", "-W", changed, "-o", "_build/_config.generated.yml", *targets
        )
    texts = {
        edition + nb.replace(".ipynb", ".html"): (
            folder / "_build" / "html" / edition / nb.replace(".ipynb", ".html")
        ).read_text()
        for edition in EDITIONS
        for nb in NOTEBOOKS
    }
    return steps, named_pages, downloads, read_pages(folder), texts


def test_both_builds_pass_strictly(builds):
    steps, *_ = builds
    for name in ("named", "none"):
        result = steps[name]
        assert result.returncode == 0, (
            f"{name}:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )
        for command in (ENGLISH_BUILD, KOREAN_BUILD):
            lines = [line for line in result.stdout.splitlines() if command in line]
            assert len(lines) == 1 and "-W -n --keep-going" in lines[0], lines


def test_the_book_is_rebuilt_when_and_only_when_the_repository_changes(builds):
    steps, *_ = builds
    assert steps["named again"].returncode == 0
    assert BUILD_COMMAND not in steps["named again"].stdout
    assert BUILD_COMMAND in steps["none"].stdout
    assert steps["none again"].returncode == 0
    assert BUILD_COMMAND not in steps["none again"].stdout


@pytest.mark.parametrize("changed", ["translations/ko/book.yml", "tools/i18n.py"])
def test_a_translation_or_a_tool_rebuilds_the_korean_edition_alone(builds, changed):
    steps, *_ = builds
    assert steps[changed].returncode == 0, steps[changed].stderr
    assert KOREAN_BUILD in steps[changed].stdout
    assert ENGLISH_BUILD not in steps[changed].stdout


def test_an_english_page_rebuilds_both_editions(builds):
    steps, *_ = builds
    assert steps["intro.md"].returncode == 0, steps["intro.md"].stderr
    assert ENGLISH_BUILD in steps["intro.md"].stdout
    assert KOREAN_BUILD in steps["intro.md"].stdout


def test_with_none_make_says_in_one_line_how_to_name_one(builds):
    steps, *_ = builds
    for name in ("none", "none again"):
        lines = steps[name].stdout.splitlines()
        assert lines.count(NO_REPOSITORY) == 1, steps[name].stdout[:2000]
        assert "make book REPOSITORY=https://github.com/OWNER/NAME" in NO_REPOSITORY
    assert NO_REPOSITORY not in steps["named"].stdout


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_every_notebook_page_launches_the_fixture_repository(builds, notebook, edition):
    _, named_pages, downloads, *_ = builds
    links = named_pages[edition + notebook.replace(".ipynb", ".html")]
    colab = f"https://colab.research.google.com/github/example-org/cnn-book/blob/main/{notebook}"
    binder = f"https://mybinder.org/v2/gh/example-org/cnn-book/main?urlpath=lab/tree/{notebook}"
    assert links.count(colab) == 1 and links.count(binder) == 1
    launch = [h for h in links if "colab.research" in h or "mybinder.org" in h]
    assert sorted(launch) == sorted([colab, binder])
    assert FIXTURE in links
    issues = [h for h in links if h.startswith(f"{FIXTURE}/issues/new?")]
    assert len(issues) == 1
    depth = "../" * notebook.count("/")
    assert f"{depth}_sources/{notebook}" in links and downloads[edition + notebook]


def test_only_notebook_pages_have_launch_buttons(builds):
    _, named_pages, *_ = builds
    launching = {
        page
        for page, links in named_pages.items()
        if any("colab.research" in h or "mybinder.org" in h for h in links)
    }
    assert launching == {
        edition + nb.replace(".ipynb", ".html")
        for edition in EDITIONS
        for nb in NOTEBOOKS
    }


def test_with_none_no_page_links_to_colab_binder_or_github(builds):
    _, named_pages, _, none_pages, _ = builds
    assert set(none_pages) == set(named_pages), "the two builds have other pages"
    for page, links in none_pages.items():
        outside = [
            h
            for h in links
            if any(s in h for s in ("colab.research", "mybinder.org", "github.com"))
        ]
        assert outside == [], page
    for edition in EDITIONS:
        for notebook in NOTEBOOKS:  # the download button needs no repository
            depth = "../" * notebook.count("/")
            assert (
                f"{depth}_sources/{notebook}"
                in none_pages[edition + notebook.replace(".ipynb", ".html")]
            )


def test_the_setup_cells_are_not_on_the_pages(builds):
    # remove-cell: the page shows the chapter; the downloaded notebook has the cell.
    *_, texts = builds
    assert len(texts) == 2 * len(NOTEBOOKS)
    for page, text in texts.items():
        assert "google.colab" not in text, page
