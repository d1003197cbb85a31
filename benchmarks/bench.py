"""What the book costs to run and build, and how fast its from-scratch code is.

Run it with ``make bench``, which runs ``.venv/bin/python benchmarks/bench.py``, or
directly from the repository root::

    .venv/bin/python benchmarks/bench.py --skip-make        # quick: no make timings
    .venv/bin/python benchmarks/bench.py --notebooks chapters/01_convolution.ipynb
    .venv/bin/python benchmarks/bench.py --repeats 3 --rounds 1

It prints one table and writes it to ``_build/bench/bench.json`` and
``_build/bench/bench.md``, with the machine and the date. Each row has a
value, a unit, a target and PASS or FAIL ("—" where there is no target). The
exit status is 0 even when a target is missed: this is a benchmark, not a
test. The last line says how many targets were met.

What it measures, and the targets:

1. Every notebook of ``_toc.yml`` (the chapters and ``running.ipynb``, in
   reading order, as ``make notebooks`` lists them), each in a fresh
   ``python3`` kernel with nbclient, as ``make outputs`` runs them (timeout
   600 s, the notebook's folder as working directory, nothing written
   back): the wall time from starting the kernel
   to the last cell's output, **kernel start-up included** (it is what a
   reader waits for; the kernel's shut-down is not, and is only recorded in
   the JSON), and the peak resident memory of the kernel process and its
   children, polled every 20 ms (<= 1536 MiB, under Binder's 2 GB).

   Times are judged against the **reference program**,
   ``benchmarks/reference.py``: the ten lines that import TensorFlow, load
   the flower photo, run one ``Conv2D(32, 3, 'same', 'relu')`` and
   ``MaxPool2D(2)`` and show a feature map. It runs in a fresh kernel the
   same way. Everything runs in ``--rounds`` rounds (3 by default), each
   the reference program and then every notebook, and the reference once
   more after the last round: a machine that slows down or speeds up during
   the run moves both alike. A notebook's time is the median of its runs,
   the reference's the median of its own, and each notebook is reported as
   a multiple of the reference (<= 2.5x), so the target means the same on a
   slow machine as on a fast one; its memory is the largest of its runs.
   Every cell is timed too (in the notebook's median run); the slowest cells
   of a notebook over 2x the reference are listed. The kernels' stderr goes
   to ``_build/bench/kernels.log``.
2. ``make test`` (<= 300 s), and ``make book`` when nothing changed since
   the last build: one run to warm up, then the timed run (<= 15 s). Their
   output goes to ``_build/bench/make_*.log``. ``--skip-make`` skips both.
3. The NumPy code of ``utils.conv`` against TensorFlow, in this process:
   ``conv2d`` against ``tf.nn.conv2d`` on the china photo with 32 random
   3x3 filters, and ``max_pool2d`` against ``tf.nn.max_pool2d`` (2x2, stride
   2) on the 32 feature maps, as the ratio ours / TensorFlow (<= 3 each);
   and both against the per-pixel Python loop most tutorials write, on a
   64x64 crop, as the speed-up loop / ours (>= 100 each).
4. The receptive-field calculator on InceptionV3 and the effective receptive
   field of a 40-layer stack of 3x3 convolutions (no targets).

Times are medians of ``--repeats`` runs after one warm-up run, measured with
``time.perf_counter``. A call shorter than 10 ms is repeated within each run
until the run lasts 10 ms, and the run's time divided by the calls.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import utils  # noqa: F401  (first: sets TensorFlow's environment before it is imported)

# isort: split
import keras
import nbformat
import numpy as np
import psutil
import tensorflow as tf
from nbclient import NotebookClient

from utils import conv, conv_stack, erf, images, pooling, receptive_field

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "_build" / "bench"
MIB = 2**20

# Targets.
NOTEBOOK_RATIO = 2.5  # a notebook's wall time / the reference program's
NOTEBOOK_MIB = 1536.0
MAKE_TEST_SECONDS = 300.0
MAKE_BOOK_SECONDS = 15.0
MAX_RATIO_TO_TF = 3.0
MIN_SPEEDUP_OVER_LOOP = 100.0

# Notebooks slower than this multiple of the reference get their slowest cells listed.
SLOW_NOTEBOOK_RATIO = 2.0
REFERENCE = Path(__file__).resolve().parent / "reference.py"
SLOWEST_CELLS = 3

POLL_SECONDS = 0.02  # how often the kernel's memory is read
MIN_RUN_SECONDS = 0.01  # shorter calls are repeated within one timed run
LOOP_RUNS = 3  # runs of the (slow) per-pixel Python loops
FILTERS = 32
CROP = 64  # side, in pixels, of the crop the Python loops run on
SEED = 0
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")  # colours in tracebacks


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class Target:
    """``value <= limit`` (``op="<="``) or ``value >= limit`` (``op=">="``)."""

    op: str
    limit: float

    def met(self, value: float) -> bool:
        return value <= self.limit if self.op == "<=" else value >= self.limit


@dataclass
class Row:
    """One line of the table. ``error`` makes it FAIL whatever its value."""

    name: str
    value: float
    unit: str
    target: Target | None = None
    note: str = ""
    error: str = ""

    @property
    def result(self) -> str:
        if self.error:
            return "FAIL"
        if self.target is None:
            return "—"
        return "PASS" if self.target.met(self.value) else "FAIL"

    def target_text(self) -> str:
        if self.target is None:
            return "—"
        return f"{self.target.op} {self.target.limit:g} {self.unit}"

    def notes(self) -> str:
        return "; ".join(part for part in (self.error, self.note) if part)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "target": asdict(self.target) if self.target else None,
            "result": self.result,
            "note": self.notes(),
        }


def fmt(value: float) -> str:
    """A number with about three significant digits, never in scientific notation."""
    if not math.isfinite(value):
        return str(value)
    size = abs(value)
    if size >= 100:
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:.1f}"
    if size >= 1 or size == 0:
        return f"{value:.2f}"
    return f"{value:.3f}"


# --------------------------------------------------------------------------- timing


def median_time(fn: Callable[[], object], repeats: int) -> float:
    """Median seconds per call of ``fn`` over ``repeats`` runs, after one warm-up call.

    Calls faster than :data:`MIN_RUN_SECONDS` are repeated within each run so
    that the timer's resolution does not matter.
    """
    start = time.perf_counter()
    fn()  # warm-up
    first = time.perf_counter() - start
    calls = max(1, math.ceil(MIN_RUN_SECONDS / first)) if first < MIN_RUN_SECONDS else 1
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter() - start) / calls)
    return statistics.median(times)


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    """``fn()`` and the seconds it took."""
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


class PeakRSS:
    """The peak resident memory of a process and its children, polled in a thread.

    The RSS of the process and of its children (recursively) are added at
    each poll, every :data:`POLL_SECONDS`; the peak is the largest sum.
    """

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def start(self) -> None:
        self._sample()
        self._thread.start()

    def stop(self) -> float:
        """Stop polling; the peak in MiB."""
        self._stop.set()
        self._thread.join()
        return self.peak / MIB

    def _poll(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            if not self._sample():
                return

    def _sample(self) -> bool:
        """Read the memory once; False once the process is gone."""
        try:
            processes = [self.process, *self.process.children(recursive=True)]
        except psutil.NoSuchProcess:
            return False
        total = 0
        for process in processes:
            try:
                total += process.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass  # a child that just ended
        self.peak = max(self.peak, total)
        return True


# --------------------------------------------------------------------------- 1. notebooks


@dataclass
class NotebookRun:
    """One notebook executed in a fresh kernel. Times are in seconds."""

    path: str
    seconds: float = (
        0.0  # kernel start to the end of the last cell: what a reader waits
    )
    startup_seconds: float = 0.0  # kernel start to kernel ready (included in seconds)
    shutdown_seconds: float = 0.0  # end of the last cell to kernel gone (not included)
    peak_mib: float = 0.0
    cells: list[dict[str, Any]] = field(default_factory=list)  # one per code cell
    error: str = ""
    all_seconds: list[float] = field(
        default_factory=list
    )  # every run, when run several times

    def slowest_cells(self, n: int = SLOWEST_CELLS) -> list[dict[str, Any]]:
        return sorted(self.cells, key=lambda cell: cell["seconds"], reverse=True)[:n]


def median_run(runs: Sequence[NotebookRun]) -> NotebookRun:
    """The run of median time, with every run's time, the largest memory and any error."""
    ordered = sorted(runs, key=lambda run: run.seconds)
    chosen = ordered[(len(ordered) - 1) // 2]
    return replace(
        chosen,
        all_seconds=[run.seconds for run in runs],
        peak_mib=max(run.peak_mib for run in runs),
        error=next((run.error for run in runs if run.error), ""),
    )


def default_notebooks() -> list[Path]:
    """The notebooks of _toc.yml in reading order, as ``make notebooks`` lists them."""
    listed = subprocess.run(
        ["make", "--no-print-directory", "-s", "notebooks"],
        cwd=ROOT,
        stdout=subprocess.PIPE,  # make's own error, if any, reaches the terminal
        text=True,
        check=True,
    )
    return [ROOT / line for line in listed.stdout.splitlines()]


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def first_line(source: str, width: int = 60) -> str:
    line = next((line.strip() for line in source.splitlines() if line.strip()), "")
    return line if len(line) <= width else line[: width - 1] + "…"


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """A notebook file, or a Python script as a notebook of one cell (the reference)."""
    if path.suffix == ".py":
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(path.read_text())]
        return nb
    return nbformat.read(path, as_version=4)


def run_notebook(path: Path, kernel_log: Path) -> NotebookRun:
    """Execute every cell of ``path`` in a fresh kernel; time it and watch its memory.

    ``path`` is a notebook, or a script run as one cell. The kernel's own stderr
    (ipykernel's warnings, TensorFlow's start-up logs) is appended to ``kernel_log``.
    """
    run = NotebookRun(display_path(path))
    nb = read_notebook(path)
    clock: dict[
        str | int, float
    ] = {}  # "start", "ready", "last", and each cell's start
    monitor: list[PeakRSS] = []

    def on_notebook_start(**_: Any) -> None:  # the kernel is ready
        clock["ready"] = time.perf_counter()
        monitor.append(PeakRSS(client.km.provisioner.pid))
        monitor[0].start()

    def on_cell_execute(cell_index: int, **_: Any) -> None:
        clock[cell_index] = time.perf_counter()

    def on_cell_executed(cell: Any, cell_index: int, **_: Any) -> None:
        clock["last"] = time.perf_counter()
        run.cells.append(
            {
                "cell": len(run.cells) + 1,  # In [n] when run top to bottom
                "index": cell_index,
                "seconds": clock["last"] - clock[cell_index],
                "source": first_line(cell.source),
            }
        )

    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},  # the kernel's cwd
        on_notebook_start=on_notebook_start,
        on_cell_execute=on_cell_execute,
        on_cell_executed=on_cell_executed,
    )
    with kernel_log.open("a") as log:
        print(f"--- {run.path}", file=log, flush=True)
        clock["start"] = time.perf_counter()
        try:
            client.execute(stderr=log)
        except Exception as error:  # a failing cell, a dead kernel, a timeout
            lines = ANSI_ESCAPE.sub("", str(error)).strip().splitlines()
            run.error = f"{type(error).__name__}: {lines[-1] if lines else ''}"[:200]
    end = time.perf_counter()
    last = clock.get("last", end)
    run.seconds = last - clock["start"]
    run.startup_seconds = clock.get("ready", end) - clock["start"]
    run.shutdown_seconds = end - last
    if monitor:
        run.peak_mib = monitor[0].stop()
    return run


def reference_seconds(runs: Sequence[NotebookRun]) -> float:
    """The reference program's time: the median of its runs (nan if every run failed)."""
    times = [run.seconds for run in runs if not run.error]
    return statistics.median(times) if times else math.nan


def reference_rows(runs: Sequence[NotebookRun]) -> list[Row]:
    times = ", ".join(f"{fmt(run.seconds)} s" for run in runs)
    errors = "; ".join(run.error for run in runs if run.error)
    return [
        Row(
            "reference program: wall time",
            reference_seconds(runs),
            "s",
            note=f"{display_path(REFERENCE)}, median of {len(runs)} runs in fresh kernels: "
            f"{times}; kernel start-up included",
            error=errors,
        ),
        Row(
            "reference program: peak RSS",
            max(run.peak_mib for run in runs),
            "MiB",
            note="the largest of its runs",
        ),
    ]


def notebook_rows(run: NotebookRun, reference: float) -> list[Row]:
    cells = sum(cell["seconds"] for cell in run.cells)
    times = run.all_seconds or [run.seconds]
    which = f"median of {len(times)}: " if len(times) > 1 else ""
    note = (
        f"{fmt(run.seconds)} s ({which}{', '.join(fmt(t) for t in times)} s), kernel start-up "
        f"{fmt(run.startup_seconds)} s included; cells {fmt(cells)} s"
    )
    if run.error and run.cells:
        note += f"; stopped in In [{run.cells[-1]['cell']}]"
    return [
        Row(
            f"{run.path}: time / reference",
            run.seconds / reference,
            "x",
            Target("<=", NOTEBOOK_RATIO),
            note,
            run.error
            or ("" if math.isfinite(reference) else "the reference program failed"),
        ),
        Row(
            f"{run.path}: peak RSS",
            run.peak_mib,
            "MiB",
            Target("<=", NOTEBOOK_MIB),
            "kernel and its children"
            + ("; partial run: the notebook failed" if run.error else ""),
        ),
    ]


# --------------------------------------------------------------------------- 2. make


def run_make(target: str, log: Path) -> tuple[float, int]:
    """``make <target>`` from the repository root: (seconds, exit code); output to ``log``.

    The variables of an enclosing ``make`` (``make bench``) are dropped, so
    the inner ``make`` runs as if typed at the shell.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")
    }
    with log.open("w") as out:
        start = time.perf_counter()
        code = subprocess.run(
            ["make", target], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env
        ).returncode
    return time.perf_counter() - start, code


def make_rows() -> list[Row]:
    rows = []
    seconds, code = run_make("test", OUT_DIR / "make_test.log")
    rows.append(
        Row(
            "make test",
            seconds,
            "s",
            Target("<=", MAKE_TEST_SECONDS),
            "log: _build/bench/make_test.log",
            f"exit code {code}" if code else "",
        )
    )
    print_progress(rows[-1])
    _, warm_code = run_make("book", OUT_DIR / "make_book_warmup.log")
    seconds, code = run_make("book", OUT_DIR / "make_book.log")
    warm_note = f"; the warm-up run exited with {warm_code}" if warm_code else ""
    rows.append(
        Row(
            "make book (nothing changed)",
            seconds,
            "s",
            Target("<=", MAKE_BOOK_SECONDS),
            "second of two runs; log: _build/bench/make_book.log" + warm_note,
            f"exit code {code}" if code else "",
        )
    )
    print_progress(rows[-1])
    return rows


# --------------------------------------------------------------------------- 3. NumPy vs TF


def loop_conv2d(image: np.ndarray, kernels: np.ndarray) -> np.ndarray:
    """Chapter 1's loop for every input channel and filter, summed over the channels.

    ``image`` is ``(height, width, channels)``, ``kernels`` ``(k, k, channels,
    filters)`` with ``k`` odd; stride 1 and 'same' padding.
    """
    k, _, channels, filters = kernels.shape
    pad = k // 2
    padded = np.pad(image, ((pad, pad), (pad, pad), (0, 0)))
    return np.stack(
        [
            sum(
                conv.conv2d_loop(padded[:, :, c], kernels[:, :, c, o])
                for c in range(channels)
            )
            for o in range(filters)
        ],
        axis=-1,
    )


def loop_max_pool2d(x: np.ndarray, size: int = 2) -> np.ndarray:
    """Chapter 4's loop on each channel of ``(height, width, channels)``: stride = size."""
    return np.stack(
        [pooling.max_pool2d_loop(x[:, :, c], size) for c in range(x.shape[2])], axis=-1
    )


def disagreement(name: str, ours: np.ndarray, reference: np.ndarray) -> str:
    """An error message when two results differ, else ''. Timing wrong code means nothing."""
    if ours.shape != reference.shape:
        return f"{name}: shapes differ, {ours.shape} and {reference.shape}"
    if not np.allclose(ours, reference, rtol=1e-4, atol=1e-4):
        worst = float(np.max(np.abs(ours - reference)))
        return f"{name}: results differ by up to {worst:.3g}"
    return ""


def versus_tf_rows(
    name: str,
    ours: Callable[[], np.ndarray],
    theirs: Callable[[], np.ndarray],
    repeats: int,
    what: str,
) -> list[Row]:
    """Our time, TensorFlow's time and their ratio, after checking the results agree."""
    error = disagreement(name, ours(), theirs())
    ours_s = median_time(ours, repeats)
    tf_s = median_time(theirs, repeats)
    return [
        Row(f"{name}: ours (NumPy)", ours_s * 1e3, "ms", note=what),
        Row(
            f"{name}: TensorFlow", tf_s * 1e3, "ms", note="incl. .numpy() of the result"
        ),
        Row(
            f"{name}: ratio ours / TensorFlow",
            ours_s / tf_s,
            "x",
            Target("<=", MAX_RATIO_TO_TF),
            f"median of {repeats}",
            error,
        ),
    ]


def versus_loop_rows(
    name: str,
    ours: Callable[[], np.ndarray],
    loop: Callable[[], np.ndarray],
    repeats: int,
    what: str,
) -> list[Row]:
    """The Python loop's time and the speed-up loop / ours, on the same small input."""
    runs = min(LOOP_RUNS, repeats)
    loop_out, first_loop_s = timed(loop)
    error = disagreement(f"{name} loop", ours()[0], loop_out)
    loop_s = statistics.median(
        [first_loop_s, *(timed(loop)[1] for _ in range(runs - 1))]
    )
    ours_s = median_time(ours, repeats)
    return [
        Row(
            f"{name}: Python loop", loop_s * 1e3, "ms", note=f"{what}; median of {runs}"
        ),
        Row(
            f"{name}: speed-up loop / ours",
            loop_s / ours_s,
            "x",
            Target(">=", MIN_SPEEDUP_OVER_LOOP),
            f"ours {fmt(ours_s * 1e3)} ms on the same input",
            error,
        ),
    ]


def numpy_vs_tf_rows(repeats: int) -> list[Row]:
    photo = images.load_photos(("china",)).astype(np.float32)  # (1, 427, 640, 3)
    rng = np.random.default_rng(SEED)
    kernels = rng.standard_normal((3, 3, photo.shape[-1], FILTERS)).astype(np.float32)
    maps = conv.conv2d(photo, kernels, padding="same")  # (1, 427, 640, 32)
    photo_tf, kernels_tf, maps_tf = (tf.constant(a) for a in (photo, kernels, maps))
    crop = photo[:, :CROP, :CROP]
    crop_maps = conv.conv2d(crop, kernels, padding="same")
    shape = "x".join(map(str, photo.shape))

    rows = versus_tf_rows(
        "conv2d",
        lambda: conv.conv2d(photo, kernels, padding="same"),
        lambda: tf.nn.conv2d(photo_tf, kernels_tf, strides=1, padding="SAME").numpy(),
        repeats,
        f"china photo {shape}, {FILTERS} 3x3 filters, 'same'",
    )
    rows += versus_tf_rows(
        "max_pool2d",
        lambda: pooling.max_pool2d(maps, 2, 2),
        lambda: tf.nn.max_pool2d(maps_tf, ksize=2, strides=2, padding="VALID").numpy(),
        repeats,
        "2x2, stride 2, on " + "x".join(map(str, maps.shape)),
    )
    rows += versus_loop_rows(
        "conv2d",
        lambda: conv.conv2d(crop, kernels, padding="same"),
        lambda: loop_conv2d(crop[0], kernels),
        repeats,
        f"{CROP}x{CROP} crop, {FILTERS} filters",
    )
    rows += versus_loop_rows(
        "max_pool2d",
        lambda: pooling.max_pool2d(crop_maps, 2, 2),
        lambda: loop_max_pool2d(crop_maps[0]),
        repeats,
        f"2x2 on {CROP}x{CROP}x{FILTERS}",
    )
    return rows


# --------------------------------------------------------------------------- 4. fields


def receptive_field_rows(repeats: int) -> list[Row]:
    model, build_s = timed(
        lambda: keras.applications.InceptionV3(
            weights=None, include_top=False, input_shape=(299, 299, 3)
        )
    )
    layers = len(receptive_field.receptive_field(model))
    rf_s = median_time(lambda: receptive_field.receptive_field(model), repeats)
    stack, stack_s = timed(lambda: conv_stack.uniform_conv_stack(40, 3))
    erf_s = median_time(lambda: erf.effective_receptive_field(stack), repeats)
    size = "x".join(map(str, stack.inputs[0].shape[1:3]))
    keras.backend.clear_session()
    return [
        Row(
            "InceptionV3: build",
            build_s,
            "s",
            note="weights=None, include_top=False, 299x299",
        ),
        Row(
            "InceptionV3: receptive_field()",
            rf_s * 1e3,
            "ms",
            note=f"{layers} rows; median of {repeats}",
        ),
        Row(
            "40x 3x3 stack: build",
            stack_s * 1e3,
            "ms",
            note="uniform_conv_stack(40, 3)",
        ),
        Row(
            "40x 3x3 stack: effective_receptive_field()",
            erf_s * 1e3,
            "ms",
            note=f"input {size}, batch {erf.PROBE_BATCH}; median of {repeats}",
        ),
    ]


# --------------------------------------------------------------------------- report


def machine() -> dict[str, Any]:
    """Where and when the numbers were measured."""
    uname = platform.uname()
    return {
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "cpu": cpu_model() or platform.processor() or uname.machine,
        "vector_extensions": vector_extensions(),
        "processor": platform.processor(),
        "uname": " ".join((uname.system, uname.release, uname.version, uname.machine)),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "commit": git_commit(),
    }


def cpu_model() -> str:
    """The CPU's name from /proc/cpuinfo (Linux), else ''."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def vector_extensions() -> str:
    """The CPU's SIMD extensions that change float results: AVX2, FMA and AVX-512 (Linux).

    NumPy's and OpenBLAS's kernels are chosen by them at run time, so they are part
    of what a measured number (and a float printed to many digits) depends on.
    """
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "unknown (no /proc/cpuinfo)"
    flags = next(
        (
            line.split(":", 1)[1].split()
            for line in text.splitlines()
            if line.startswith("flags")
        ),
        [],
    )
    if not flags:
        return "unknown (no flags in /proc/cpuinfo)"
    avx512 = sorted(flag for flag in flags if flag.startswith("avx512"))
    found = [
        name
        for name, flag in (("AVX", "avx"), ("AVX2", "avx2"), ("FMA", "fma"))
        if flag in flags
    ]
    found.append(f"AVX-512 ({', '.join(avx512)})" if avx512 else "no AVX-512")
    return ", ".join(found)


def git_commit() -> str:
    """The commit measured, with ``+changes`` when the tree differs from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True
        )
    except OSError:
        return ""
    if head.returncode:
        return ""
    return head.stdout.strip() + (" +changes" if dirty.stdout.strip() else "")


COLUMNS = ("Benchmark", "Value", "Unit", "Target", "Result", "Notes")


def cells_of(row: Row) -> tuple[str, ...]:
    return (
        row.name,
        fmt(row.value),
        row.unit,
        row.target_text(),
        row.result,
        row.notes(),
    )


def text_table(rows: Sequence[Row]) -> str:
    lines = [COLUMNS, *(cells_of(row) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(COLUMNS) - 1)]
    right = {1}  # values are right-aligned

    def render(line: Sequence[str]) -> str:
        cells = [
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(line, widths))
        ]
        return "  ".join([*cells, line[-1]]).rstrip()

    rule = "  ".join("-" * width for width in widths) + "  " + "-" * len(COLUMNS[-1])
    return "\n".join([render(lines[0]), rule, *(render(line) for line in lines[1:])])


def slow_cells_text(
    runs: Sequence[NotebookRun], reference: float, markdown: bool = False
) -> str:
    """The slowest cells of every notebook over :data:`SLOW_NOTEBOOK_RATIO` x the reference."""
    slow = [run for run in runs if run.seconds > SLOW_NOTEBOOK_RATIO * reference]
    if not slow:
        return ""
    bullet, code = ("- ", "`") if markdown else ("", "")
    lines = [
        f"Slowest cells of the notebooks over {fmt(SLOW_NOTEBOOK_RATIO)}x the reference:"
    ]
    for run in slow:
        lines.append(f"{bullet or '  '}{run.path} ({fmt(run.seconds)} s):")
        for cell in run.slowest_cells():
            seconds, source = fmt(cell["seconds"]), f"{code}{cell['source']}{code}"
            lines.append(f"    {bullet}In [{cell['cell']}] {seconds} s  {source}")
    return "\n".join(lines)


def summary_line(rows: Sequence[Row]) -> str:
    with_target = [row for row in rows if row.target is not None]
    met = sum(row.result == "PASS" for row in with_target)
    return f"{met} of {len(with_target)} targets met"


def markdown(
    rows: Sequence[Row],
    runs: Sequence[NotebookRun],
    reference: float,
    info: dict[str, Any],
) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    header = [
        "# Benchmarks",
        "",
        f"- Date: {info['date']}",
        f"- Commit: {info['commit'] or 'unknown'}",
        f"- Machine: {info['cpu_count']} CPUs ({info['cpu']}), {info['memory_gib']} GiB",
        f"- Vector extensions: {info['vector_extensions']}",
        f"- System: {info['uname']}",
        f"- Python {info['python']}, TensorFlow {info['tensorflow']}, "
        f"Keras {info['keras']}, NumPy {info['numpy']}",
        "",
        line(COLUMNS),
        line(["---", "---:", "---", "---", "---", "---"]),
        *(line(cells_of(row)) for row in rows),
        "",
        f"**{summary_line(rows)}.**",
    ]
    slow = slow_cells_text(runs, reference, markdown=True)
    return "\n".join(header + (["", slow] if slow else [])) + "\n"


def write_reports(
    rows: Sequence[Row],
    runs: Sequence[NotebookRun],
    reference_runs: Sequence[NotebookRun],
    info: dict[str, Any],
    options: dict[str, Any],
) -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    reference = reference_seconds(reference_runs)
    report = {
        "machine": info,
        "options": options,
        "rows": [row.as_json() for row in rows],
        "reference_seconds": reference,
        "reference_runs": [asdict(run) for run in reference_runs],
        "notebooks": [asdict(run) for run in runs],
        "summary": summary_line(rows),
    }
    (OUT_DIR / "bench.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    )
    (OUT_DIR / "bench.md").write_text(markdown(rows, runs, reference, info))


def print_progress(row: Row) -> None:
    print(f"  {row.name}: {fmt(row.value)} {row.unit}  {row.result}", flush=True)


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--skip-make", action="store_true", help="skip make test and make book"
    )
    parser.add_argument(
        "--notebooks",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="notebooks to run (default: every notebook of _toc.yml, in reading order)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=7,
        help="timed runs per micro-benchmark (default 7)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="runs of every notebook, medians kept (default 3)",
    )
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    notebooks = args.notebooks or default_notebooks()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    # As in the Makefile: the kernel "python3" is this environment's, even when the
    # machine has a user-level kernel of that name.
    os.environ.setdefault("JUPYTER_DATA_DIR", str(ROOT / ".venv" / "share" / "jupyter"))
    info = machine()
    print(
        f"Benchmarks of {ROOT} on {info['cpu_count']} CPUs, {info['date']}", flush=True
    )
    rows: list[Row] = []

    print("1. Notebooks and the reference program, each in a fresh kernel", flush=True)
    reference_runs: list[NotebookRun] = []
    per_notebook: dict[Path, list[NotebookRun]] = {path: [] for path in notebooks}
    kernel_log = OUT_DIR / "kernels.log"
    kernel_log.write_text("")
    # Each round: the reference, then every notebook; the reference once more at the end.
    for round_number in range(1, args.rounds + 2):
        reference_runs.append(run_notebook(REFERENCE, kernel_log))
        print(f"  reference program: {fmt(reference_runs[-1].seconds)} s", flush=True)
        if round_number > args.rounds:
            break
        for path in notebooks:
            per_notebook[path].append(run_notebook(path, kernel_log))
            run = per_notebook[path][-1]
            print(
                f"  round {round_number}, {run.path}: {fmt(run.seconds)} s", flush=True
            )
    runs = [median_run(per_notebook[path]) for path in notebooks]
    reference = reference_seconds(reference_runs)
    rows += reference_rows(reference_runs)
    for run in runs:
        rows += notebook_rows(run, reference)

    if args.skip_make:
        print("2. make test and make book: skipped (--skip-make)", flush=True)
    else:
        print(
            "2. make test, then make book twice (the second run is timed)", flush=True
        )
        rows += make_rows()

    print("3. NumPy from scratch against TensorFlow and a Python loop", flush=True)
    for row in numpy_vs_tf_rows(args.repeats):
        rows.append(row)
        print_progress(row)

    print("4. Receptive fields", flush=True)
    for row in receptive_field_rows(args.repeats):
        rows.append(row)
        print_progress(row)

    options = {
        "skip_make": args.skip_make,
        "notebooks": [display_path(path) for path in notebooks],
        "repeats": args.repeats,
        "rounds": args.rounds,
    }
    write_reports(rows, runs, reference_runs, info, options)
    print()
    print(text_table(rows))
    slow = slow_cells_text(runs, reference)
    if slow:
        print()
        print(slow)
    print()
    print(f"Written to {display_path(OUT_DIR / 'bench.json')} and bench.md.")
    print(summary_line(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
