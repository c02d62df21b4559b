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

.PHONY: html test setup system-tools clean constraints notebooks labels

html: setup
	@$(BIN)/python scripts/invalidate_stale_cache.py $(BUILDDIR)
	$(BIN)/jupyter-book build . --path-output $(OUT) $(JB_FLAGS)
	$(BIN)/python scripts/build_pdf.py $(BUILDDIR)/html

test: setup
	$(BIN)/python -m pytest tests/vjpgrad
	rm -rf $(BUILDDIR)
	$(MAKE) --no-print-directory html
	$(BIN)/python -m pytest tests/book

setup: system-tools $(VENV)/.installed node_modules/.installed

system-tools:
	@bash scripts/ensure-system-tools.sh

$(VENV)/.installed: requirements.txt requirements-test.txt constraints.txt code/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==25.3
	$(BIN)/python -m pip install --quiet -r requirements-test.txt -c constraints.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

constraints: $(VENV)/.installed
	{ echo "# Exact versions of every transitive dependency, used as pip constraints (-c)."; \
	  echo "# Regenerate with: make constraints"; \
	  $(BIN)/python -m pip freeze --exclude-editable; } > constraints.txt

# The Colab notebooks book/NAME.ipynb, generated from book/NAME.md; commit them.
# (A test fails when one is stale; `make html` never regenerates them.)
notebooks: $(VENV)/.installed
	$(BIN)/python scripts/notebooks.py

# Rewrite book/labels.json, the manifest of published labels, from a fresh
# build; commit it. Needed when a label is added, renumbered or (deliberately)
# removed: see README "Labels are permanent".
labels: html
	$(BIN)/python scripts/labels_manifest.py --write $(BUILDDIR)/html

clean:
	rm -rf $(BUILDDIR)
