"""The receptive-field explorer of chapter 6 (_static/rf-explorer.js) in headless Chromium.

The explorer is driven the way a reader drives it: typing the input size, adding and
removing layers, choosing kernel, stride, dilation and padding in the selects, and
hovering or focusing units. At every setting what it displays must equal what
`utils.receptive_field` computes for the same stack built as a Keras model, and its path
counts must equal the gradient of the unit in that model with every weight set to 1, so
the JavaScript and the Python can never drift apart.

Run by `make browser` after `make html`; BOOK_HTML and BOOK_SCREENSHOTS point it at
another build (see tests/test_book_in_browser.py). Screenshots: rf-explorer-*.png.
"""

from __future__ import annotations

import random
from urllib.parse import urljoin

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.browser import SCREENSHOTS, blocker, console_recorder
from utils import receptive_field as rf

pytestmark = pytest.mark.browser

PAGE = "chapters/07_receptive_field.html"
ROOT = ".rf-explorer"
STILL = ".tag_rf-explorer-still"
SEED = 13
SETTINGS = 220
# The starting stack of the chapter's <div class="rf-explorer" ...>.
START = (17, [(3, 1, 1, "valid"), (3, 2, 1, "valid"), (3, 1, 1, "valid")])
MINUS = "\u2212"

# Everything the figure displays, read from the DOM in one round trip.
READ = """root => {
  const text = (node, key) => node.querySelector(`[data-key="${key}"]`).textContent;
  const message = root.querySelector('.rf-explorer__message');
  const field = root.querySelector('.rf-field');
  const summary = root.querySelector('.rf-explorer__summary');
  const spans = {};
  summary.querySelectorAll('[data-key]').forEach(s => { spans[s.dataset.key] = s.textContent; });
  const bounds = cells => {  // the box around the input pixels with a path to the unit
    if (!cells.length) return null;
    const is = cells.map(c => +c.dataset.i), js = cells.map(c => +c.dataset.j);
    return {top: Math.min(...is), bottom: Math.max(...is),
            left: Math.min(...js), right: Math.max(...js)};
  };
  return {
    state: root.dataset.state,
    selected: root.dataset.selected || null,
    message: message.hidden ? '' : message.textContent,
    messageShown: !message.hidden && message.offsetHeight > 0,
    summary: summary.textContent,
    spans: spans,
    rows: [...root.querySelectorAll('tbody tr')].map(tr => ({
      layer: Number(tr.dataset.layer),
      n: text(tr, 'n'), r: text(tr, 'r'), S: text(tr, 'S'), P: text(tr, 'P'),
    })),
    maps: root.querySelectorAll('.rf-explorer__map').length,
    box: field && root.querySelector('.rf-explorer__map') ? {
      top: field.dataset.top, bottom: field.dataset.bottom,
      left: field.dataset.left, right: field.dataset.right,
    } : null,
    reached: bounds([...root.querySelectorAll('.rf-explorer__map[data-layer="0"] .rf-cell')]
      .filter(c => c.dataset.paths !== '0')),
  };
}"""

# The path counts of every map: {layer: [[count of (i, j)]]}.
READ_PATHS = """root => Object.fromEntries(
  [...root.querySelectorAll('.rf-explorer__map')].map(figure => {
    const cells = [...figure.querySelectorAll('.rf-cell')];
    const n = Math.round(Math.sqrt(cells.length));
    const grid = Array.from({length: n}, () => new Array(n).fill(0));
    cells.forEach(c => { grid[+c.dataset.i][+c.dataset.j] = +c.dataset.paths; });
    return [figure.dataset.layer, grid];
  }))"""


def number(text: str) -> int:
    return int(text.replace(MINUS, "-"))


# --- The same stack in Keras -------------------------------------------------------------


def keras_stack(size: int, layers, *, ones: bool = False) -> keras.Sequential:
    """Square Conv2D layers named conv1, conv2, ...: (kernel, stride, dilation, padding)."""
    convs = [
        keras.layers.Conv2D(
            1,
            k,
            strides=s,
            dilation_rate=d,
            padding=p,
            use_bias=False,
            kernel_initializer="ones" if ones else "glorot_uniform",
            name=f"conv{index}",
        )
        for index, (k, s, d, p) in enumerate(layers, start=1)
    ]
    return keras.Sequential([keras.Input((size, size, 1)), *convs])


def expected(size: int, layers):
    """``(rows, failing)``: utils.receptive_field's rows, and the first layer Keras refuses.

    ``failing`` is None when Keras builds the whole stack; otherwise the rows are those
    of the layers below it.
    """
    try:
        return rf.receptive_field(keras_stack(size, layers)), None
    except ValueError:
        pass
    for failing in range(1, len(layers) + 1):
        try:
            keras_stack(size, layers[:failing])
        except ValueError:
            below = layers[: failing - 1]
            return (
                rf.receptive_field(keras_stack(size, below)) if below else []
            ), failing
    raise AssertionError(
        f"Keras refused {layers} on {size}x{size} but every prefix builds"
    )


def paths_in_keras(
    size: int, layers, layer: int, i: int, j: int
) -> dict[int, np.ndarray]:
    """Per map m below conv{layer}: the gradient of unit (i, j) with every weight 1.

    The gradient with respect to map m is that of the same unit in the stack of layers
    m + 1 .. ``layer`` on an input of map m's size: with all-ones kernels it counts the
    paths from each position of map m to the unit.
    """
    sizes = [size] + [row.output_size[0] for row in expected(size, layers)[0]]
    counts = {}
    for m in range(layer):
        model = keras_stack(sizes[m], layers[m:layer], ones=True)
        x = tf.zeros((1, sizes[m], sizes[m], 1))
        with tf.GradientTape() as tape:
            tape.watch(x)
            unit = model(x)[0, i, j, 0]
        counts[m] = tape.gradient(unit, x).numpy()[0, :, :, 0]
    return counts


def random_stack(rng: random.Random):
    """A random input size and 1 to 5 layers, a few of them impossible."""
    layers = []
    for _ in range(rng.randint(1, 5)):
        k = rng.choice([1, 2, 3, 3, 3, 4, 5, 7])
        p = rng.choice(["valid", "same"])
        if rng.random() < 0.2:  # dilated; rarely strided too, which Keras refuses
            d, s = rng.randint(2, 4), (1 if rng.random() < 0.85 else rng.randint(2, 4))
        else:
            d, s = 1, rng.choice([1, 1, 1, 2, 2, 3])
        layers.append((k, s, d, p))
    return rng.randint(3, 32), layers


# --- Driving the figure like a reader ----------------------------------------------------


@pytest.fixture
def explorer(server, browser):
    """Chapter 6 in a fresh page: (page, the explorer's root, what went wrong)."""
    context = browser.new_context(viewport={"width": 1280, "height": 2000})
    page = context.new_page()
    seen = {"console_errors": [], "page_errors": [], "external": []}
    page.route("**/*", blocker(server, seen["external"]))
    page.on("console", console_recorder(seen["console_errors"]))
    page.on("pageerror", lambda error: seen["page_errors"].append(str(error)))
    page.goto(urljoin(server, PAGE), wait_until="load")
    root = page.locator(ROOT)
    root.locator(".rf-explorer__map").first.wait_for()
    yield page, root, seen
    context.close()


def no_errors(seen) -> None:
    assert seen == {"console_errors": [], "page_errors": [], "external": []}, seen


# The same steps as Controls.set in one round trip: each control gets its new value and
# the events a browser fires when a reader changes it ('input', then 'change'); the
# buttons are clicked. Playwright's fill and select_option fire the same events, but
# take a round trip and an actionability check each.
SET_QUICKLY = """(root, [size, layers]) => {
  const fire = (control, value) => {
    control.value = value;
    control.dispatchEvent(new Event('input', {bubbles: true}));
    control.dispatchEvent(new Event('change', {bubbles: true}));
  };
  const input = root.querySelector('input[type=number]');
  if (input.value !== size) fire(input, size);
  const count = () => root.querySelectorAll('tbody tr').length - 1;
  while (count() > layers.length) root.querySelector(`[data-remove="${count()}"]`).click();
  while (count() < layers.length) root.querySelector('.rf-explorer__add').click();
  layers.forEach((layer, index) => layer.forEach((value, m) => {
    const key = 'ksdp'[m];
    const control = root.querySelector(`select[data-layer="${index + 1}"][data-field="${key}"]`);
    if (control.value !== String(value)) fire(control, String(value));
  }));
}"""


class Controls:
    """The explorer's controls, set as a reader sets them; remembers what they show."""

    def __init__(self, root):
        self.root = root
        self.size = START[0]
        self.layers = list(START[1])

    def set(self, size: int | str, layers, *, quickly: bool = False) -> None:
        """Type the input size, add or remove layers, choose each layer's settings.

        ``quickly``: the same in one round trip (SET_QUICKLY) rather than a Playwright
        fill, click or select_option per control.
        """
        if quickly:
            self.root.evaluate(SET_QUICKLY, [str(size), [list(x) for x in layers]])
            self.size, self.layers = size, [tuple(x) for x in layers]
            return
        if str(size) != str(self.size):
            self.root.get_by_label("Input size").fill(str(size))
            self.size = size
        while len(self.layers) > len(layers):
            self.root.get_by_role(
                "button", name=f"Remove conv{len(self.layers)}"
            ).click()
            self.layers.pop()
        while len(self.layers) < len(layers):
            self.root.get_by_role("button", name="Add a layer").click()
            # A new layer is 3x3, stride 1, dilation 1, padded like the one below it.
            self.layers.append((3, 1, 1, self.layers[-1][3]))
        for index, (now, new) in enumerate(zip(self.layers, layers), start=1):
            for key, a, b in zip("ksdp", now, new):
                if a != b:
                    self.root.locator(
                        f"select[data-layer='{index}'][data-field='{key}']"
                    ).select_option(str(b))
            self.layers[index - 1] = tuple(new)


def hover_unit(page, root, layer: int, i: int, j: int) -> None:
    root.locator(
        f".rf-explorer__map[data-layer='{layer}'] .rf-cell[data-i='{i}'][data-j='{j}']"
    ).hover()


def check_display(shown, rows, failing, layers) -> None:
    """The table, the message and the number of maps against utils.receptive_field."""
    assert len(rows) == (len(layers) if failing is None else failing - 1)
    table = shown["rows"]
    assert [row["layer"] for row in table] == list(range(len(layers) + 1))
    for row, displayed in zip(rows, table[1:]):
        assert row.size[0] == row.size[1] and row.stride[0] == row.stride[1]
        assert displayed["n"] == f"{row.output_size[0]} \u00d7 {row.output_size[1]}"
        assert (
            number(displayed["r"]),
            number(displayed["S"]),
            number(displayed["P"]),
        ) == (
            row.size[0],
            row.stride[0],
            row.padding[0],
        ), (row, displayed)
    for displayed in table[1 + len(rows) :]:
        assert displayed["n"] == displayed["r"] == "\u2014"
    assert shown["maps"] == len(rows) + 1
    if failing is None:
        assert shown["state"] == "ok" and shown["message"] == ""
    else:
        assert shown["state"] == "error" and shown["messageShown"], shown
        _, s, d, _ = layers[failing - 1]
        reason = (
            "refuses a stride above 1"
            if s > 1 and d > 1
            else "shrinks the input to nothing"
        )
        assert f"conv{failing}" in shown["message"] and reason in shown["message"], (
            shown
        )
    assert shown["summary"].strip()  # never a blank


def check_unit(shown, row, layer: int, i: int, j: int) -> None:
    """The summary and the blue box of unit (i, j) of conv{layer}."""
    spans = shown["spans"]
    assert shown["selected"] == f"{layer},{i},{j}"
    assert (spans["layer"], int(spans["i"]), int(spans["j"])) == (f"conv{layer}", i, j)
    assert (number(spans["r"]), number(spans["S"]), number(spans["P"])) == (
        row.size[0],
        row.stride[0],
        row.padding[0],
    )
    (top, bottom), (left, right) = rf.input_region(row, i, j)
    region = {"top": top, "bottom": bottom, "left": left, "right": right}
    assert {key: number(spans[key]) for key in region} == region
    assert {key: int(value) for key, value in shown["box"].items()} == region


# --- Tests -------------------------------------------------------------------------------


def test_random_stacks_match_utils_receptive_field(explorer):
    page, root, seen = explorer
    rng = random.Random(SEED)
    controls = Controls(root)
    counts = {"possible": 0, "impossible": 0, "same": 0, "dilated": 0, "strided": 0}
    for setting in range(SETTINGS):
        size, layers = random_stack(rng)
        # One setting in ten through Playwright's own fill, click and select_option.
        controls.set(size, layers, quickly=setting % 10 != 0)
        rows, failing = expected(size, layers)
        if rows:  # point at a random unit of a random layer
            layer = rng.randint(1, len(rows))
            n = rows[layer - 1].output_size[0]
            i, j = rng.randrange(n), rng.randrange(n)
            hover_unit(page, root, layer, i, j)
        shown = root.evaluate(READ)
        context = f"setting {setting}: input {size}, layers {layers}"
        try:
            check_display(shown, rows, failing, layers)
            if rows:
                check_unit(shown, rows[layer - 1], layer, i, j)
                # Every input pixel with a path to the unit lies inside its field.
                box = {key: int(value) for key, value in shown["box"].items()}
                hit = shown["reached"]
                assert box["top"] <= hit["top"] and hit["bottom"] <= box["bottom"]
                assert box["left"] <= hit["left"] and hit["right"] <= box["right"]
        except AssertionError as error:
            raise AssertionError(f"{context}: {error}") from error
        counts["possible" if failing is None else "impossible"] += 1
        counts["same"] += any(p == "same" for *_, p in layers)
        counts["dilated"] += any(d > 1 for _, _, d, _ in layers)
        counts["strided"] += any(s > 1 for _, s, _, _ in layers)
    # The random settings cover every kind of layer and both outcomes.
    assert counts["possible"] >= 140 and counts["impossible"] >= 20, counts
    assert min(counts["same"], counts["dilated"], counts["strided"]) >= 30, counts
    no_errors(seen)


PATH_STACKS = [
    START,
    (24, [(3, 1, 1, "valid")] * 8),  # the bell shape
    (13, [(3, 1, 1, "same"), (3, 2, 1, "same"), (2, 1, 1, "same")]),
    (16, [(3, 1, 2, "valid"), (3, 1, 2, "same"), (4, 2, 1, "same")]),
    (20, [(5, 3, 1, "same"), (2, 1, 1, "valid"), (3, 1, 3, "same")]),
    (9, [(1, 2, 1, "valid"), (3, 1, 1, "same")]),
]


def test_path_counts_equal_the_keras_gradient(explorer):
    page, root, seen = explorer
    controls = Controls(root)
    for stack, (size, layers) in enumerate(PATH_STACKS):
        controls.set(size, layers)
        rows, failing = expected(size, layers)
        assert failing is None
        rng = random.Random(stack)
        for layer in sorted({len(rows), rng.randint(1, len(rows))}):
            n = rows[layer - 1].output_size[0]
            i, j = (
                (n // 2, n // 2)
                if layer == len(rows)
                else (rng.randrange(n), rng.randrange(n))
            )
            hover_unit(page, root, layer, i, j)
            shown = root.evaluate(READ_PATHS)
            where = f"input {size}, layers {layers}, conv{layer} unit ({i}, {j})"
            for m, gradient in paths_in_keras(size, layers, layer, i, j).items():
                np.testing.assert_array_equal(
                    np.array(shown[str(m)]), gradient, err_msg=f"{where}, map {m}"
                )
            one_hot = np.eye(n)[i][:, None] * np.eye(n)[j][None, :]
            np.testing.assert_array_equal(np.array(shown[str(layer)]), one_hot)
            for above in range(layer + 1, len(rows) + 1):
                assert not np.any(shown[str(above)]), where
        if stack == 1:  # eight 3x3 layers: the shading is the bell-shaped ERF
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            root.screenshot(path=str(SCREENSHOTS / "rf-explorer-gaussian.png"))
    no_errors(seen)


def test_hover_shows_the_field_of_a_unit(explorer):
    page, root, seen = explorer
    shown = root.evaluate(READ)
    rows, _ = expected(*START)
    check_display(shown, rows, None, START[1])
    check_unit(shown, rows[2], 3, 2, 2)  # at first: the centre unit of the last layer
    hover_unit(page, root, 2, 1, 4)
    check_unit(root.evaluate(READ), rows[1], 2, 1, 4)
    # Hovering an input pixel tells how many paths lead from it to the unit.
    root.locator(
        ".rf-explorer__map[data-layer='0'] .rf-cell[data-i='3'][data-j='9']"
    ).hover()
    pixel = root.locator(".rf-explorer__pixel").inner_text()
    assert "Input pixel (3, 9) reaches conv2's unit (1, 4) along 4 paths" in pixel
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    root.screenshot(path=str(SCREENSHOTS / "rf-explorer-hover.png"))
    # 'same' padding: the field reaches into the zeros drawn around the input.
    Controls(root).set(12, [(3, 1, 1, "same"), (3, 2, 1, "same"), (3, 1, 2, "same")])
    rows, _ = expected(12, [(3, 1, 1, "same"), (3, 2, 1, "same"), (3, 1, 2, "same")])
    hover_unit(page, root, 3, 0, 5)
    shown = root.evaluate(READ)
    check_unit(shown, rows[2], 3, 0, 5)
    assert (shown["box"]["top"], shown["box"]["right"]) == ("-5", "17")
    assert root.locator(".rf-pad").count() > 0 and "zero padding" in shown["summary"]
    root.screenshot(path=str(SCREENSHOTS / "rf-explorer-same-padding.png"))
    no_errors(seen)


def test_keyboard_only(explorer):
    page, root, seen = explorer
    rows, _ = expected(*START)
    # Every control has a label; Tab walks from the input size through the layers' controls.
    size = root.get_by_label("Input size")
    size.focus()
    for index in (1, 2, 3):
        for what in ("kernel size", "stride", "dilation", "padding"):
            assert root.get_by_label(f"conv{index} {what}").count() == 1
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == root.get_by_label(
        "conv1 kernel size"
    ).get_attribute("id")
    page.keyboard.press("ArrowDown")  # kernel 3 -> 4
    assert root.get_by_label("conv1 kernel size").input_value() == "4"
    rows_4, _ = expected(17, [(4, 1, 1, "valid"), *START[1][1:]])
    check_display(root.evaluate(READ), rows_4, None, START[1])
    page.keyboard.press("ArrowUp")
    check_display(root.evaluate(READ), rows, None, START[1])
    # On to the maps: the input's, then conv1's (one tab stop each).
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate(
            "document.activeElement.closest('.rf-explorer__map') !== null"
        ):
            break
    focused = "document.activeElement.closest('.rf-explorer__map').dataset.layer"
    assert page.evaluate(focused) == "0"
    page.keyboard.press("Tab")
    assert page.evaluate(focused) == "1"
    check_unit(root.evaluate(READ), rows[0], 1, 0, 0)  # focusing a unit selects it
    for key in ("ArrowRight", "ArrowRight", "ArrowDown", "ArrowRight"):
        page.keyboard.press(key)
    check_unit(root.evaluate(READ), rows[0], 1, 1, 3)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    root.screenshot(path=str(SCREENSHOTS / "rf-explorer-keyboard.png"))
    page.keyboard.press("Tab")
    page.keyboard.press("End")
    check_unit(root.evaluate(READ), rows[1], 2, 6, 6)
    # Shift+Tab back to the button that adds a layer, and press it.
    add = root.get_by_role("button", name="Add a layer")
    add.focus()
    page.keyboard.press("Enter")
    rows_4, _ = expected(17, [*START[1], (3, 1, 1, "valid")])
    shown = root.evaluate(READ)
    check_display(shown, rows_4, None, [*START[1], (3, 1, 1, "valid")])
    check_unit(shown, rows_4[3], 4, 1, 1)  # the new layer's centre unit
    assert "polite" == root.locator(".rf-explorer__summary").get_attribute("aria-live")
    no_errors(seen)


IMPOSSIBLE = [
    ("2", START[1], "whole number from 3 to 48"),
    ("49", START[1], "whole number from 3 to 48"),
    ("", START[1], "whole number from 3 to 48"),
    ("17", [(3, 2, 2, "valid")], "refuses a stride above 1"),
    ("5", [(3, 1, 1, "valid"), (5, 1, 1, "valid")], "shrinks the input to nothing"),
    ("17", [(3, 1, 1, "valid")] * 4 + [(3, 2, 2, "same")], "refuses a stride above 1"),
]


def test_impossible_settings_give_a_message(explorer):
    _, root, seen = explorer
    controls = Controls(root)
    for size, layers, words in IMPOSSIBLE:
        controls.set(size, layers)
        shown = root.evaluate(READ)
        assert shown["state"] == "error" and shown["messageShown"], (size, layers)
        assert words in shown["message"] and shown["summary"].strip(), shown
        if words == "refuses a stride above 1":
            with pytest.raises(ValueError, match="dilation_rate"):
                keras_stack(int(size), layers)
        if words == "shrinks the input to nothing":
            with pytest.raises(ValueError):
                keras_stack(int(size), layers)
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            root.screenshot(path=str(SCREENSHOTS / "rf-explorer-error.png"))
        # Back to the starting stack: the message goes, the maps come back.
        controls.set(*START)
        shown = root.evaluate(READ)
        assert shown["state"] == "ok" and shown["message"] == "" and shown["maps"] == 4
    no_errors(seen)


def test_layers_can_be_added_and_removed_within_limits(explorer):
    page, root, seen = explorer
    # Removing a layer below the unit shown keeps that unit, now one layer lower.
    hover_unit(page, root, 3, 1, 2)
    root.get_by_role("button", name="Remove conv2").click()
    stack = [START[1][0], START[1][2]]
    check_unit(root.evaluate(READ), expected(17, stack)[0][1], 2, 1, 2)
    # Removing the layer shown shows the centre of the last layer.
    root.get_by_role("button", name="Remove conv2").click()
    check_unit(root.evaluate(READ), expected(17, stack[:1])[0][0], 1, 7, 7)
    Controls(root).set(*START, quickly=True)
    add = root.get_by_role("button", name="Add a layer")
    while add.is_enabled():
        add.click()
    assert root.locator("tbody tr").count() == 1 + 8
    while root.get_by_role("button", name="Remove conv2").count():
        root.get_by_role("button", name="Remove conv2").click()
    assert root.locator("tbody tr").count() == 1 + 1
    assert root.get_by_role("button", name="Remove conv1").is_disabled()
    shown = root.evaluate(READ)
    check_unit(shown, expected(17, START[1][:1])[0][0], 1, 7, 7)
    no_errors(seen)


def test_still_picture_for_print_and_without_javascript(
    explorer,
    browser,
    server,
):
    page, root, seen = explorer
    still = page.locator(STILL)
    assert root.is_visible() and not still.is_visible()  # screen, JavaScript on
    page.emulate_media(media="print")
    assert not root.is_visible() and still.is_visible()
    assert still.locator("img").evaluate("img => img.complete && img.naturalWidth > 0")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    still.screenshot(path=str(SCREENSHOTS / "rf-explorer-print.png"))
    no_errors(seen)

    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(urljoin(server, PAGE), wait_until="load")
        assert page.locator(STILL).locator("img").is_visible()
        assert page.locator(".rf-explorer__fallback").is_visible()
        assert page.locator(".rf-explorer__map").count() == 0
    finally:
        context.close()
