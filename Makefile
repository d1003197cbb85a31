# The book's two commands are `make book` and `make test`; see README.md.
# Everything runs inside .venv, which is (re)built from the lock when it is
# missing or older than requirements.txt, constraints.txt or pyproject.toml.

# The interpreter .venv is made from: `make test PYTHON=python3.12` (or a full path,
# such as `$$(PYENV_VERSION=3.12.1 pyenv which python)`) builds and uses a .venv of that
# Python instead, replacing one made from another version.
PYTHON ?= python3
# The Python versions whose branch of the lock validates every stored output.
SUPPORTED_PYTHONS := 3.10 3.11 3.12 3.13
PY_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-python$(PY_VERSION)
# The book's notebooks in reading order: the entries of _toc.yml (`root:` and `file:`
# lines) that are notebooks. _toc.yml is the one list; sed reads it, so no Python is
# needed. tests/test_notebooks.py checks this list against _toc.yml read by PyYAML.
TOC_NOTEBOOKS := $(strip $(foreach entry,$(shell sed -nE \
    "s/^[[:space:]-]*(root|file):[[:space:]]*[\"']?([^\"'[:space:]]+).*/\2/p" _toc.yml),\
    $(filter %.ipynb,$(wildcard $(entry) $(entry).ipynb))))
# What `make validate` and `make book` check; the nbval self-tests point it at one notebook.
NOTEBOOKS ?= $(TOC_NOTEBOOKS)
# What `make outputs` re-executes: `make outputs NB=chapters/01_convolution.ipynb` takes one.
NB ?= $(NOTEBOOKS)
# Expanded at the top of a recipe: stops make when its list of notebooks is empty, rather
# than letting nbval or nbconvert run on nothing (nbval would collect tests/ instead).
need_notebooks = $(if $(strip $($(1))),,$(error $(1) names no notebook. By default it is \
    every notebook of _toc.yml, read from lines like "- file: chapters/01_convolution"))
# `make book` re-validates a notebook only when it, or anything its outputs depend
# on, changed since it last passed: a change to utils/ re-validates every notebook.
CACHE ?= _build/nbval-cache
VALIDATION_INPUTS ?= $(sort $(wildcard utils/*.py)) constraints.txt conftest.py \
                     tests/nbval_sanitize.cfg pyproject.toml
# What the rendered book is made of; `make book` rebuilds it when one is newer.
BOOK_SOURCES := $(wildcard *.md chapters/*.ipynb *.ipynb _ext/*.py _ext/*/*/* _static/*) _config.yml \
                _toc.yml references.bib

# The Korean edition: tools/i18n_source.py writes its book source to KO_SRC, from the
# English notebooks and pages and the translations of their prose (translations/ko/),
# and it is built from there into _build/html/ko/. `make book` rebuilds it when the
# English book was rebuilt or a translation or a tool changed.
KO_SRC  := _build/ko-src
KO_OUT  := _build/ko-out
KO_HTML := _build/html/ko/index.html
KO_SOURCES := $(wildcard translations/ko/*.yml translations/ko/*/*.yml tools/*.py)

# The book's public repository, https://github.com/OWNER/NAME, for this build's Colab,
# Binder, repository and issue buttons: `make book REPOSITORY=...`; `none` names none.
# Empty: repository.url of _config.yml, else git's origin when it is on GitHub.
# `make repository REPOSITORY=...` writes it into _config.yml and every notebook's
# Colab setup cell (tools/setup_cells.py).
REPOSITORY ?=
# _config.yml with that repository resolved (tools/book_config.py), what the book is
# built with. Rewritten only when its content changes, so it also rebuilds the book
# when the repository does.
BOOK_CONFIG := _build/_config.generated.yml

# nbval in strict mode (never --nbval-lax), in this environment's kernel.
NBVAL  := $(BIN)/python -m pytest --nbval --nbval-current-env \
          --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider
# A stand-in for a reader's other CPU: with one thread, TensorFlow and the BLAS add
# the terms of every parallel reduction in another order, so a stored number that
# depends on that order (a float32 training log, say) fails the second pass.
SINGLE_THREADED := TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 OMP_NUM_THREADS=1 \
                   OPENBLAS_NUM_THREADS=1
# Warnings are errors, nitpicky references, and every warning reported.
JB_STRICT := -W -n --keep-going

export PYTHONHASHSEED := 0
# Look for kernels in .venv first, so `python3` is this environment's Python even
# when the machine has a user-level kernel of that name.
export JUPYTER_DATA_DIR := $(CURDIR)/$(VENV)/share/jupyter
JUPYTER_SERVER_CONFIG := $(VENV)/etc/jupyter/jupyter_server_config.json
UV := _build/uv/bin/uv

# MathJax is served from the book itself (no CDN): copied from the installed
# django-static-mathjax wheel, which ships MathJax 3's browser files, into
# _vendor/ (html_extra_path; not _static, whose .js files Jupyter Book would
# load into every page).
MATHJAX := _vendor/mathjax

.PHONY: help env book test lint translations unit validate validate-cached html browser \
        chromium outputs notebooks lock bench clean repository FORCE

help:
	@echo "make book     validate the notebooks, then render the book to _build/html"
	@echo "              and its Korean edition to _build/html/ko"
	@echo "make test     lint, translations, unit tests, notebook validation (twice), strict"
	@echo "              build of both editions, browser test"
	@echo "make translations  untranslated or outdated Korean units, by page (tools/i18n.py)"
	@echo "make outputs  re-execute notebooks and store their outputs (NB=path for one)"
	@echo "make bench    time every notebook against a ten-line TensorFlow program, and more"
	@echo "make repository REPOSITORY=https://github.com/OWNER/NAME"
	@echo "              name the book's repository: _config.yml and the Colab setup cells"
	@echo "make lock     regenerate constraints.txt from requirements.txt"
	@echo "make clean    remove _build (keep .venv)"
	@echo "PYTHON=...    the Python .venv is made from (3.10 to 3.13), e.g. make test PYTHON=python3.12"
	@echo "REPOSITORY=.. the repository of this build's launch buttons, e.g. make book REPOSITORY=URL"

env: $(STAMP)

$(STAMP): requirements.txt constraints.txt pyproject.toml Makefile
	@case " $(SUPPORTED_PYTHONS) " in *" $(PY_VERSION) "*) ;; *) \
	  echo "PYTHON=$(PYTHON) is $(if $(PY_VERSION),Python $(PY_VERSION),not a Python that runs)."\
	       "The book supports Python $(SUPPORTED_PYTHONS), the versions its lock and its"\
	       "stored outputs are validated on. Choose one: make book PYTHON=python3.12"; \
	  exit 1;; esac
	@if [ -x $(BIN)/python ] && [ "$$($(BIN)/python -c 'import sys; \
	      print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" != "$(PY_VERSION)" ]; then \
	  echo "$(VENV) was made from another Python; rebuilding it from Python $(PY_VERSION)"; \
	  rm -rf $(VENV); fi
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
	    -r requirements.txt -c constraints.txt
	@# `.venv/bin/jupyter lab chapters/` must start in a container too, where readers are
	@# often root: allow it for this environment's server (still on localhost, with a token).
	@mkdir -p $(dir $(JUPYTER_SERVER_CONFIG)) && \
	  echo '{"ServerApp": {"allow_root": true}}' > $(JUPYTER_SERVER_CONFIG)
	@touch $@

book: validate-cached _build/html/index.html $(KO_HTML)
	@echo "The book is at $(CURDIR)/_build/html/index.html, in Korean at $(CURDIR)/$(KO_HTML)"

# Only when a source or the repository changed: then a strict build from a clean slate,
# as `make html`.
_build/html/index.html: $(BOOK_SOURCES) $(BOOK_CONFIG) | $(STAMP) $(MATHJAX)/tex-chtml.js
	$(build_html)

# Rebuilt after the English book (which removes it) or when a translation or a tool changed.
$(KO_HTML): _build/html/index.html $(KO_SOURCES) | $(STAMP)
	$(build_korean)

test: lint translations unit validate html browser
	@echo "All checks passed."

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Fails, listing them by page, while any unit of the Korean edition is untranslated,
# outdated (its English changed since it was translated) or has lost markup.
translations: $(STAMP)
	$(BIN)/python -m tools.i18n status

unit: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m pytest tests -m "not browser" -p no:cacheprovider

# Twice: with the machine's threads, then single-threaded. Both passes must succeed.
validate: $(STAMP)
	$(call need_notebooks,NOTEBOOKS)
	@echo "nbval, pass 1 of 2: the machine's default threads"
	$(NBVAL) $(NOTEBOOKS)
	@echo "nbval, pass 2 of 2: single-threaded, as on another CPU"
	$(SINGLE_THREADED) $(NBVAL) $(NOTEBOOKS)

# nbval on the notebooks whose cache key (their content + VALIDATION_INPUTS) has no
# record of a pass; records a pass per notebook. `make validate` ignores the cache.
validate-cached: $(STAMP)
	$(call need_notebooks,NOTEBOOKS)
	@mkdir -p $(CACHE); \
	common=$$(cat $(VALIDATION_INPUTS) | sha256sum | cut -c1-16) || exit 1; \
	stale=""; \
	for nb in $(NOTEBOOKS); do \
	  key=$$(basename $$nb).$$(sha256sum < $$nb | cut -c1-16).$$common; \
	  [ -f "$(CACHE)/$$key" ] || stale="$$stale $$nb"; \
	done; \
	if [ -z "$$stale" ]; then echo "Every notebook passed nbval with these inputs before ($(CACHE))."; \
	  exit 0; fi; \
	echo "Validating:$$stale"; \
	$(NBVAL) $$stale || exit 1; \
	for nb in $$stale; do \
	  touch "$(CACHE)/$$(basename $$nb).$$(sha256sum < $$nb | cut -c1-16).$$common"; \
	done

# A strict build from a clean slate, rendering the stored (validated) outputs.
define build_html
rm -rf _build/html _build/.doctrees _build/jupyter_execute
$(BIN)/jupyter-book build . --config $(BOOK_CONFIG) $(JB_STRICT)
endef

# The Korean edition, strictly, from a freshly generated source (untranslated units in
# English), moved into the English book's _build/html/ko.
define build_korean
rm -rf $(KO_OUT) _build/html/ko
$(BIN)/python -m tools.i18n source --output $(KO_SRC) --repository "$(REPOSITORY)"
$(BIN)/jupyter-book build $(KO_SRC) --path-output $(KO_OUT) $(JB_STRICT)
mv $(KO_OUT)/_build/html _build/html/ko
endef

html: $(BOOK_CONFIG) $(MATHJAX)/tex-chtml.js | $(STAMP)
	$(build_html)
	$(build_korean)

# Always run (FORCE): says which repository the build names, or how to name one.
$(BOOK_CONFIG): FORCE | $(STAMP)
	@$(BIN)/python -m tools.book_config --repository "$(REPOSITORY)" --output $@

FORCE:

# Writes REPOSITORY into _config.yml and every notebook's Colab setup cell from it;
# without REPOSITORY, rewrites the cells from _config.yml as it is.
repository: $(STAMP)
	$(BIN)/python -m tools.setup_cells $(if $(REPOSITORY),--repository "$(REPOSITORY)")

$(MATHJAX)/tex-chtml.js: $(STAMP)
	rm -rf $(MATHJAX) && mkdir -p $(MATHJAX)
	src=$$($(BIN)/python -c "import mathjax, pathlib; \
	    print(pathlib.Path(mathjax.__file__).parent / 'static' / 'mathjax' / 'es5')") && \
	cp -r "$$src/tex-chtml.js" "$$src/input" "$$src/output" "$$src/a11y" "$$src/sre" \
	    "$$src/ui" $(MATHJAX)/

# Every page of the rendered book in headless Chromium (tests/test_book_in_browser.py),
# and the live figures driven through their settings (the other browser-marked tests).
browser: $(STAMP)
	@{ command -v chromium && fc-list :lang=ko family | grep -q .; } >/dev/null 2>&1 || \
	  $(MAKE) --no-print-directory chromium
	$(BIN)/python -m pytest tests -m browser -p no:cacheprovider
	@echo "Screenshots of every page: $(CURDIR)/_build/screenshots/"

# Debian's Chromium (and a Korean font for the screenshots), when missing.
chromium:
	@if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; \
	else echo "Install Chromium (Debian/Ubuntu: apt-get install chromium)"; exit 1; fi; \
	$$SUDO apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-nanum >/dev/null

outputs: $(STAMP)
	$(call need_notebooks,NB)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=600 --ExecutePreprocessor.record_timing=False \
	    --ExecutePreprocessor.kernel_name=python3 \
	    --ExecutePreprocessor.store_widget_state=False $(NB)

# The notebooks of _toc.yml in reading order, one a line: what benchmarks/bench.py runs.
notebooks:
	$(call need_notebooks,NOTEBOOKS)
	@printf '%s\n' $(NOTEBOOKS)

# Keeps every pin that still satisfies requirements.txt (uv prefers the versions already in
# the output file) and resolves only what is new; `make lock UPGRADE=1` moves every pin.
# uv lives in a small venv of its own, so the lock can be made when .venv cannot be
# installed from the old one (a new requirement that conflicts with an old pin).
lock:
	@test -x $(UV) || { $(PYTHON) -m venv $(dir $(UV)).. && \
	  $(dir $(UV))python -m pip install --quiet --disable-pip-version-check uv; }
	cp constraints.txt constraints.txt.new
	$(UV) pip compile --quiet requirements.txt --universal --python-version 3.10 \
	    $(if $(UPGRADE),--upgrade) --no-emit-package cnn-fundamentals-book --no-header \
	    --no-annotate -o constraints.txt.new
	{ sed -n '1,3p' constraints.txt; grep -v '^#' constraints.txt.new; } > constraints.txt.tmp
	mv constraints.txt.tmp constraints.txt && rm -f constraints.txt.new

# The book's cost against its targets; see benchmarks/bench.py.
bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py

clean:
	rm -rf _build
