# ACS Identity Lab: `make lab` opens the tutorial, `make test` proves it works.
# Both create .venv and install on first use; later runs reinstall only when pyproject.toml changed.

PYTHON ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
LAB_PORT ?= 8888
APP_PORT ?= 8866
LAB_ARGS ?=
PYTEST_ARGS ?=
# JupyterLab refuses to run as root without this flag (containers, Binder-like boxes).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test app stress lint format install clean-state help

help:
	@echo "make lab     - open JupyterLab on notebooks/ (works offline: local ACS Identity service)"
	@echo "make test    - lint + every test: unit, service, forms, notebooks (nbval), browser"
	@echo "make app     - the Identity console as a standalone page (Voila)"
	@echo "make stress  - long load / fault / fuzz runs; prints a summary"

install: $(STAMP)

# Learners get the runtime set only (`make lab`, `make app`); the test tools (Playwright alone is
# ~165 MB) come with `make test`. Each stamp is redone only when pyproject.toml changes.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python 3.10 or newer is needed (found " + sys.version.split()[0] + "); run: make PYTHON=python3.11 ...")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m helpers.setup_lab
	@touch $(STAMP)

$(DEV_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(DEV_STAMP)

lab: $(STAMP)
	cd notebooks && $(BIN)/jupyter lab --port=$(LAB_PORT) $(ROOT_FLAG) $(LAB_ARGS)

test: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The acs-lab template (share/jupyter/voila/templates/) is Voila's lab template without its CDN
# stylesheets, so the page makes no request beyond this machine and works offline.
# Like `make lab`: a fresh token in the printed URL (the page can reveal tokens and drive the
# service), and only loopback Host names (share/jupyter/voila/config/voila.json: a page on
# another site that rebinds its DNS name to 127.0.0.1 gets 403).
app: $(STAMP)
	cd notebooks && JUPYTER_PATH="$(CURDIR)/share/jupyter$${JUPYTER_PATH:+:$$JUPYTER_PATH}" \
		$(BIN)/voila identity-console.ipynb --template=acs-lab --port=$(APP_PORT) \
		--Voila.ip=127.0.0.1 --no-browser --token \
		--Voila.config_file_paths="$(CURDIR)/share/jupyter/voila/config"

stress: $(DEV_STAMP)
	$(BIN)/python -m benchmarks.stress

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(DEV_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean-state: $(STAMP)
	$(BIN)/acs-emulator reset
