"""The convolution-arithmetic explorer (_static/conv-explorer.js) against utils.arithmetic.

Run by `make browser` on the rendered book (or on BOOK_HTML), in headless Chromium.
The explorer of the stride chapter is set, through its controls as a reader sets
them, to a few hundred seeded random settings; at each one, what it draws (the
output size, the padding split, the grid of zeros, where each output's window
starts, which input rows and columns no window reads, and what pointing at a cell
highlights) must equal what utils.arithmetic computes for the same arguments
(n, kernel_size, stride, padding, dilation). Settings with no output must show a
message. The keyboard must reach the controls and the cells, and focusing a cell
must highlight what hovering does. The padding chapter's explorer (stride and
dilation fixed at 1) is checked the same way, and the still pictures must be
there for print and for readers without JavaScript. Screenshots of the explorer
mid-interaction go to SCREENSHOTS/conv-explorer-*.png.

Cells are in padded coordinates, as in utils.geometry: row 0 is the first row of
zeros before the input, and output i's window reads padded rows i*s + a*d,
a = 0, ..., f - 1, so it starts at i*s.
"""

from __future__ import annotations

import random
from urllib.parse import urljoin

import pytest

from tests.browser import SCREENSHOTS, blocker, console_recorder
from utils.arithmetic import conv_output_size, effective_kernel_size, padding_amounts

pytestmark = pytest.mark.browser

ROOT = "div.conv-explorer"
SEED = 13
SETTINGS = 200  # random settings driven through the stride chapter's controls
# The controls' ranges (conv-explorer.js), in the order of utils.arithmetic's arguments.
SIZES = {"n": (1, 16), "kernel_size": (1, 7), "stride": (1, 5), "dilation": (1, 4)}
PADDINGS = ["valid", "same", *range(7)]

# Everything the figure shows, read from the page in one call.
READ_STATE = """root => {
  const text = role => {
    const node = root.querySelector(`[data-role="${role}"]`);
    return node ? node.textContent : null;
  };
  const message = root.querySelector(".conv-explorer__message");
  const svg = root.querySelector("svg");
  return {
    status: root.dataset.status,
    outputSize: text("output-size"),
    padBefore: text("pad-before"),
    padAfter: text("pad-after"),
    formula: text("formula"),
    message: message.hidden ? "" : message.textContent,
    messageInFigure: message.closest(".conv-explorer__figure") !== null,
    svgShown: !svg.hasAttribute("hidden") && svg.getBoundingClientRect().height > 0,
    note: root.querySelector(".conv-explorer__note").hidden
      ? "" : root.querySelector(".conv-explorer__note").textContent,
    summary: root.querySelector(".conv-explorer__summary").textContent,
    inputs: [...root.querySelectorAll('[data-grid="input"]')].map(c => [
      +c.getAttribute("data-row"), +c.getAttribute("data-col"),
      c.getAttribute("data-kind"), c.classList.contains("conv-explorer__cell--unread")]),
    outputs: [...root.querySelectorAll('[data-grid="output"]')].map(c => [
      +c.getAttribute("data-row"), +c.getAttribute("data-col"),
      +c.getAttribute("data-window-row"), +c.getAttribute("data-window-col")]),
  };
}"""

# Point at a cell the way the mouse does (a bubbling mouseover) and read the highlight.
POINT_AT = """(root, [grid, row, col]) => {
  const cell = root.querySelector(
    `[data-grid="${grid}"][data-row="${row}"][data-col="${col}"]`);
  if (!cell) return null;
  cell.dispatchEvent(new MouseEvent("mouseover", {bubbles: true}));
  const marked = state => [...root.querySelectorAll(`.conv-explorer__cell--${state}`)]
    .map(c => [+c.dataset.row, +c.dataset.col]);
  return {read: marked("read"), fed: marked("fed"), active: marked("active")};
}"""

# One setting in one call (a round trip to the browser costs more than drawing): type
# each value into its control and send the events typing sends, read what the figure
# shows, then point at an output cell and at an input cell.
STEP = """(root, [settings, output, input]) => {
  for (const [name, value] of Object.entries(settings)) {
    const control = root.querySelector(`[name="${name}"]`);
    control.value = String(value);
    control.dispatchEvent(new Event("input", {bubbles: true}));
    control.dispatchEvent(new Event("change", {bubbles: true}));
  }
  const state = (READ_STATE)(root);
  const pointAt = POINT_AT;
  return {
    state,
    output: output && pointAt(root, ["output", ...output]),
    input: input && pointAt(root, ["input", ...input]),
  };
}""".replace("READ_STATE", READ_STATE).replace("POINT_AT", POINT_AT)

HIGHLIGHT = """root => {
  const marked = state => [...root.querySelectorAll(`.conv-explorer__cell--${state}`)]
    .map(c => [c.dataset.grid, +c.dataset.row, +c.dataset.col]);
  return {read: marked("read"), fed: marked("fed"), active: marked("active"),
          pointer: root.querySelector(".conv-explorer__pointer").textContent};
}"""


def expected(n, kernel_size, stride, padding, dilation):
    """What the figure must show, from utils.arithmetic (None: no output)."""
    before, after = padding_amounts(n, kernel_size, stride, padding, dilation)
    k_eff = effective_kernel_size(kernel_size, dilation)
    try:
        out = conv_output_size(n, kernel_size, stride, padding, dilation)
    except ValueError:
        out = None
    starts = [i * stride for i in range(out or 0)]
    taps = [a * dilation for a in range(kernel_size)]
    read = {start + tap for start in starts for tap in taps}
    return {
        "before": before,
        "after": after,
        "padded": n + before + after,
        "k_eff": k_eff,
        "out": out,
        "starts": starts,
        "taps": taps,
        # input rows (padded coordinates) inside no window; the same for columns
        "unread": [r for r in range(before, before + n) if r not in read],
    }


def reads(e, i, j):
    """The padded input cells output (i, j) reads."""
    return {
        (e["starts"][i] + a, e["starts"][j] + b) for a in e["taps"] for b in e["taps"]
    }


def feeds(e, r, c):
    """The outputs whose window reads padded input cell (r, c)."""
    return {
        (i, j)
        for i in range(e["out"])
        for j in range(e["out"])
        if (r, c) in reads(e, i, j)
    }


def set_controls(page, settings):
    """Type and choose each setting in its control, as a reader does."""
    for name, value in settings.items():
        if name == "padding":
            page.select_option(f"{ROOT} select[name=padding]", str(value))
        else:
            page.fill(f"{ROOT} input[name={name}]", str(value))


def check_state(state, settings, e, simple=False):
    """What the figure shows (READ_STATE) against expected(); returns nothing."""
    n, f, s, d = (settings[k] for k in ("n", "kernel_size", "stride", "dilation"))
    before, after, padded = e["before"], e["after"], e["padded"]
    where = f"settings {settings}"
    assert (state["padBefore"], state["padAfter"]) == (str(before), str(after)), where
    inside = {
        (r, c) for r in range(before, before + n) for c in range(before, before + n)
    }
    grid = {(r, c): kind for r, c, kind, _ in state["inputs"]}
    assert len(state["inputs"]) == padded * padded, where
    assert set(grid) == {(r, c) for r in range(padded) for c in range(padded)}, where
    assert {cell for cell, kind in grid.items() if kind == "input"} == inside, where
    if simple:
        numbers = f"= {n} + {before} + {after} − {f} + 1 = "
    else:
        numbers = f"= ⌊({n} + {before} + {after} − {d}·({f} − 1) − 1) / {s}⌋ + 1 = "
    assert numbers in state["formula"], (where, state["formula"])
    refused = s > 1 and d > 1
    assert ("Keras's Conv2D refuses" in state["note"]) == refused, where
    if e["out"] is None:
        assert state["status"] == "no-output", where
        assert state["outputSize"] == "none" and state["outputs"] == [], where
        message = state["message"]
        assert message.startswith("No output") and state["messageInFigure"], where
        assert f"= {e['k_eff']} cells" in message, (where, message)
        assert f"{n} + {before} + {after} = {padded}" in message, (where, message)
        assert state["formula"].rstrip().endswith("≤ 0"), where
        return
    out = e["out"]
    assert state["status"] == "ok" and state["message"] == "", where
    assert state["outputSize"] == f"{out}×{out}", where
    assert state["formula"].rstrip().endswith(f"= {out}"), (where, state["formula"])
    windows = {(i, j): (wr, wc) for i, j, wr, wc in state["outputs"]}
    assert len(state["outputs"]) == out * out, where
    assert windows == {
        (i, j): (e["starts"][i], e["starts"][j]) for i in range(out) for j in range(out)
    }, where
    unread = set(e["unread"])
    marked = {(r, c) for r, c, _, never in state["inputs"] if never}
    assert marked == {(r, c) for r, c in inside if r in unread or c in unread}, where
    marked_rows = {
        r
        for r in range(padded)
        if all((r, c) in marked for c in range(before, before + n))
    }
    assert marked_rows == unread, where


OPENED = []  # (context, what it logged) of every page the tests open


@pytest.fixture(scope="module")
def chapter(server, browser):
    """A function that opens a chapter's page and records its errors and requests."""

    def open_page(name, **options):
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, **options
        )
        page = context.new_page()
        seen = {"console_errors": [], "page_errors": [], "external": []}
        page.route("**/*", blocker(server, seen["external"]))
        page.on("console", console_recorder(seen["console_errors"]))
        page.on("pageerror", lambda error: seen["page_errors"].append(str(error)))
        page.goto(urljoin(server, f"chapters/{name}.html"), wait_until="load")
        OPENED.append((name, context, seen))
        return page

    yield open_page
    for _, context, _ in OPENED:
        context.close()


@pytest.fixture(scope="module")
def stride_page(chapter):
    page = chapter("03_stride")
    page.locator(ROOT).scroll_into_view_if_needed()
    return page


def test_random_settings_match_utils_arithmetic(stride_page):
    root = stride_page.locator(ROOT)
    rng = random.Random(SEED)
    no_output = refused = 0
    for _ in range(SETTINGS):
        settings = {
            name: rng.randint(*SIZES[name]) for name in ("n", "kernel_size", "stride")
        }
        settings["padding"] = rng.choice(PADDINGS)
        settings["dilation"] = rng.randint(*SIZES["dilation"])
        e = expected(*settings.values())  # in the order of utils.arithmetic's arguments
        # One random output cell and one random input cell to point at.
        output = input_cell = None
        if e["out"] is not None:
            output = [rng.randrange(e["out"]), rng.randrange(e["out"])]
            input_cell = [rng.randrange(e["padded"]), rng.randrange(e["padded"])]
        shown = root.evaluate(STEP, [settings, output, input_cell])
        check_state(shown["state"], settings, e)
        if e["out"] is None:
            no_output += 1
            continue
        refused += settings["stride"] > 1 and settings["dilation"] > 1
        where = (settings, output, input_cell)
        assert shown["output"] is not None and shown["input"] is not None, where
        assert {tuple(c) for c in shown["output"]["read"]} == reads(e, *output), where
        assert shown["output"]["active"] == [output] and shown["output"]["fed"] == []
        assert {tuple(c) for c in shown["input"]["fed"]} == feeds(e, *input_cell), where
        assert shown["input"]["active"] == [input_cell] and shown["input"]["read"] == []
    # The seed covers every kind of setting: some with no output, some Keras refuses.
    assert 10 <= no_output <= SETTINGS // 2 and refused >= 10, (no_output, refused)


@pytest.mark.parametrize(
    ("entered", "complaint"),
    [
        ({"n": "0"}, "input size n must be a whole number from 1 to 16 (got “0”)"),
        ({"n": ""}, "input size n must be a whole number from 1 to 16 (it is empty)"),
        ({"kernel_size": "2.5"}, "kernel size f must be a whole number from 1 to 7"),
        ({"stride": "9"}, "stride s must be a whole number from 1 to 5 (got “9”)"),
        ({"dilation": "-1"}, "dilation d must be a whole number from 1 to 4"),
    ],
)
def test_settings_that_are_not_settings_say_so(stride_page, entered, complaint):
    page = stride_page
    root = page.locator(ROOT)
    set_controls(
        page, {"n": 7, "kernel_size": 3, "stride": 2, "padding": 1, "dilation": 1}
    )
    set_controls(page, entered)
    state = root.evaluate(READ_STATE)
    assert state["status"] == "invalid" and not state["svgShown"]
    assert state["messageInFigure"] and complaint in state["message"], state["message"]
    assert page.locator(f"{ROOT} .conv-explorer__message").is_visible()
    assert complaint in state["summary"]  # the live region says it too
    set_controls(page, {"n": 7, "kernel_size": 3, "stride": 2, "dilation": 1})
    assert root.evaluate(READ_STATE)["status"] == "ok"


def test_a_kernel_larger_than_the_padded_input_shows_a_message(stride_page):
    page = stride_page
    settings = {
        "n": 3,
        "kernel_size": 3,
        "stride": 1,
        "padding": "valid",
        "dilation": 2,
    }
    set_controls(page, settings)
    state = page.locator(ROOT).evaluate(READ_STATE)
    check_state(state, settings, expected(3, 3, 1, "valid", 2))
    assert page.locator(f"{ROOT} .conv-explorer__message").is_visible()
    assert page.locator(f"{ROOT} .conv-explorer__overhang").is_visible()
    page.locator(ROOT).screenshot(path=str(SCREENSHOTS / "conv-explorer-no-output.png"))


def test_hovering_highlights_the_window_and_the_outputs_fed(stride_page):
    page = stride_page
    root = page.locator(ROOT)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # 8x8, 3x3, stride 2, no padding: three windows per axis, row 7 never read.
    settings = {
        "n": 8,
        "kernel_size": 3,
        "stride": 2,
        "padding": "valid",
        "dilation": 1,
    }
    set_controls(page, settings)
    e = expected(8, 3, 2, "valid", 1)
    assert e["unread"] == [7]
    page.hover(f'{ROOT} [data-grid="output"][data-row="2"][data-col="1"]')
    shown = root.evaluate(HIGHLIGHT)
    assert {(r, c) for _, r, c in shown["read"]} == reads(e, 2, 1)
    assert {(r, c) for r in range(4, 7) for c in range(2, 5)} == reads(e, 2, 1)
    assert "reads 3×3 = 9 cells: rows 4 to 6 and columns 2 to 4." in shown["pointer"]
    summary = root.locator(".conv-explorer__summary")
    assert "Input row 7 and column 7 are never read" in summary.inner_text()
    assert page.locator(f"{ROOT} .conv-explorer__window").is_visible()
    root.screenshot(path=str(SCREENSHOTS / "conv-explorer-hover-output.png"))

    page.hover(f'{ROOT} [data-grid="input"][data-row="4"][data-col="2"]')
    shown = root.evaluate(HIGHLIGHT)
    assert (
        {(r, c) for _, r, c in shown["fed"]}
        == feeds(e, 4, 2)
        == {(1, 0), (1, 1), (2, 0), (2, 1)}
    )
    assert "feeds 4 outputs" in shown["pointer"]
    root.screenshot(path=str(SCREENSHOTS / "conv-explorer-hover-input.png"))

    page.hover(f'{ROOT} [data-grid="input"][data-row="7"][data-col="3"]')
    shown = root.evaluate(HIGHLIGHT)
    assert shown["fed"] == [] and "never read" in shown["pointer"]

    # Dilation 2 with 'same': the window spans 5x5, but only its 9 taps are read.
    settings = {"n": 7, "kernel_size": 3, "stride": 1, "padding": "same", "dilation": 2}
    set_controls(page, settings)
    e = expected(7, 3, 1, "same", 2)
    page.hover(f'{ROOT} [data-grid="output"][data-row="3"][data-col="0"]')
    shown = root.evaluate(HIGHLIGHT)
    assert {(r, c) for _, r, c in shown["read"]} == reads(e, 3, 0)
    assert len(shown["read"]) == 9
    root.screenshot(path=str(SCREENSHOTS / "conv-explorer-hover-dilated.png"))
    page.mouse.move(0, 0)  # leaving the figure clears the highlight
    assert root.evaluate(HIGHLIGHT)["read"] == []


def test_keyboard_reaches_controls_and_cells_and_focus_highlights(stride_page):
    page = stride_page
    root = page.locator(ROOT)
    settings = {"n": 8, "kernel_size": 3, "stride": 2, "padding": "same", "dilation": 1}
    set_controls(page, settings)
    e = expected(8, 3, 2, "same", 1)
    assert (e["before"], e["after"]) == (0, 1)
    # Every control has its label.
    for label in ["input size n", "kernel size f", "stride s", "padding", "dilation d"]:
        assert page.get_by_label(label, exact=True).count() == 1, label
    # Click the text above the figure, then Tab: the controls, then the two grids.
    page.click("#explore-the-arithmetic > p >> nth=0")
    focused = []
    for _ in range(7):
        page.keyboard.press("Tab")
        focused.append(
            page.evaluate(
                "() => { const a = document.activeElement;"
                " return a.dataset.grid ? `${a.dataset.grid} ${a.dataset.row},"
                "${a.dataset.col}` : a.name; }"
            )
        )
    assert focused == [
        "n",
        "kernel_size",
        "stride",
        "padding",
        "dilation",
        "input 0,0",
        "output 0,0",
    ]
    # The output cell has focus: its window is highlighted as on hover.
    shown = root.evaluate(HIGHLIGHT)
    assert {(r, c) for _, r, c in shown["read"]} == reads(e, 0, 0)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    shown = root.evaluate(HIGHLIGHT)
    assert shown["active"] == [["output", 1, 2]]
    assert {(r, c) for _, r, c in shown["read"]} == reads(e, 1, 2)
    assert root.evaluate(POINT_AT, ["output", 1, 2])["read"] == [
        [r, c] for _, r, c in shown["read"]
    ]  # focus and hover highlight the same cells
    root.screenshot(path=str(SCREENSHOTS / "conv-explorer-keyboard-output.png"))
    # Back to the input grid; the last row of 'same' is the zero after the input.
    page.keyboard.press("Shift+Tab")
    for _ in range(8):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowRight")
    shown = root.evaluate(HIGHLIGHT)
    assert shown["active"] == [["input", 8, 1]]
    assert {(r, c) for _, r, c in shown["fed"]} == feeds(e, 8, 1) == {(3, 0)}
    assert shown["pointer"] == (
        "Zero of padding at row 8, column 1: feeds 1 output, in output row 3 and column 0."
    )
    root.screenshot(path=str(SCREENSHOTS / "conv-explorer-keyboard-input.png"))
    page.keyboard.press("Shift+Tab")  # leaving the grid clears the highlight
    assert root.evaluate(HIGHLIGHT)["active"] == []


def test_the_still_picture_is_for_print_and_for_readers_without_javascript(
    stride_page, chapter
):
    for page in [stride_page, chapter("02_padding")]:
        still = page.locator(".tag_conv-explorer-still img")
        assert still.count() == 1
        assert page.locator(ROOT).is_visible() and not still.is_visible()
        page.emulate_media(media="print")
        assert still.is_visible() and not page.locator(ROOT).is_visible()
        page.emulate_media(media="screen")
    for name in ["02_padding", "03_stride"]:
        page = chapter(name, java_script_enabled=False)
        assert page.locator(".tag_conv-explorer-still img").is_visible()
        assert "The still picture" in page.locator(ROOT).inner_text()


def test_padding_chapter_starts_on_the_asymmetric_same_split(chapter):
    page = chapter("02_padding")
    root = page.locator(ROOT)
    root.scroll_into_view_if_needed()
    # Stride and dilation are fixed at 1 there: no controls for them.
    assert page.locator(f"{ROOT} input[name=stride]").count() == 0
    assert page.locator(f"{ROOT} input[name=dilation]").count() == 0
    assert "Fixed here: stride s = 1, dilation d = 1." in root.inner_text()
    start = {"n": 5, "kernel_size": 4, "stride": 1, "padding": "same", "dilation": 1}
    e = expected(5, 4, 1, "same", 1)
    assert (e["before"], e["after"], e["out"]) == (1, 2, 5)
    state = root.evaluate(READ_STATE)
    check_state(state, start, e, simple=True)
    assert "= 5 + 1 + 2 − 4 + 1 = 5" in state["formula"]
    page.hover(f'{ROOT} [data-grid="output"][data-row="4"][data-col="4"]')
    shown = root.evaluate(HIGHLIGHT)
    assert {(r, c) for _, r, c in shown["read"]} == reads(e, 4, 4)
    root.screenshot(path=str(SCREENSHOTS / "conv-explorer-padding-chapter.png"))
    rng = random.Random(SEED)
    for _ in range(40):
        n, f = rng.randint(*SIZES["n"]), rng.randint(*SIZES["kernel_size"])
        settings = {"n": n, "kernel_size": f, "padding": rng.choice(PADDINGS)}
        shown = root.evaluate(STEP, [settings, None, None])
        e = expected(n, f, 1, settings["padding"], 1)
        check_state(shown["state"], {**settings, "stride": 1, "dilation": 1}, e, True)


def test_no_console_errors_and_no_request_leaves_the_machine(stride_page):
    # Runs last: every page the tests above opened, after all their interaction.
    assert OPENED
    for name, _, seen in OPENED:
        assert seen == {"console_errors": [], "page_errors": [], "external": []}, name
