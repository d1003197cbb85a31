/*
 * The convolution-arithmetic explorer of the padding and stride chapters.
 *
 * Jupyter Book loads this file on every page. It acts only on
 * <div class="conv-explorer"> elements, so it does nothing on the other pages,
 * and it never throws: a setting that has no output is a message in the figure.
 *
 * A container's data attributes give the starting settings, in the order of every
 * signature of utils.arithmetic (n, kernel_size, stride, padding, dilation):
 *
 *   <div class="conv-explorer" data-n="7" data-kernel-size="3" data-stride="2"
 *        data-padding="1" data-dilation="1"></div>
 *
 * data-padding is 'valid', 'same' or a number of zeros per side.
 * data-fixed="stride dilation" shows those settings as fixed values instead of
 * controls (the padding chapter, where every convolution has stride 1).
 *
 * The arithmetic is that of utils/arithmetic.py along one axis (the figure is
 * square, the same on rows and columns):
 *
 *   k_eff  = d(f - 1) + 1                                    effective_kernel_size
 *   'same': total = max((ceil(n / s) - 1) s + k_eff - n, 0),  same_padding
 *           before = floor(total / 2), after = total - before
 *   output = floor((n + before + after - k_eff) / s) + 1     conv_output_size
 *
 * and, as in utils/geometry.py, output i reads the padded cells i*s + a*d for
 * a = 0, ..., f - 1: its window starts at padded cell i*s.
 * tests/test_conv_explorer_in_browser.py sets the controls to random settings and
 * checks what the figure shows against those Python functions.
 *
 * What the figure exposes (cells in padded coordinates: row and column 0 are the
 * first zeros before the input, or the input's first pixel when there are none):
 *   container     data-status: "ok", "no-output" (the kernel does not fit) or
 *                 "invalid" (a control holds something that is not a setting)
 *   input grid    <rect data-grid="input" data-kind="input|padding" data-row
 *                 data-col>, class conv-explorer__cell--unread when no window
 *                 reads its row or its column
 *   output grid   <rect data-grid="output" data-row data-col data-window-row
 *                 data-window-col> (where that output's window starts)
 *   highlight     conv-explorer__cell--read (input cells the pointed output
 *                 reads), conv-explorer__cell--fed (outputs the pointed input
 *                 cell feeds), conv-explorer__cell--active (the pointed cell)
 */
(function () {
  "use strict";

  const SVG_NS = "http://www.w3.org/2000/svg";
  const LIVE_CLASS = "conv-explorer-live"; // on <html>: the still pictures can hide
  const CELL = 22; // side of a cell, in SVG units
  const SIDE = 6; // blank space left and right of the panels
  const TOP = 48; // room above a grid for its title and its ruler
  const GAP = 46; // between the panels, for the arrow
  const MAX_ROW = 820; // panels side by side up to this width, else stacked

  // One control per argument, in the order of utils.arithmetic's signatures.
  const CONTROLS = [
    // key: of the settings and of the container's dataset; name: of the argument.
    { key: "n", name: "n", label: "input size n", min: 1, max: 16, start: 7 },
    { key: "kernelSize", name: "kernel_size", label: "kernel size f", min: 1, max: 7, start: 3 },
    { key: "stride", name: "stride", label: "stride s", min: 1, max: 5, start: 2 },
    { key: "padding", name: "padding", label: "padding", min: 0, max: 6, start: "1" },
    { key: "dilation", name: "dilation", label: "dilation d", min: 1, max: 4, start: 1 },
  ];
  const PADDING_NAMES = ["valid", "same"];

  // ---- the arithmetic of utils/arithmetic.py ------------------------------------

  function effectiveKernelSize(kernelSize, dilation) {
    return (kernelSize - 1) * dilation + 1;
  }

  function samePadding(n, kernelSize, stride, dilation) {
    const kEff = effectiveKernelSize(kernelSize, dilation);
    const total = Math.max((Math.ceil(n / stride) - 1) * stride + kEff - n, 0);
    const before = Math.floor(total / 2);
    return [before, total - before];
  }

  function paddingAmounts(n, kernelSize, stride, padding, dilation) {
    if (padding === "valid") return [0, 0];
    if (padding === "same") return samePadding(n, kernelSize, stride, dilation);
    return [padding, padding];
  }

  /** Every size of one setting, and which padded rows no window reads. */
  function arithmetic(x) {
    const kEff = effectiveKernelSize(x.kernelSize, x.dilation);
    const [before, after] = paddingAmounts(
      x.n, x.kernelSize, x.stride, x.padding, x.dilation);
    const padded = x.n + before + after;
    const a = {
      kEff, before, after, padded,
      // floor, as Python's //, also for a negative numerator
      out: Math.floor((padded - kEff) / x.stride) + 1,
      fits: padded >= kEff,
      taps: [], // offsets of the kernel's weights from its window's start
      starts: [], // where each output's window starts (padded coordinates)
      unread: [], // padded rows (and columns) of the input that no window reads
    };
    for (let t = 0; t < x.kernelSize; t++) a.taps.push(t * x.dilation);
    if (a.fits) {
      const read = new Uint8Array(padded);
      for (let i = 0; i < a.out; i++) {
        a.starts.push(i * x.stride);
        for (const t of a.taps) read[i * x.stride + t] = 1;
      }
      for (let r = before; r < before + x.n; r++) if (!read[r]) a.unread.push(r);
    }
    return a;
  }

  // ---- small helpers ------------------------------------------------------------

  function el(tag, attributes, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      node.setAttribute(name, value);
    }
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /** A number as the book prints it: a real minus sign. */
  function num(value) {
    return value < 0 ? "\u2212" + -value : String(value);
  }

  function plural(count, one, many) {
    return `${count} ${count === 1 ? one : many}`;
  }

  /** "2 to 4" for consecutive indices, else "1, 3 and 5". */
  function listText(values) {
    if (values.length === 0) return "none";
    if (values.length === 1) return num(values[0]);
    const consecutive = values.every((v, i) => i === 0 || v === values[i - 1] + 1);
    if (consecutive && values.length > 2) {
      return `${num(values[0])} to ${num(values[values.length - 1])}`;
    }
    const shown = values.map(num);
    return `${shown.slice(0, -1).join(", ")} and ${shown[shown.length - 1]}`;
  }

  /** "row 3", "rows 2 to 4": a noun for a list of indices. */
  function lines(values, noun) {
    return `${values.length === 1 ? noun : noun + "s"} ${listText(values)}`;
  }

  function paddingText(padding) {
    if (padding === "valid") return "'valid' (no zeros)";
    if (padding === "same") return "'same'";
    return plural(Number(padding), "zero per side", "zeros per side");
  }

  // ---- one explorer ---------------------------------------------------------------

  class Explorer {
    constructor(container, uid) {
      this.container = container;
      this.uid = uid;
      this.fixed = new Set((container.dataset.fixed || "").split(/[\s,]+/)
        .filter(Boolean).map((name) => name.replace(/_(\w)/g, (m, c) => c.toUpperCase())));
      this.inputs = {};
      this.values = {}; // fixed settings: the text of their data attribute
      this.roving = { input: 0, output: 0 }; // the grid cells Tab reaches
      this.marked = [];
      this.build();
      this.update();
    }

    startValue(control) {
      const attribute = this.container.dataset[control.key];
      return attribute === undefined ? String(control.start) : attribute.trim();
    }

    build() {
      const c = this.container;
      c.textContent = "";
      c.classList.add("conv-explorer--ready");

      const controls = el("form", { class: "conv-explorer__controls" });
      controls.addEventListener("submit", (event) => event.preventDefault());
      const fixedText = [];
      for (const control of CONTROLS) {
        const start = this.startValue(control);
        if (this.fixed.has(control.key)) {
          this.values[control.key] = start;
          fixedText.push(`${control.label} = ${start}`);
          continue;
        }
        const id = `${this.uid}-${control.name}`;
        const field = el("div", { class: "conv-explorer__control" });
        field.append(el("label", { for: id }, control.label));
        let input;
        if (control.key === "padding") {
          input = el("select", { id, name: control.name });
          const options = [...PADDING_NAMES];
          for (let p = control.min; p <= control.max; p++) options.push(String(p));
          if (!options.includes(start)) options.push(start); // shown, and refused
          for (const value of options) {
            const option = el("option", { value }, paddingText(value));
            if (value === start) option.selected = true;
            input.append(option);
          }
        } else {
          input = el("input", {
            id, name: control.name, type: "number", min: control.min,
            max: control.max, step: 1, inputmode: "numeric", value: start,
          });
        }
        input.addEventListener("input", () => this.update());
        input.addEventListener("change", () => this.update());
        this.inputs[control.key] = input;
        field.append(input);
        controls.append(field);
      }
      if (fixedText.length) {
        controls.append(el("p", { class: "conv-explorer__fixed" },
          `Fixed here: ${fixedText.join(", ")}.`));
      }

      this.formula = el("div", { class: "conv-explorer__formula" });
      this.figure = el("div", { class: "conv-explorer__figure" });
      this.message = el("p", { class: "conv-explorer__message", hidden: "" });
      this.svg = document.createElementNS(SVG_NS, "svg");
      this.svg.setAttribute("class", "conv-explorer__svg");
      this.svg.setAttribute("role", "group");
      this.svg.setAttribute("tabindex", "-1"); // Tab goes to its cells, not to it
      this.figure.append(this.message, this.svg);
      this.note = el("p", { class: "conv-explorer__note", hidden: "" });
      this.summary = el("p", {
        class: "conv-explorer__summary", "aria-live": "polite",
      });
      this.pointer = el("p", {
        class: "conv-explorer__pointer", "aria-live": "polite",
      });
      c.append(controls, this.formula, this.figure, this.legend(), this.note,
        this.summary, this.pointer);

      this.svg.addEventListener("mouseover", (event) => {
        const cell = event.target.closest("[data-grid]");
        if (cell) this.highlight(cell);
      });
      this.svg.addEventListener("mouseleave", () => {
        const focused = this.svg.querySelector("[data-grid]:focus");
        if (focused) this.highlight(focused);
        else this.clearHighlight();
      });
      this.svg.addEventListener("focusin", (event) => {
        const cell = event.target.closest("[data-grid]");
        if (!cell) return;
        this.makeTabStop(cell);
        this.highlight(cell);
      });
      this.svg.addEventListener("focusout", (event) => {
        if (!this.svg.contains(event.relatedTarget)) this.clearHighlight();
      });
      this.svg.addEventListener("keydown", (event) => this.onKey(event));
    }

    legend() {
      const legend = el("ul", { class: "conv-explorer__legend" });
      const items = [
        ["input", "input pixel"],
        ["padding", "zero of padding"],
        ["unread", "never read by any window"],
        ["read", "read by the pointed output"],
        ["start", "where a window starts"],
        ["fed", "fed by the pointed input cell"],
      ];
      for (const [kind, text] of items) {
        const item = el("li");
        item.append(el("span", {
          class: `conv-explorer__swatch conv-explorer__swatch--${kind}`,
          "aria-hidden": "true",
        }), document.createTextNode(text));
        legend.append(item);
      }
      return legend;
    }

    /** The settings in the controls, or what is wrong with them. */
    read() {
      const settings = {};
      const problems = [];
      for (const control of CONTROLS) {
        const raw = this.fixed.has(control.key)
          ? this.values[control.key] : this.inputs[control.key].value;
        const text = String(raw).trim();
        if (control.key === "padding" && PADDING_NAMES.includes(text)) {
          settings.padding = text;
          continue;
        }
        const value = /^\d+$/.test(text) ? Number(text) : NaN;
        if (value >= control.min && value <= control.max) {
          settings[control.key] = value;
          continue;
        }
        const got = text === "" ? "it is empty" : `got \u201c${text}\u201d`;
        const what = control.key === "padding"
          ? `'valid', 'same' or a whole number of zeros per side from ${control.min} to ${control.max}`
          : `a whole number from ${control.min} to ${control.max}`;
        problems.push(`${control.label} must be ${what} (${got}).`);
      }
      return { settings, problems };
    }

    update() {
      this.clearHighlight();
      const { settings, problems } = this.read();
      if (problems.length) {
        this.x = null;
        this.a = null;
        this.container.dataset.status = "invalid";
        this.svg.replaceChildren();
        this.svg.setAttribute("hidden", "");
        this.showMessage(`No figure for these settings: ${problems.join(" ")}`);
        this.formula.replaceChildren(el("p", { "data-role": "formula" }, this.symbols()));
        this.note.hidden = true;
        this.summary.textContent = this.message.textContent;
        this.pointer.textContent = "";
        return;
      }
      this.x = settings;
      this.a = arithmetic(settings);
      this.container.dataset.status = this.a.fits ? "ok" : "no-output";
      this.svg.removeAttribute("hidden");
      this.draw();
      this.writeText();
    }

    showMessage(text) {
      this.message.textContent = text;
      this.message.hidden = !text;
    }

    // ---- the text: formula, padding split, notes --------------------------------

    /** True when stride and dilation are fixed at 1: the padding chapter's formula. */
    simple() {
      const x = this.x;
      return this.fixed.has("stride") && this.fixed.has("dilation") &&
        (!x || (x.stride === 1 && x.dilation === 1));
    }

    symbols() {
      return this.simple()
        ? "output size = n + p_before + p_after \u2212 f + 1"
        : "output size = \u230a(n + p_before + p_after \u2212 d(f \u2212 1) \u2212 1) / s\u230b + 1";
    }

    writeText() {
      const x = this.x;
      const a = this.a;
      const f = x.kernelSize;
      let numbers;
      if (this.simple()) {
        numbers = `= ${x.n} + ${a.before} + ${a.after} \u2212 ${f} + 1 = ${num(a.out)}`;
      } else {
        const top = a.padded - a.kEff;
        numbers = `= \u230a(${x.n} + ${a.before} + ${a.after} \u2212 ${x.dilation}\u00b7(${f} \u2212 1)` +
          ` \u2212 1) / ${x.stride}\u230b + 1 = \u230a${num(top)} / ${x.stride}\u230b + 1 = ${num(a.out)}`;
      }
      const size = el("strong", { "data-role": "output-size" },
        a.fits ? `${a.out}\u00d7${a.out}` : "none");
      const result = el("p", { class: "conv-explorer__result" });
      result.append("Output: ", size, a.fits ? "" : " (no window fits)");
      const formula = el("p", { "data-role": "formula" }, this.symbols());
      formula.append(el("br"), `${numbers}${a.fits ? "" : " \u2264 0"}`);

      const split = el("p", { "data-role": "padding-split" });
      const before = el("strong", { "data-role": "pad-before" }, String(a.before));
      const after = el("strong", { "data-role": "pad-after" }, String(a.after));
      split.append("Padding: ", before,
        ` ${a.before === 1 ? "zero" : "zeros"} before (top, left) and `, after,
        " after (bottom, right)");
      if (x.padding === "same") {
        const outputs = Math.ceil(x.n / x.stride);
        const total = a.before + a.after;
        split.append(`. 'same' makes \u2308n / s\u2309 = \u2308${x.n} / ${x.stride}\u2309 = ` +
          `${outputs} outputs and pads the least that lets the last window fit: ` +
          `max((${outputs} \u2212 1)\u00b7${x.stride} + ${a.kEff} \u2212 ${x.n}, 0) = ` +
          `${plural(total, "zero", "zeros")}` +
          (total % 2 ? ", the smaller half before, as Keras does." : ", split evenly."));
      } else {
        split.append(".");
      }
      const parts = [result, formula, split];
      if (x.dilation > 1) {
        parts.push(el("p", {}, `The dilated kernel spans k_eff = d(f \u2212 1) + 1 = ` +
          `${x.dilation}\u00b7(${f} \u2212 1) + 1 = ${a.kEff} cells per axis with ` +
          `${f} weights.`));
      }
      this.formula.replaceChildren(...parts);

      const refused = x.stride > 1 && x.dilation > 1;
      this.note.hidden = !refused;
      this.note.textContent = refused
        ? "Keras's Conv2D refuses strides above 1 together with dilation_rate above 1 " +
          "(a ValueError when the layer is made). The arithmetic is still defined: " +
          "utils.arithmetic and the book's conv2d compute it, as drawn here."
        : "";

      const settingsText = `A ${x.n}\u00d7${x.n} input, a ${f}\u00d7${f} kernel, ` +
        `stride ${x.stride}, ${plural(a.before, "zero", "zeros")} of padding before ` +
        `and ${a.after} after (${a.padded}\u00d7${a.padded} padded) and dilation ` +
        `${x.dilation}`;
      if (!a.fits) {
        const message = `No output: the kernel spans k_eff = ${x.dilation}\u00b7(${f} \u2212 1) + 1 = ` +
          `${a.kEff} cells per axis, but the padded input has only ${x.n} + ${a.before} + ` +
          `${a.after} = ${a.padded}. Choose a smaller kernel or dilation, or more padding.`;
        this.showMessage(message);
        this.summary.textContent = `${settingsText}. ${message}`;
        this.pointer.textContent = "";
        return;
      }
      this.showMessage("");
      const unread = a.unread.map((r) => r - a.before);
      const unreadText = unread.length
        ? `Input ${lines(unread, "row")} and ${lines(unread, "column")} are never read ` +
          "by any window (hatched)."
        : "Every input row and column is read by some window.";
      this.summary.textContent = `${settingsText}: a ${a.out}\u00d7${a.out} output. ${unreadText}`;
      this.pointer.textContent = "Point at a cell, or Tab to a grid and use the arrow " +
        "keys: an output cell shows the input cells it reads, an input cell the " +
        "outputs it feeds. Rows and columns are counted from the input's first; " +
        "zeros before it have negative numbers.";
    }

    // ---- the picture --------------------------------------------------------------

    draw() {
      const x = this.x;
      const a = this.a;
      const P = a.padded;
      const O = a.fits ? a.out : 0;
      const inWidth = Math.max(P, a.fits ? 0 : a.kEff) * CELL;
      const ix = SIDE;
      const iy = TOP;
      let ox = ix + inWidth + GAP;
      let oy = TOP;
      let stacked = false;
      if (O && ox + O * CELL + SIDE > MAX_ROW) {
        stacked = true;
        ox = SIDE;
        oy = TOP + inWidth + GAP + 18;
      }
      const width = Math.max(ix + inWidth, O ? ox + O * CELL : 0) + SIDE;
      const height = Math.max(iy + inWidth, O ? oy + O * CELL : 0) + 6;
      const s = [];
      const hatch = `${this.uid}-hatch`;
      s.push(`<defs><pattern id="${hatch}" width="6" height="6" patternUnits="userSpaceOnUse"` +
        ` patternTransform="rotate(45)"><rect width="6" height="6" fill="#eeeeee"/>` +
        `<line x1="0" y1="0" x2="0" y2="6" stroke="#9a9a9a" stroke-width="2"/></pattern></defs>`);

      // titles, and the ruler of the padding split above the input grid
      const zeros = a.before + a.after ? " (dashed: zeros)" : "";
      s.push(`<text class="conv-explorer__title" x="${ix}" y="14">padded input, ` +
        `${P}\u00d7${P}${zeros}</text>`);
      const segments = [
        [0, a.before, plural(a.before, "zero", "zeros"), String(a.before)],
        [a.before, a.before + x.n, `n = ${x.n}`, String(x.n)],
        [a.before + x.n, P, plural(a.after, "zero", "zeros"), String(a.after)],
      ];
      for (const [from, to, long, short] of segments) {
        if (to <= from) continue;
        const x0 = ix + from * CELL + 2;
        const x1 = ix + to * CELL - 2;
        const label = (to - from) * CELL >= 8 * long.length ? long : short;
        s.push(`<g class="conv-explorer__ruler"><path d="M${x0} 33v8M${x0} 37H${x1}M${x1} 33v8"/>` +
          `<text x="${(x0 + x1) / 2}" y="29" text-anchor="middle">${label}</text></g>`);
      }

      // the padded input
      const lo = a.before;
      const hi = a.before + x.n;
      const unread = new Set(a.unread);
      const tabIn = Math.min(this.roving.input, P * P - 1);
      for (let r = 0; r < P; r++) {
        for (let c = 0; c < P; c++) {
          const inside = r >= lo && r < hi && c >= lo && c < hi;
          const never = inside && (unread.has(r) || unread.has(c));
          const kind = inside ? "input" : "padding";
          const classes = `conv-explorer__cell conv-explorer__cell--${kind}` +
            (never ? " conv-explorer__cell--unread" : "");
          s.push(`<rect class="${classes}" data-grid="input" data-kind="${kind}" ` +
            `data-row="${r}" data-col="${c}" x="${ix + c * CELL}" y="${iy + r * CELL}" ` +
            `width="${CELL}" height="${CELL}" tabindex="${r * P + c === tabIn ? 0 : -1}"` +
            (never ? ` fill="url(#${hatch})"` : "") + "/>");
        }
      }
      if (!a.fits) {
        s.push(`<rect class="conv-explorer__overhang" x="${ix}" y="${iy}" ` +
          `width="${a.kEff * CELL}" height="${a.kEff * CELL}"/>`);
        s.push(`<text class="conv-explorer__title" x="${ix + 4}" y="${iy + a.kEff * CELL - 6}">` +
          `the kernel, ${a.kEff}\u00d7${a.kEff}</text>`);
      } else {
        for (const r0 of a.starts) {
          for (const c0 of a.starts) {
            s.push(`<circle class="conv-explorer__start" cx="${ix + (c0 + 0.5) * CELL}" ` +
              `cy="${iy + (r0 + 0.5) * CELL}" r="2.6"/>`);
          }
        }
        s.push(`<rect class="conv-explorer__window" x="0" y="0" width="0" height="0" visibility="hidden"/>`);

        // the output
        s.push(`<text class="conv-explorer__arrow" text-anchor="middle" ` +
          (stacked
            ? `x="${ix + inWidth / 2}" y="${iy + inWidth + GAP / 2 + 8}">\u2193</text>`
            : `x="${ix + inWidth + GAP / 2}" y="${iy + inWidth / 2 + 8}">\u2192</text>`));
        s.push(`<text class="conv-explorer__title" x="${ox}" y="${oy - 8}">output, ` +
          `${O}\u00d7${O}</text>`);
        const tabOut = Math.min(this.roving.output, O * O - 1);
        for (let i = 0; i < O; i++) {
          for (let j = 0; j < O; j++) {
            s.push(`<rect class="conv-explorer__cell conv-explorer__cell--output" ` +
              `data-grid="output" data-row="${i}" data-col="${j}" ` +
              `data-window-row="${a.starts[i]}" data-window-col="${a.starts[j]}" ` +
              `x="${ox + j * CELL}" y="${oy + i * CELL}" width="${CELL}" height="${CELL}" ` +
              `tabindex="${i * O + j === tabOut ? 0 : -1}"/>`);
          }
        }
      }
      this.svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
      this.svg.setAttribute("width", width);
      this.svg.setAttribute("height", height);
      this.svg.setAttribute("aria-label", a.fits
        ? `The ${P}\u00d7${P} padded input and the ${O}\u00d7${O} output`
        : `The ${P}\u00d7${P} padded input, smaller than the ${a.kEff}\u00d7${a.kEff} kernel`);
      this.svg.innerHTML = s.join("");
      this.inputCells = Array.from(this.svg.querySelectorAll('[data-grid="input"]'));
      this.outputCells = Array.from(this.svg.querySelectorAll('[data-grid="output"]'));
      this.windowOutline = this.svg.querySelector(".conv-explorer__window");
      for (const cell of this.svg.querySelectorAll('[data-grid][tabindex="0"]')) {
        cell.setAttribute("aria-label", this.describe(cell));
      }
    }

    // ---- pointing at cells ----------------------------------------------------------

    /** The outputs (along one axis) whose window reads padded row r. */
    feeding(r) {
      const found = [];
      for (const t of this.a.taps) {
        const i = (r - t) / this.x.stride;
        if (Number.isInteger(i) && i >= 0 && i < this.a.out) found.push(i);
      }
      return found.sort((p, q) => p - q);
    }

    /** The padded rows (along one axis) that output i reads. */
    reads(i) {
      return this.a.taps.map((t) => i * this.x.stride + t);
    }

    mark(cell, state) {
      cell.classList.add(`conv-explorer__cell--${state}`);
      this.marked.push([cell, state]);
    }

    clearHighlight() {
      for (const [cell, state] of this.marked) {
        cell.classList.remove(`conv-explorer__cell--${state}`);
      }
      this.marked = [];
      if (this.windowOutline) this.windowOutline.setAttribute("visibility", "hidden");
    }

    highlight(cell) {
      if (!this.a || !this.a.fits) return;
      this.clearHighlight();
      const P = this.a.padded;
      const O = this.a.out;
      const r = Number(cell.dataset.row);
      const c = Number(cell.dataset.col);
      this.mark(cell, "active");
      if (cell.dataset.grid === "output") {
        for (const row of this.reads(r)) {
          for (const col of this.reads(c)) this.mark(this.inputCells[row * P + col], "read");
        }
        const w = this.windowOutline;
        w.setAttribute("x", Number(this.inputCells[0].getAttribute("x")) + c * this.x.stride * CELL);
        w.setAttribute("y", Number(this.inputCells[0].getAttribute("y")) + r * this.x.stride * CELL);
        w.setAttribute("width", this.a.kEff * CELL);
        w.setAttribute("height", this.a.kEff * CELL);
        w.setAttribute("visibility", "visible");
      } else {
        for (const i of this.feeding(r)) {
          for (const j of this.feeding(c)) this.mark(this.outputCells[i * O + j], "fed");
        }
      }
      this.pointer.textContent = this.describe(cell);
    }

    describe(cell) {
      const a = this.a;
      const f = this.x.kernelSize;
      const r = Number(cell.dataset.row);
      const c = Number(cell.dataset.col);
      if (cell.dataset.grid === "output") {
        const rows = this.reads(r).map((v) => v - a.before);
        const cols = this.reads(c).map((v) => v - a.before);
        const inside = (v) => v >= 0 && v < this.x.n;
        const zeros = f * f - rows.filter(inside).length * cols.filter(inside).length;
        return `Output row ${r}, column ${c}: its window starts at input row ` +
          `${num(rows[0])}, column ${num(cols[0])} and reads ${f}\u00d7${f} = ` +
          `${plural(f * f, "cell", "cells")}: ${lines(rows, "row")} and ` +
          `${lines(cols, "column")}${zeros ? `, ${zeros} of them zeros of padding` : ""}.`;
      }
      const where = `row ${num(r - a.before)}, column ${num(c - a.before)}`;
      const what = cell.dataset.kind === "input" ? `Input pixel at ${where}` : `Zero of padding at ${where}`;
      const rows = this.feeding(r);
      const cols = this.feeding(c);
      if (!rows.length || !cols.length) return `${what}: never read, no window covers it.`;
      return `${what}: feeds ${plural(rows.length * cols.length, "output", "outputs")}, ` +
        `in output ${lines(rows, "row")} and ${lines(cols, "column")}.`;
    }

    makeTabStop(cell) {
      const grid = cell.dataset.grid;
      const cells = grid === "input" ? this.inputCells : this.outputCells;
      const index = cells.indexOf(cell);
      if (index < 0) return;
      const old = cells[Math.min(this.roving[grid], cells.length - 1)];
      if (old && old !== cell) {
        old.setAttribute("tabindex", "-1");
        old.removeAttribute("aria-label");
      }
      this.roving[grid] = index;
      cell.setAttribute("tabindex", "0");
      cell.setAttribute("aria-label", this.describe(cell));
    }

    onKey(event) {
      const cell = event.target.closest && event.target.closest("[data-grid]");
      if (!cell) return;
      const size = cell.dataset.grid === "input" ? this.a.padded : this.a.out;
      const cells = cell.dataset.grid === "input" ? this.inputCells : this.outputCells;
      let r = Number(cell.dataset.row);
      let c = Number(cell.dataset.col);
      const moves = {
        ArrowUp: () => { r -= 1; }, ArrowDown: () => { r += 1; },
        ArrowLeft: () => { c -= 1; }, ArrowRight: () => { c += 1; },
        Home: () => { c = 0; }, End: () => { c = size - 1; },
      };
      if (!moves[event.key]) return;
      event.preventDefault();
      moves[event.key]();
      r = Math.max(0, Math.min(size - 1, r));
      c = Math.max(0, Math.min(size - 1, c));
      const next = cells[r * size + c];
      this.makeTabStop(next);
      next.focus();
    }
  }

  // ---- every explorer of the page ---------------------------------------------------

  function init() {
    const containers = document.querySelectorAll("div.conv-explorer");
    containers.forEach((container, index) => {
      if (container.classList.contains("conv-explorer--ready")) return;
      try {
        new Explorer(container, `conv-explorer-${index + 1}`);
        document.documentElement.classList.add(LIVE_CLASS);
      } catch (error) {
        // Never break the page: the still picture stays, and says what this showed.
        container.classList.remove("conv-explorer--ready");
        container.textContent = "The live explorer could not start; the still picture " +
          "below shows its starting settings.";
        console.warn("conv-explorer:", error);
      }
    });
  }

  try {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", init);
    } else {
      init();
    }
  } catch (error) {
    console.warn("conv-explorer:", error);
  }
})();
