"""A reader runs the stride chapter in JupyterLab: headless Chromium drives the UI.

Run by `make browser` (part of `make test`); it needs no rendered book. JupyterLab
is started from the environment that runs the tests (``.venv`` under ``make``) on
127.0.0.1 with a token, as tests/test_jupyter_server.py starts it, but serving a
copy of chapters/ in a temporary directory: the stored notebooks are never touched.
Its settings live in the sandbox too, with autosave off (nothing is ever written)
and the news feed off (no toast over the screenshot, no request for it).

Through the UI, as a reader does: the chapter is opened from the file browser and
run with Run > Run All Cells. Every code cell must then carry an execution count of
this kernel (1, 2, ... in order), no cell may show an error or anything on stderr,
and every figure the stored notebook shows must be drawn. The ipywidgets explorer
(``explorer.conv_explorer(...)``, found by its source, not by its index) is then
moved with the keyboard: its stride slider one step right must redraw the picture
and print the output size that ``utils.arithmetic.conv_output_size`` gives for the
new settings; one step back must bring back the first text and picture exactly.
A screenshot of JupyterLab mid-interaction goes to SCREENSHOTS/jupyterlab-*.png.
Every request the browser makes must go to the local server, and the server must
shut down cleanly: no kernel left behind, the served copy unchanged.
"""

from __future__ import annotations

import json
import re
import shutil
import time

import nbformat
import pytest

import tests.test_jupyter_server as jupyter_server
from tests.browser import SCREENSHOTS, blocker
from tests.conftest import REPO
from tests.test_jupyter_server import Server
from utils.arithmetic import conv_output_size

pytestmark = pytest.mark.browser

CHAPTER = "03_stride.ipynb"
EXPLORER_CALL = "explorer.conv_explorer("  # the source that makes the explorer
PROBE = "probe.ipynb"  # a notebook that fails on purpose, to test the error check
PROBE_SOURCE = ["import sys\nprint('a warning', file=sys.stderr)", "1 / 0"]
UI_SECONDS = 60  # JupyterLab loading, a kernel starting, a slider redrawing
RUN_SECONDS = 300  # the whole chapter (about 15 s on two busy cores)
SLIDERS = ("n", "f", "s", "p", "d")  # the explorer's slider labels, in order

# JupyterLab user settings (JUPYTERLAB_SETTINGS_DIR of the sandbox).
SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/apputils-extension/notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}

# The state of one notebook panel, read in one round trip.
READ_PANEL = """panel => ({
  kernel: panel.querySelector('.jp-KernelName')?.textContent ?? '',
  status: panel.querySelector('.jp-Notebook-ExecutionIndicator')?.dataset.status,
  prompts: [...panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
    .map(prompt => prompt.textContent.trim()),
  errors: [...panel.querySelectorAll(
      '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
    .map(output => output.textContent.slice(0, 2000)),
  images: panel.querySelectorAll('.jp-OutputArea-output[data-mime-type^="image/"]')
    .length,
})"""
# Run All queues every cell, which then shows [*] until it has run: a run has started
# once a prompt showed it. The prompts of a short run show it for a few milliseconds
# only, so a MutationObserver, installed before the click, watches for it.
WATCH_FOR_RUN = """panel => {
  panel.sawRun = false;
  const observer = new MutationObserver(() => {
    const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
    if (prompts.some(prompt => prompt.textContent.includes('*'))) {
      panel.sawRun = true;
      observer.disconnect();
    }
  });
  observer.observe(panel, {subtree: true, childList: true, characterData: true});
}"""
# The run is over when the kernel is idle and every prompt has a count.
RUN_FINISHED = """panel => {
  const status = panel.querySelector('.jp-Notebook-ExecutionIndicator')?.dataset.status;
  const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
  return panel.sawRun && status === 'idle' && prompts.length > 0
    && prompts.every(prompt => /^\\[\\d+\\]:$/.test(prompt.textContent.trim()));
}"""
KERNEL_IDLE = """panel => {
  const name = panel.querySelector('.jp-KernelName')?.textContent ?? '';
  const status = panel.querySelector('.jp-Notebook-ExecutionIndicator')?.dataset.status;
  return name !== '' && !name.includes('No Kernel') && status === 'idle';
}"""
# The bytes of an <img>, whatever its src (the widget's picture is a blob: URL).
IMAGE_BYTES = """async img => {
  const response = await fetch(img.src);
  return Array.from(new Uint8Array(await response.arrayBuffer()));
}"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on 127.0.0.1 serving a copy of chapters/; a clean shutdown after."""
    assert (jupyter_server.BIN / "jupyter-lab").exists(), "JupyterLab is not installed"
    work = tmp_path_factory.mktemp("book")
    chapters = work / "chapters"
    shutil.copytree(
        REPO / "chapters", chapters, ignore=shutil.ignore_patterns(".ipynb_checkpoints")
    )
    probe = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in PROBE_SOURCE],
        metadata=nbformat.read(chapters / CHAPTER, as_version=4).metadata,
    )
    nbformat.write(probe, chapters / PROBE)
    served = {path.name: path.read_bytes() for path in chapters.glob("*.ipynb")}

    state = tmp_path_factory.mktemp("jupyter")
    for plugin, values in SETTINGS.items():
        path = state / "lab-settings" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    with pytest.MonkeyPatch.context() as patch:
        # The kernel draws inline, as a reader's does, not with the tests' Agg backend.
        patch.delenv("MPLBACKEND", raising=False)
        server = Server(state, root=work)  # `jupyter lab chapters/` in the copy
    try:
        server.wait_until_up()
        root = server.json("GET", "/api/contents/")
        assert PROBE in {item["name"] for item in root["content"]}, "not the copy"
        yield server
        status, body = server.request("POST", "/api/shutdown")
        assert status == 200, f"POST /api/shutdown: HTTP {status}: {body[:300]!r}"
        assert server.process.wait(timeout=60) == 0, server.read_log()
    finally:
        server.stop()
    left = sorted(path.name for path in (state / "runtime").glob("kernel-*.json"))
    assert left == [], f"kernels left running: {left}"
    # Opening a notebook makes a checkpoint (.ipynb_checkpoints/): a copy, not a save.
    written = {path.name: path.read_bytes() for path in chapters.glob("*.ipynb")}
    changed = [
        name
        for name in sorted(served.keys() | written.keys())
        if served.get(name) != written.get(name)
    ]
    assert changed == [], f"notebooks saved: {changed}"


@pytest.fixture(scope="module")
def external() -> list[str]:
    """Every request the browser tried to make to another host (each one refused)."""
    return []


@pytest.fixture(scope="module")
def page(lab, browser, external):
    """JupyterLab in one browser tab, with nothing but the local server to talk to."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(UI_SECONDS * 1000)
    page.route("**/*", blocker(lab.base + "/", external))
    # Websockets (the kernel's channels) bypass routing: record any to another host.
    local = lab.base.replace("http://", "ws://", 1) + "/"
    page.on(
        "websocket",
        lambda socket: (
            None if socket.url.startswith(local) else external.append(socket.url)
        ),
    )
    page.goto(f"{lab.base}/lab?token={lab.token}")
    page.locator(".jp-DirListing-content").wait_for()
    yield page
    context.close()


def open_notebook(page, name: str, marker: str):
    """Open ``name`` from the file browser; its panel, found by a cell's source."""
    page.locator(".jp-DirListing-content").get_by_text(name, exact=True).dblclick()
    panel = page.locator(
        ".jp-NotebookPanel",
        has=page.locator(".jp-CodeCell .jp-InputArea", has_text=marker),
    )
    panel.wait_for()
    page.wait_for_function(KERNEL_IDLE, arg=panel.element_handle())
    return panel


def run_all_cells(page, panel) -> dict:
    """Run > Run All Cells on the current notebook; what it shows when the run is over."""
    panel.evaluate(WATCH_FOR_RUN)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    page.wait_for_function(
        RUN_FINISHED, arg=panel.element_handle(), timeout=RUN_SECONDS * 1000
    )
    return panel.evaluate(READ_PANEL)


@pytest.fixture(scope="module")
def chapter(page):
    """The chapter opened and run from the UI: its panel and what it showed."""
    panel = open_notebook(page, CHAPTER, EXPLORER_CALL)
    start = time.monotonic()
    shown = run_all_cells(page, panel)
    shown["seconds"] = time.monotonic() - start
    return panel, shown


def test_every_cell_runs_from_the_run_menu_without_an_error(chapter):
    _, shown = chapter
    counts = [int(re.fullmatch(r"\[(\d+)\]:", p).group(1)) for p in shown["prompts"]]
    assert counts == list(range(1, len(counts) + 1)), shown["prompts"]
    assert shown["errors"] == [], "\n\n".join(shown["errors"])


def test_every_stored_figure_is_drawn(chapter):
    _, shown = chapter
    stored = nbformat.read(REPO / "chapters" / CHAPTER, as_version=4)
    figures = sum(
        any(mime.startswith("image/") for mime in output.get("data", {}))
        for cell in stored.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    assert figures > 0 and shown["images"] == figures


def read_explorer(explorer) -> dict:
    """The explorer's slider values, its text and the bytes of its picture."""
    values = {}
    for label in SLIDERS:
        slider = explorer.locator(
            ".widget-slider",
            has=explorer.page.locator(
                ".widget-label", has_text=re.compile(f"^{label}$")
            ),
        )
        values[label] = int(slider.locator(".widget-readout").inner_text())
    picture = explorer.locator("img.widget-image")
    return {
        "values": values,
        "text": explorer.locator(".widget-html pre").inner_text(),
        "png": bytes(picture.evaluate(IMAGE_BYTES)),
        "src": picture.get_attribute("src"),
    }


def expected_text(n: int, f: int, s: int, p: int, d: int) -> str:
    size = conv_output_size(n, f, stride=s, padding=p, dilation=d)
    numbers = f"floor(({n} + 2·{p} - {d}·({f} - 1) - 1) / {s}) + 1"
    return f"floor((n + 2p - d(f - 1) - 1) / s) + 1 = {numbers} = {size}"


def move_stride(page, explorer, key: str, before: dict) -> dict:
    """Press ``key`` on the stride slider's handle; the explorer once it has redrawn."""
    handle = explorer.locator(
        ".widget-slider",
        has=page.locator(".widget-label", has_text=re.compile("^s$")),
    ).locator(".noUi-handle")
    handle.focus()
    handle.press(key)
    # The kernel recomputes: wait for its new text and its new picture.
    page.wait_for_function(
        """([root, text, src]) => root.querySelector('.widget-html pre')?.textContent
             !== text && root.querySelector('img.widget-image')?.src !== src""",
        arg=[explorer.element_handle(), before["text"], before["src"]],
    )
    return read_explorer(explorer)


def test_the_explorers_stride_slider_redraws_the_figure_and_the_size(page, chapter):
    panel, _ = chapter
    explorer = (
        panel.locator(".jp-CodeCell", has_text=EXPLORER_CALL)
        .locator(".widget-vbox", has=page.locator(".widget-slider"))
        .first
    )
    explorer.scroll_into_view_if_needed()
    first = read_explorer(explorer)
    assert first["text"] == expected_text(**first["values"])
    assert first["png"].startswith(b"\x89PNG")

    moved = move_stride(page, explorer, "ArrowRight", first)
    assert moved["values"] == {**first["values"], "s": first["values"]["s"] + 1}
    assert moved["text"] == expected_text(**moved["values"])
    assert moved["png"].startswith(b"\x89PNG") and moved["png"] != first["png"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    screenshot = SCREENSHOTS / "jupyterlab-03_stride-explorer.png"
    page.screenshot(path=str(screenshot))
    assert screenshot.stat().st_size > 10_000

    back = move_stride(page, explorer, "ArrowLeft", moved)
    assert back["values"] == first["values"] and back["text"] == first["text"]
    assert back["png"] == first["png"]


def test_a_failing_cell_is_seen(page):
    # Guards the error check itself: the probe's stderr and traceback must be found.
    panel = open_notebook(page, PROBE, PROBE_SOURCE[-1])
    shown = run_all_cells(page, panel)
    assert len(shown["errors"]) == 2, shown["errors"]
    assert "a warning" in shown["errors"][0]
    assert "ZeroDivisionError" in shown["errors"][1]


def test_no_request_leaves_the_machine(page, chapter, external):
    assert page.url.startswith("http://127.0.0.1:")
    assert external == []
