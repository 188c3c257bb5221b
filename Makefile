# crmlab — the documented commands. Run `make help` for the list.
#
# The first `make lab` or `make test` on a fresh machine (Python 3.11 + make) creates
# .venv with uv, installing the exact versions pinned in uv.lock; later runs are no-ops.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
# uv removes and recreates .venv whenever --python names another path than the environment's own
# interpreter, which a pyenv shim or a symlink on PATH never is: then every `make lab` and `make test`
# installed everything again (twice, with the Spark group). The interpreter's real executable keeps it.
PYTHON_EXE = $(shell "$(PYTHON)" -c "import sys; print(sys.executable)")
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.crmlab-installed
export UV_COMPILE_BYTECODE := 1
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: help install install-offline bundle lab test course site answer-key dashboard release progress lint strip data benchmark clean

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet "uv==$(UV_VERSION)"

$(STAMP): $(UV) pyproject.toml uv.lock jupyter/overrides.json
	$(UV) sync --locked --compile-bytecode --python $(PYTHON_EXE)
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp jupyter/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	touch $@

install: $(STAMP)  ## create .venv with the pinned dependencies (done by lab and test)

# The Spark engine's tests need pyspark and a JVM (uv group "spark"): added for `make test` only,
# since pyspark is a 456 MB source package that `make lab` and the offline bundle do without.
SPARK_STAMP := $(VENV)/.crmlab-spark-installed
$(SPARK_STAMP): $(STAMP)
	$(UV) sync --locked --compile-bytecode --python $(PYTHON_EXE) --group spark
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp jupyter/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	touch $@

bundle:  ## download the offline install bundle into build/offline-bundle (docs/offline.md)
	$(PYTHON) install/offline.py build

install-offline:  ## install .venv from an offline bundle, no network: make install-offline BUNDLE=/media/usb/offline-bundle
	$(PYTHON) install/offline.py install $(if $(BUNDLE),--bundle "$(BUNDLE)")

# JupyterLab listens on this machine only; it refuses to run as root without --allow-root.
LAB_FLAGS := --ServerApp.ip=127.0.0.1 $(if $(filter 0,$(shell id -u)),--allow-root)

# Lab's terminals find `crmlab` (and python, papermill ...) of .venv first.
lab: $(STAMP)  ## open the course in JupyterLab
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/jupyter lab $(LAB_FLAGS) --ServerApp.root_dir="$(CURDIR)" \
		--LabApp.default_url=/lab/tree/notebooks/00_welcome.ipynb

# The browser tests (tests/test_browser.py) drive Debian's Chromium; the browser file is its own
# stamp. As root (CI) a missing browser is installed here; otherwise this says how to install it
# and those tests skip, saying why. `make lab` never needs it.
CHROMIUM := /usr/bin/chromium

$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	else \
		echo "$(CHROMIUM) is missing: the browser tests will be skipped."; \
		echo "Install it with: sudo apt-get update && sudo apt-get install -y chromium"; \
	fi

# tests/test_offline_install.py installs from a bundle for this machine with the network cut; it is
# downloaded here, while the network is allowed (about 400 MB, once per uv.lock).
HOST_BUNDLE := build/offline-host/manifest.json
$(HOST_BUNDLE): uv.lock install/offline.py install/build-requirements.txt
	$(PYTHON) install/offline.py build --host-only --out build/offline-host

# pytest-xdist: one worker per core (at most 4: the suite is CPU-bound, and 3 or 4 workers on 2 cores
# were no faster than 2), each test file whole on one worker so its module fixtures run once, the
# slowest files first (tests/conftest.py orders them; xdist would otherwise order files by their
# number of tests). docs/test-time.md has the figures. `make test PARALLEL=` runs it in one process.
PARALLEL ?= -n auto --maxprocesses=4 --dist loadfile --no-loadscope-reorder

test: $(STAMP) $(SPARK_STAMP) $(CHROMIUM) $(HOST_BUNDLE)  ## run the whole test suite (lint, clean notebooks, units, notebooks, browser)
	$(BIN)/ruff check crmlab tests notebooks exercises benchmarks site install
	$(BIN)/nbstripout --verify --keep-id $$(git ls-files '*.ipynb')
	CRMLAB_REQUIRE_SPARK=1 $(BIN)/python -m pytest $(PARALLEL)

course: $(STAMP)  ## execute every lesson and exercise (solution and learner mode) into build/
	$(BIN)/crmlab run

answer-key: $(STAMP)  ## the exercises' answers, executed, as offline HTML in build/answer-key/ (instructors)
	$(BIN)/crmlab answer-key

site: $(STAMP)  ## the course as a website in build/site (lessons with outputs, guide, glossary), offline
	$(BIN)/python site/build.py

# Voila's own template links Font Awesome from a public CDN; jupyter/voila/templates/crmlab is the
# same page without it (Voila ships the icons itself). tests/test_browser.py starts Voila the same way.
# With MAPPING=file (a company's export) or DATA=dir, `crmlab dashboard` serves DASHBOARD (kpi or
# segments) over that data instead, without any lesson prose.
DASHBOARD ?= kpi

dashboard: $(STAMP)  ## lesson 04's KPI dashboard (Voila); MAPPING=f.toml [DASHBOARD=segments]: over your export
ifneq ($(MAPPING)$(DATA),)
	$(BIN)/crmlab dashboard $(DASHBOARD) $(if $(MAPPING),--mapping "$(MAPPING)") $(if $(DATA),--data "$(DATA)")
else
	JUPYTER_PATH="$(CURDIR)/jupyter$${JUPYTER_PATH:+:$$JUPYTER_PATH}" \
	$(BIN)/voila notebooks/04_bi_questions.ipynb --Voila.ip=127.0.0.1 --template=crmlab \
		--MappingKernelManager.cull_idle_timeout=30 --MappingKernelManager.cull_interval=10
endif

release: $(STAMP)  ## rebuild the student exercise notebooks from exercises/source/
	$(BIN)/crmlab release

progress: $(STAMP)  ## show your progress through the exercises
	$(BIN)/crmlab progress

lint: $(STAMP)  ## lint the package and the notebooks
	$(BIN)/ruff check crmlab tests notebooks exercises benchmarks site install

strip: $(STAMP)  ## remove outputs from every notebook before committing
	$(BIN)/nbstripout --keep-id $$(git ls-files '*.ipynb')

data: $(STAMP)  ## regenerate the committed synthetic CRM in datasets/crm
	$(BIN)/crmlab generate --out datasets/crm --readme datasets/README.md

# The test suite's prerequisites too: bench_tests times `make test` itself, which must find them installed.
benchmark: $(STAMP) $(SPARK_STAMP) $(CHROMIUM) $(HOST_BUNDLE)  ## every benchmark in one run, one table (docs/benchmarks.md, README); QUICK=1: small sizes
	$(BIN)/python benchmarks/run.py $(if $(QUICK),--quick)

clean:  ## remove build outputs (keeps .venv)
	rm -rf build .pytest_cache
