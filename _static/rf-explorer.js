/*
 * The receptive-field explorer of chapter 6, for the rendered book: plain JavaScript
 * and SVG, no kernel, no network.
 *
 * Markup:  <div class="rf-explorer" data-input-size="17"
 *               data-layers="3,1,1,valid;3,2,1,valid;3,1,1,valid"></div>
 * (each layer: kernel k, stride s, dilation d, padding 'valid' or 'same').
 *
 * The reader edits a stack of square Conv2D layers. Pointing at a unit of any layer
 * (hover, click or keyboard focus) shows its theoretical receptive field on the input
 * and shades every position of the maps below it by the number of paths that lead
 * from it to the unit: the gradient of the unit when every weight is 1.
 *
 * The arithmetic is that of utils.arithmetic and utils.receptive_field_rules, and
 * tests/test_rf_explorer_in_browser.py checks it against utils.receptive_field on
 * Keras models: k_eff = (k - 1) d + 1; r <- r + (k_eff - 1) S; P <- P + p_before S;
 * S <- S s; unit i sees input positions i S - P to i S - P + r - 1.
 *
 * On a page without a .rf-explorer element the script does nothing.
 */
(function () {
  "use strict";

  var LIMITS = {
    input: [3, 48],
    kernel: [1, 7],
    stride: [1, 4],
    dilation: [1, 4],
    layers: [1, 8],
  };
  var PADDINGS = ["valid", "same"];
  var DEFAULT_INPUT = 17;
  var DEFAULT_LAYERS = "3,1,1,valid;3,2,1,valid;3,1,1,valid";
  var SVG_NS = "http://www.w3.org/2000/svg";
  // Light (few paths) to dark (many): the reversed magma of the chapter's ERF maps.
  var PALETTE = [
    [252, 236, 196],
    [253, 176, 120],
    [241, 96, 93],
    [183, 55, 121],
    [114, 31, 129],
    [44, 17, 95],
  ];
  var MINUS = "\u2212";

  // --- Arithmetic (utils.arithmetic, utils.receptive_field_rules) ------------------------

  function effectiveKernel(k, d) {
    return (k - 1) * d + 1;
  }

  /* Keras's 'same' zeros (before, after): the smaller half before. */
  function samePadding(n, k, s, d) {
    var total = Math.max((Math.ceil(n / s) - 1) * s + effectiveKernel(k, d) - n, 0);
    var before = Math.floor(total / 2);
    return [before, total - before];
  }

  function layerName(l) {
    return l === 0 ? "the input image" : "conv" + l + "'s output";
  }

  /*
   * Every layer's output size and field, from the input up, until a layer that cannot
   * be built: { rows: [...], error: null or { layer, message } }.
   */
  function analyse(inputSize, layers) {
    var rows = [];
    var r = 1;
    var S = 1;
    var P = 0;
    var n = inputSize;
    for (var l = 1; l <= layers.length; l++) {
      var layer = layers[l - 1];
      var kEff = effectiveKernel(layer.k, layer.d);
      if (layer.s > 1 && layer.d > 1) {
        return {
          rows: rows,
          error: {
            layer: l,
            message:
              "conv" + l + " has stride " + layer.s + " and dilation " + layer.d +
              ": Keras's Conv2D refuses a stride above 1 together with a dilation " +
              "above 1 in one layer. Set the stride or the dilation of conv" + l +
              " to 1.",
          },
        };
      }
      var pad = layer.p === "same" ? samePadding(n, layer.k, layer.s, layer.d) : [0, 0];
      var padded = n + pad[0] + pad[1];
      if (padded < kEff) {
        return {
          rows: rows,
          error: {
            layer: l,
            message:
              "The stack shrinks the input to nothing: conv" + l + "'s kernel covers " +
              "k_eff = (" + layer.k + " " + MINUS + " 1)\u00b7" + layer.d + " + 1 = " +
              kEff + " positions, but its input (" + layerName(l - 1) + ") is only " + n +
              " \u00d7 " + n + " and 'valid' padding adds no zeros. Make the input " +
              "larger, or use a smaller kernel, stride or dilation, or 'same' padding.",
          },
        };
      }
      var row = {
        layer: l,
        k: layer.k,
        s: layer.s,
        d: layer.d,
        p: layer.p,
        kEff: kEff,
        nIn: n,
        before: pad[0],
        after: pad[1],
        n: Math.floor((padded - kEff) / layer.s) + 1,
        rIn: r,
        SIn: S,
        PIn: P,
      };
      r = r + (kEff - 1) * S;
      P = P + pad[0] * S;
      S = S * layer.s;
      row.r = r;
      row.S = S;
      row.P = P;
      rows.push(row);
      n = row.n;
    }
    return { rows: rows, error: null };
  }

  /*
   * Along one axis: how many paths lead from each position of every map 0..layer to
   * unit `unit` of map `layer` (the gradient of the unit when every weight is 1).
   */
  function pathCounts(inputSize, rows, layer, unit) {
    var counts = [];
    counts[layer] = new Array(layer === 0 ? inputSize : rows[layer - 1].n).fill(0);
    counts[layer][unit] = 1;
    for (var l = layer; l >= 1; l--) {
      var row = rows[l - 1];
      var above = counts[l];
      var below = new Array(row.nIn).fill(0);
      for (var o = 0; o < above.length; o++) {
        if (above[o] === 0) continue;
        for (var t = 0; t < row.k; t++) {
          var p = o * row.s + t * row.d - row.before;
          if (p >= 0 && p < row.nIn) below[p] += above[o];
        }
      }
      counts[l - 1] = below;
    }
    return counts;
  }

  /* Inclusive input positions [first, last] seen by unit i of a row. */
  function region(row, i) {
    var first = i * row.S - row.P;
    return [first, first + row.r - 1];
  }

  function colour(t) {
    var x = Math.min(Math.max(t, 0), 1) * (PALETTE.length - 1);
    var a = Math.min(Math.floor(x), PALETTE.length - 2);
    var f = x - a;
    var rgb = PALETTE[a].map(function (c, m) {
      return Math.round(c + f * (PALETTE[a + 1][m] - c));
    });
    return "rgb(" + rgb.join(",") + ")";
  }

  function signed(v) {
    return v < 0 ? MINUS + -v : String(v);
  }

  // --- Parsing the markup ----------------------------------------------------------------

  function inRange(value, limits) {
    return Number.isInteger(value) && value >= limits[0] && value <= limits[1];
  }

  function parseLayers(text) {
    var layers = [];
    String(text)
      .split(";")
      .forEach(function (part) {
        var f = part.split(",").map(function (x) {
          return x.trim();
        });
        var layer = { k: Number(f[0]), s: Number(f[1] || 1), d: Number(f[2] || 1), p: f[3] || "valid" };
        if (
          inRange(layer.k, LIMITS.kernel) &&
          inRange(layer.s, LIMITS.stride) &&
          inRange(layer.d, LIMITS.dilation) &&
          PADDINGS.indexOf(layer.p) >= 0 &&
          layers.length < LIMITS.layers[1]
        ) {
          layers.push(layer);
        }
      });
    return layers.length ? layers : parseLayers(DEFAULT_LAYERS);
  }

  // --- DOM helpers -----------------------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    setAttrs(node, attrs);
    (children || []).forEach(function (child) {
      node.append(child);
    });
    return node;
  }

  function setAttrs(node, attrs) {
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
  }

  function value(key, text) {
    return el("span", { "data-key": key, text: String(text) });
  }

  function select(id, options, current) {
    var node = el("select", { id: id });
    options.forEach(function (option) {
      node.append(el("option", { value: String(option), text: String(option) }));
    });
    node.value = String(current);
    return node;
  }

  function range(limits) {
    var out = [];
    for (var v = limits[0]; v <= limits[1]; v++) out.push(v);
    return out;
  }

  // --- The explorer ----------------------------------------------------------------------

  function Explorer(root, number) {
    this.root = root;
    this.id = "rfx" + number;
    var size = Number(root.getAttribute("data-input-size"));
    this.inputText = String(inRange(size, LIMITS.input) ? size : DEFAULT_INPUT);
    this.layers = parseLayers(root.getAttribute("data-layers") || DEFAULT_LAYERS);
    this.selection = null;
    this.build();
    this.buildRows();
    this.update("last");
  }

  Explorer.prototype.build = function () {
    var self = this;
    var root = this.root;
    root.textContent = "";
    root.classList.add("rf-explorer--live");
    root.setAttribute("role", "group");
    root.setAttribute("aria-label", "Receptive-field explorer");

    this.sizeInput = el("input", {
      id: this.id + "-input",
      type: "number",
      min: LIMITS.input[0],
      max: LIMITS.input[1],
      step: 1,
      value: this.inputText,
    });
    ["input", "change"].forEach(function (type) {
      self.sizeInput.addEventListener(type, function () {
        if (self.sizeInput.value === self.inputText) return;
        self.inputText = self.sizeInput.value;
        self.schedule("keep");
      });
    });

    this.tbody = el("tbody");
    var header = function (text, title) {
      return el("th", { scope: "col" }, [title ? el("abbr", { title: title, text: text }) : text]);
    };
    var head = el("tr", {}, [
      header("layer"),
      header("k", "kernel size"),
      header("s", "stride"),
      header("d", "dilation"),
      header("padding"),
      header("output"),
      header("r", "receptive field size"),
      header("S", "effective stride"),
      header("P", "effective padding"),
      el("th", { scope: "col" }, [el("span", { class: "rf-explorer__sr", text: "remove" })]),
    ]);
    this.table = el("table", { class: "rf-explorer__layers" }, [
      el("caption", {
        text:
          "The stack, from the input up: each row is a Conv2D layer with a square k \u00d7 k " +
          "kernel, stride s and dilation d. r, S and P are the field size, the effective " +
          "stride and the effective padding of its units.",
      }),
      el("thead", {}, [head]),
      this.tbody,
    ]);
    this.table.addEventListener("change", function (event) {
      var target = event.target;
      if (target.tagName !== "SELECT") return;
      var l = Number(target.getAttribute("data-layer"));
      var key = target.getAttribute("data-field");
      var layer = self.layers[l - 1];
      layer[key] = key === "p" ? target.value : Number(target.value);
      self.schedule("keep");
    });
    this.table.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-remove]");
      if (!button || button.disabled) return;
      var l = Number(button.getAttribute("data-remove"));
      self.layers.splice(l - 1, 1);
      self.buildRows();
      var sel = self.selection;
      var removedSelected = sel !== null && sel.layer === l;
      if (sel && sel.layer > l) sel.layer -= 1; // the same unit, one layer lower
      self.schedule(removedSelected ? "last" : "keep");
      var next = self.tbody.querySelector("button[data-remove='" + Math.min(l, self.layers.length) + "']");
      (next && !next.disabled ? next : self.addButton).focus();
    });

    this.addButton = el("button", { type: "button", class: "rf-explorer__add", text: "Add a layer" });
    this.addButton.addEventListener("click", function () {
      if (self.layers.length >= LIMITS.layers[1]) return;
      var last = self.layers[self.layers.length - 1];
      self.layers.push({ k: 3, s: 1, d: 1, p: last ? last.p : "valid" });
      self.buildRows();
      self.schedule("last");
    });

    this.message = el("div", { class: "rf-explorer__message", role: "status", "aria-live": "polite" });
    this.summary = el("p", { class: "rf-explorer__summary", "aria-live": "polite" });
    this.formula = el("p", { class: "rf-explorer__formula" });
    this.maps = el("div", { class: "rf-explorer__maps" });
    this.pixel = el("p", { class: "rf-explorer__pixel", "aria-live": "polite" });

    this.maps.addEventListener("mouseover", function (event) {
      var cell = event.target.closest ? event.target.closest(".rf-cell") : null;
      if (cell) self.point(cell);
    });
    this.maps.addEventListener("focusin", function (event) {
      if (event.target.classList && event.target.classList.contains("rf-cell")) self.point(event.target);
    });
    this.maps.addEventListener("keydown", function (event) {
      self.onKey(event);
    });

    root.append(
      el("div", { class: "rf-explorer__controls" }, [
        el("div", { class: "rf-explorer__size" }, [
          el("label", { for: this.id + "-input", text: "Input size (pixels per side) " }),
          this.sizeInput,
        ]),
        this.table,
        this.addButton,
      ]),
      this.message,
      // The maps come before the text that changes as the pointer moves, so that
      // they never shift under the pointer.
      this.maps,
      this.summary,
      this.formula,
      this.pixel,
      el("p", {
        class: "rf-explorer__note",
        text:
          "Point at a unit of any layer (hover, or Tab to a map and use the arrow keys). " +
          "The blue box is its theoretical receptive field on the input; each position " +
          "of the maps below it is shaded by how many paths lead from it to the unit " +
          "(darker is more; each map scaled to its own maximum), which is the unit's " +
          "gradient when every weight is 1. Padding 'valid' adds no zeros; 'same' adds " +
          "Keras's zeros, the smaller half before (top and left), drawn as grey " +
          "cells around the input. Like Keras, the figure refuses a stride above 1 " +
          "together with a dilation above 1 in one layer.",
      })
    );
    document.documentElement.classList.add("rf-explorer-js");
  };

  /* One row of controls per layer; rebuilt when a layer is added or removed. */
  Explorer.prototype.buildRows = function () {
    var self = this;
    this.tbody.textContent = "";
    var input = el("tr", { "data-layer": "0" }, [
      el("th", { scope: "row", text: "input" }),
      el("td", { colspan: "4", class: "rf-explorer__muted", text: "the image" }),
    ]);
    this.appendResults(input);
    this.tbody.append(input);
    this.layers.forEach(function (layer, index) {
      var l = index + 1;
      var name = "conv" + l;
      var cells = [el("th", { scope: "row", text: name })];
      [
        ["k", "kernel size", range(LIMITS.kernel)],
        ["s", "stride", range(LIMITS.stride)],
        ["d", "dilation", range(LIMITS.dilation)],
        ["p", "padding", PADDINGS],
      ].forEach(function (spec) {
        var id = self.id + "-l" + l + "-" + spec[0];
        var control = select(id, spec[2], layer[spec[0]]);
        control.setAttribute("data-layer", String(l));
        control.setAttribute("data-field", spec[0]);
        cells.push(
          el("td", {}, [el("label", { for: id, class: "rf-explorer__sr", text: name + " " + spec[1] }), control])
        );
      });
      var tr = el("tr", { "data-layer": String(l) }, cells);
      self.appendResults(tr);
      var remove = el("button", {
        type: "button",
        "data-remove": String(l),
        "aria-label": "Remove " + name,
        text: "remove",
      });
      remove.disabled = self.layers.length <= LIMITS.layers[0];
      tr.append(el("td", {}, [remove]));
      self.tbody.append(tr);
    });
    this.addButton.disabled = this.layers.length >= LIMITS.layers[1];
  };

  Explorer.prototype.appendResults = function (tr) {
    ["n", "r", "S", "P"].forEach(function (key) {
      tr.append(el("td", { "data-key": key, class: "rf-explorer__num" }));
    });
  };

  /*
   * Update once the current event has been handled: several changes made by one script
   * are drawn once, and a reader's change is drawn before the next frame.
   */
  Explorer.prototype.schedule = function (how) {
    var self = this;
    if (this.pending) {
      if (how === "last") this.pending = "last";
      return;
    }
    this.pending = how;
    queueMicrotask(function () {
      var pending = self.pending;
      self.pending = null;
      self.update(pending);
    });
  };

  /*
   * Recompute everything after a change of the stack or the input size. `how` chooses
   * the unit shown: "last" (the centre of the last layer) or "keep" (the same unit,
   * clamped to its map).
   */
  Explorer.prototype.update = function (how) {
    var text = this.inputText.trim();
    var size = text === "" ? NaN : Number(text);
    this.maps.textContent = "";
    this.formula.textContent = "";
    this.pixel.textContent = "";
    if (!inRange(size, LIMITS.input)) {
      this.state = null;
      this.showError(
        0,
        "The input size must be a whole number from " + LIMITS.input[0] + " to " +
          LIMITS.input[1] + "; got \u201c" + text + "\u201d."
      );
      this.fillTable([]);
      this.summary.textContent = "No maps to show until the input size is valid.";
      this.root.setAttribute("data-state", "error");
      return;
    }
    var result = analyse(size, this.layers);
    this.state = { size: size, rows: result.rows };
    this.fillTable(result.rows);
    if (result.error) {
      this.showError(result.error.layer, result.error.message);
    } else {
      this.showError(null, "");
    }
    this.root.setAttribute("data-state", result.error ? "error" : "ok");
    this.root.setAttribute("data-layers-shown", String(result.rows.length));
    this.buildMaps();

    var rows = result.rows;
    var sel = this.selection;
    if (how === "last" || !sel || sel.layer > rows.length || sel.layer < 1) {
      if (rows.length === 0) {
        this.selection = null;
        this.summary.textContent =
          "No layer can be built, so there is no unit to point at: the message above says why.";
        return;
      }
      var last = rows[rows.length - 1];
      sel = { layer: rows.length, i: Math.floor(last.n / 2), j: Math.floor(last.n / 2) };
    }
    var n = rows[sel.layer - 1].n;
    this.select(sel.layer, Math.min(sel.i, n - 1), Math.min(sel.j, n - 1));
  };

  Explorer.prototype.showError = function (layer, message) {
    this.message.textContent = message;
    this.message.hidden = !message;
    var rows = this.tbody.querySelectorAll("tr");
    for (var m = 0; m < rows.length; m++) {
      rows[m].classList.toggle("rf-explorer__bad", layer !== null && Number(rows[m].getAttribute("data-layer")) === layer);
    }
    this.sizeInput.setAttribute("aria-invalid", layer === 0 ? "true" : "false");
  };

  Explorer.prototype.fillTable = function (rows) {
    var size = this.state ? this.state.size : null;
    var trs = this.tbody.querySelectorAll("tr");
    for (var m = 0; m < trs.length; m++) {
      var l = Number(trs[m].getAttribute("data-layer"));
      var row = l === 0 ? (size ? { n: size, r: 1, S: 1, P: 0 } : null) : rows[l - 1];
      ["n", "r", "S", "P"].forEach(function (key) {
        var cell = trs[m].querySelector("[data-key='" + key + "']");
        if (!row) cell.textContent = "\u2014";
        else cell.textContent = key === "n" ? row.n + " \u00d7 " + row.n : signed(row[key]);
      });
    }
  };

  /* The SVG maps: the input (with its zero padding around it) and one per layer. */
  Explorer.prototype.buildMaps = function () {
    var size = this.state.size;
    var rows = this.state.rows;
    // The input map shows every position any field reaches: its zero padding too.
    var before = 0;
    var after = 0;
    rows.forEach(function (row) {
      before = Math.max(before, row.P);
      after = Math.max(after, region(row, row.n - 1)[1] - (size - 1));
    });
    var span = size + before + after;
    var cell = Math.max(4, Math.min(16, Math.floor(220 / span)));
    this.cell = cell;
    this.mapCells = [];
    var html = [];
    for (var l = 0; l <= rows.length; l++) {
      var n = l === 0 ? size : rows[l - 1].n;
      var pad = l === 0 ? [before, after] : [0, 0];
      var side = (n + pad[0] + pad[1]) * cell + 2;
      var what = l === 0 ? "input pixel (" : "conv" + l + " unit (";
      var caption =
        l === 0
          ? "input, " + n + " \u00d7 " + n + (before + after ? " (grey: zero padding)" : "")
          : "conv" + l + ", " + n + " \u00d7 " + n;
      // One string per map: far faster than a DOM call per cell on large inputs.
      html.push(
        '<figure class="rf-explorer__map" data-layer="' + l + '">' +
          '<svg class="rf-explorer__svg" xmlns="' + SVG_NS + '" width="' + side + '" height="' +
          side + '" viewBox="-1 -1 ' + side + " " + side + '"><g transform="translate(' +
          pad[0] * cell + " " + pad[0] * cell + ')">'
      );
      for (var i = -pad[0]; i < n + pad[1]; i++) {
        for (var j = -pad[0]; j < n + pad[1]; j++) {
          var box = '<rect x="' + j * cell + '" y="' + i * cell + '" width="' + cell + '" height="' + cell + '" ';
          if (i >= 0 && j >= 0 && i < n && j < n) {
            html.push(
              box + 'class="rf-cell" data-i="' + i + '" data-j="' + j + '" data-paths="0" ' +
                'tabindex="' + (i === 0 && j === 0 ? 0 : -1) + '" role="button" aria-label="' +
                what + i + ", " + j + ')"/>'
            );
          } else {
            html.push(box + 'class="rf-pad"/>');
          }
        }
      }
      html.push(
        (l === 0
          ? '<rect class="rf-field"/>'
          : '<rect class="rf-unit" x="-1000" y="-1000" width="' + cell + '" height="' + cell + '"/>') +
          "</g></svg><figcaption>" + caption + "</figcaption></figure>"
      );
    }
    this.maps.innerHTML = html.join("");
    var figures = this.maps.children;
    for (var m = 0; m < figures.length; m++) {
      this.mapCells.push({
        n: m === 0 ? size : rows[m - 1].n,
        cells: Array.prototype.slice.call(figures[m].querySelectorAll(".rf-cell")),
        mark: figures[m].querySelector(".rf-unit"),
      });
    }
    this.fieldBox = figures[0].querySelector(".rf-field");
  };

  Explorer.prototype.point = function (cell) {
    var figure = cell.closest(".rf-explorer__map");
    var l = Number(figure.getAttribute("data-layer"));
    var i = Number(cell.getAttribute("data-i"));
    var j = Number(cell.getAttribute("data-j"));
    if (l === 0) {
      this.showPixel(i, j, Number(cell.getAttribute("data-paths")));
    } else if (!this.selection || this.selection.layer !== l || this.selection.i !== i || this.selection.j !== j) {
      this.select(l, i, j);
    }
  };

  Explorer.prototype.showPixel = function (i, j, paths) {
    var sel = this.selection;
    if (!sel) return;
    var unit = "conv" + sel.layer + "'s unit (" + sel.i + ", " + sel.j + ")";
    this.pixel.textContent =
      "Input pixel (" + i + ", " + j + ") " +
      (paths > 0
        ? "reaches " + unit + " along " + paths + (paths === 1 ? " path." : " paths.")
        : "has no path to " + unit + ".");
  };

  Explorer.prototype.select = function (layer, i, j) {
    var rows = this.state.rows;
    var row = rows[layer - 1];
    this.selection = { layer: layer, i: i, j: j };
    var down = pathCounts(this.state.size, rows, layer, i);
    var across = pathCounts(this.state.size, rows, layer, j);
    var maxInput = 0;
    for (var l = 0; l < this.mapCells.length; l++) {
      var map = this.mapCells[l];
      var max = 0;
      if (l <= layer) {
        down[l].forEach(function (a) {
          across[l].forEach(function (b) {
            max = Math.max(max, a * b);
          });
        });
      }
      if (l === 0) maxInput = max;
      for (var c = 0; c < map.cells.length; c++) {
        var rect = map.cells[c]; // row-major: (i, j) = (c / n, c % n)
        var paths = l <= layer ? down[l][Math.floor(c / map.n)] * across[l][c % map.n] : 0;
        rect.setAttribute("data-paths", String(paths));
        rect.style.fill = paths > 0 ? colour(0.08 + (0.92 * paths) / max) : "";
      }
      var figure = this.maps.children[l];
      figure.classList.toggle("rf-explorer__map--above", l > layer);
      figure.classList.toggle("rf-explorer__map--selected", l === layer);
      if (map.mark) {
        map.mark.setAttribute("x", l === layer ? j * this.cell : -1000);
        map.mark.setAttribute("y", l === layer ? i * this.cell : -1000);
      }
    }
    // Roving tab stop: the selected unit is its map's stop.
    var cells = this.mapCells[layer].cells;
    var target = cells[i * this.mapCells[layer].n + j];
    cells.forEach(function (rect) {
      rect.setAttribute("tabindex", rect === target ? "0" : "-1");
    });

    var rowsSeen = region(row, i);
    var colsSeen = region(row, j);
    var box = this.fieldBox;
    setAttrs(box, {
      x: colsSeen[0] * this.cell,
      y: rowsSeen[0] * this.cell,
      width: row.r * this.cell,
      height: row.r * this.cell,
      "data-top": rowsSeen[0],
      "data-bottom": rowsSeen[1],
      "data-left": colsSeen[0],
      "data-right": colsSeen[1],
    });
    this.root.setAttribute("data-selected", layer + "," + i + "," + j);
    var trs = this.tbody.querySelectorAll("tr");
    for (var m = 0; m < trs.length; m++) {
      trs[m].classList.toggle("rf-explorer__current", Number(trs[m].getAttribute("data-layer")) === layer);
    }

    var size = this.state.size;
    var outside =
      rowsSeen[0] < 0 || colsSeen[0] < 0 || rowsSeen[1] > size - 1 || colsSeen[1] > size - 1
        ? " Positions below 0 or above " + (size - 1) + " are zero padding."
        : "";
    this.summary.textContent = "";
    this.summary.append(
      value("layer", "conv" + layer),
      ", unit (",
      value("i", i),
      ", ",
      value("j", j),
      "): field r = ",
      value("r", row.r),
      ", effective stride S = ",
      value("S", row.S),
      ", effective padding P = ",
      value("P", signed(row.P)),
      ". It sees input rows ",
      value("top", signed(rowsSeen[0])),
      " to ",
      value("bottom", signed(rowsSeen[1])),
      " and columns ",
      value("left", signed(colsSeen[0])),
      " to ",
      value("right", signed(colsSeen[1])),
      "." + outside + " The busiest input pixel reaches it along ",
      value("max-paths", maxInput),
      maxInput === 1 ? " path." : " paths."
    );
    this.formula.textContent =
      "conv" + layer + ": k_eff = (" + row.k + " " + MINUS + " 1)\u00b7" + row.d + " + 1 = " + row.kEff +
      ";  r = " + row.rIn + " + (" + row.kEff + " " + MINUS + " 1)\u00b7" + row.SIn + " = " + row.r +
      ";  S = " + row.SIn + "\u00b7" + row.s + " = " + row.S +
      ";  P = " + signed(row.PIn) + " + " + row.before + "\u00b7" + row.SIn + " = " + signed(row.P) +
      " (" + row.p + ": " + row.before + " zero" + (row.before === 1 ? "" : "s") + " before, " +
      row.after + " after).";
    this.pixel.textContent = "";
  };

  Explorer.prototype.onKey = function (event) {
    var cell = event.target;
    if (!cell.classList || !cell.classList.contains("rf-cell")) return;
    var moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    var move = moves[event.key];
    var l = Number(cell.closest(".rf-explorer__map").getAttribute("data-layer"));
    var map = this.mapCells[l];
    var i = Number(cell.getAttribute("data-i"));
    var j = Number(cell.getAttribute("data-j"));
    if (event.key === "Home") move = [-i, -j];
    else if (event.key === "End") move = [map.n - 1 - i, map.n - 1 - j];
    if (!move) return;
    event.preventDefault();
    var ni = Math.min(Math.max(i + move[0], 0), map.n - 1);
    var nj = Math.min(Math.max(j + move[1], 0), map.n - 1);
    var next = map.cells[ni * map.n + nj];
    if (l === 0) {
      map.cells.forEach(function (rect) {
        rect.setAttribute("tabindex", rect === next ? "0" : "-1");
      });
    }
    next.focus();
  };

  function start() {
    var roots = document.querySelectorAll(".rf-explorer");
    for (var m = 0; m < roots.length; m++) {
      try {
        roots[m].explorer = new Explorer(roots[m], m + 1);
      } catch (error) {
        // Never leave a blank: say so in the figure (and in the console, for the tests).
        roots[m].textContent = "The receptive-field explorer failed to start: " + error;
        console.error(error);
      }
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
