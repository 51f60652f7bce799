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
# The learner's working copy (git-ignored); the hub gives each attendee their own.
WORK ?= my-notebooks
# The notebook the lab opens on (the German edition: START=de/00-set-up-your-environment.ipynb).
START ?= 00-set-up-your-environment.ipynb
PYTEST_ARGS ?=
# The workshop room: JupyterHub plus its proxy, the npm package configurable-http-proxy (pinned).
HUB_STAMP := $(VENV)/.installed-hub
HUB_PROXY_VERSION := 5.3.0
# JupyterLab refuses to run as root without this flag (containers, Binder-like boxes).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab lab-reset test check app stress lint format install clean-state help \
	hub hub-attendees hub-warm hub-reset-attendee hub-reset-room wheelhouse

help:
	@echo "make lab     - open JupyterLab on your working copy, my-notebooks/ (offline: local ACS service)"
	@echo "make lab-reset - fresh copies of the notebooks in my-notebooks/ (yours are kept aside)"
	@echo "make check   - lint + the quick tier (no kernels, browser, hub, installs or slow runs): ~1 min"
	@echo "make test    - lint + every test: unit, service, forms, notebooks (nbval), browser, hub"
	@echo "make app     - the Identity console as a standalone page (Voila)"
	@echo "make stress  - long load / fault / fuzz runs; prints a summary"
	@echo "make hub     - a JupyterHub workshop room (HUB_PORT, HUB_PASSWORD, HUB_IP, HUB_SSL_CERT/KEY)"
	@echo "make hub-attendees | hub-warm NAMES=... | hub-reset-attendee NAME=... | hub-reset-room"
	@echo "make wheelhouse - every wheel the lab needs in wheelhouse/, for installs with no network"

install: $(STAMP)

# The installer: uv (pinned, from PyPI into the venv) resolves and installs the same pins as pip,
# in parallel: a fresh clone's `make test` install took 89 s with four pip runs here, about 35 s
# with uv (2 cores). --compile-bytecode: pip writes .pyc files as it installs, uv only when asked
# (without them every kernel and server would compile its imports again). Where no uv wheel exists
# for the platform, pip installs as before. uv reads no pip settings, so an offline room's
# PIP_NO_INDEX and PIP_FIND_LINKS are passed on; the wheelhouse holds uv's wheel too.
UV_VERSION := 0.13.8
UV_FLAGS = $(if $(filter-out 0 false no off,$(PIP_NO_INDEX)),--no-index) \
	$(foreach links,$(PIP_FIND_LINKS),--find-links "$(links)")
pip_install = if test -x $(BIN)/uv; then \
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python $(UV_FLAGS) $(1); \
	else PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet $(1); fi
DEV_EXTRAS := .[dev,hub]

# Learners get the runtime set only (`make lab`, `make app`); the test tools (Playwright alone is
# ~165 MB) come with `make test`. Each stamp is redone only when pyproject.toml changes.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python 3.10 or newer is needed (found " + sys.version.split()[0] + "); run: make PYTHON=python3.11 ...")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip 'uv==$(UV_VERSION)' 2>/dev/null \
		|| { echo "no uv $(UV_VERSION) for this platform: pip installs"; \
		$(BIN)/python -m pip install --quiet --upgrade pip; }
	$(call pip_install,-e .)
	$(BIN)/python -m helpers.setup_lab
	@touch $(STAMP)

$(DEV_STAMP): $(STAMP) $(HUB_STAMP) pyproject.toml
	$(call pip_install,-e '$(DEV_EXTRAS)')
	@touch $(DEV_STAMP)

# JupyterHub and the idle culler from PyPI (the [hub] extra); the proxy from npm into the venv.
$(HUB_STAMP): $(STAMP) pyproject.toml
	$(call pip_install,-e '.[hub]')
	@command -v npm >/dev/null || { echo "make hub needs Node.js and npm (apt-get install npm)"; exit 2; }
	npm install --silent --no-audit --no-fund --prefix $(VENV)/hub-proxy \
		configurable-http-proxy@$(HUB_PROXY_VERSION)
	@touch $(HUB_STAMP)

# The lab serves the git-ignored working copy, never the tracked originals that nbval checks:
# a learner's Run All and autosave change only my-notebooks/. It opens straight on lesson 00: the
# URL it prints (and the browser it opens) goes to /lab/tree/$(START), not the Launcher.
# Quiet start: warnings only in the log (the URL box still shows). Voila's lab preview extension
# is off here (`make app` is the Voila page): it re-enables traitlets' deprecation warnings.
LAB_QUIET := --ServerApp.log_level=WARN --LabApp.log_level=WARN \
	--ServerApp.jpserver_extensions=voila.server_extension=False
# No nagging: `?reset` starts from a fresh workspace (only $(START) opens, not every earlier tab
# with its own kernel); kernels talk over local sockets (ipc), so ipykernel has no "running over
# TCP without encryption" to warn about (their socket files go to the Jupyter runtime dir, whose
# path must stay under ~60 characters: socket paths are limited to 107 bytes); a saved notebook
# keeps a hint, not a dead widget view.
LAB_CALM := --KernelManager.transport=ipc \
	--ContentsManager.pre_save_hook=helpers.working_copy.forget_widget_views
lab: $(STAMP)
	@ACS_LAB_WORKING_COPY="$(abspath $(WORK))" $(BIN)/python -m helpers.working_copy sync
	cd "$(WORK)" && $(BIN)/jupyter lab --LabApp.default_url="/lab/tree/$(START)?reset" \
		--port=$(LAB_PORT) $(LAB_QUIET) $(LAB_CALM) $(ROOT_FLAG) $(LAB_ARGS)

# Fresh copies of every lesson; the learner's previous ones move to my-notebooks/previous-copies/.
lab-reset: $(STAMP)
	ACS_LAB_WORKING_COPY="$(abspath $(WORK))" $(BIN)/python -m helpers.working_copy reset

# Tiers: conftest.py (root) marks every test by what it needs (service, kernel, browser, hub,
# install, slow). `make check` is the quick loop; `make test` is everything, nbval over every
# notebook included, on every core (one file per worker at a time: a notebook's cells share a
# kernel), the longest runs first, and names the slowest tests at the end.
# `make test` runs one worker more than there are cores: the files that mostly wait (throttling
# windows, npm, stalled connections) go to one worker at a time (tests/scheduling.py) while the
# others keep every core busy. A fresh clone on 2 cores, back to back: 272-276 s -> 248-254 s
# (docs/benchmarks.md).
QUICK := not (kernel or browser or hub or install or slow)
DIST := --dist loadfile --no-loadscope-reorder
XDIST ?= -n auto $(DIST)
TEST_WORKERS ?= $(shell $(PYTHON) -c 'import os; print((os.cpu_count() or 1) + 1)')
TEST_XDIST ?= -n $(TEST_WORKERS) $(DIST)

check: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q -m "$(QUICK)" $(XDIST) $(PYTEST_ARGS)

test: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest --nbval $(TEST_XDIST) --durations=15 $(PYTEST_ARGS)

# The acs-lab template (share/jupyter/voila/templates/) is Voila's lab template without its CDN
# stylesheets, so the page makes no request beyond this machine and works offline.
# Like `make lab`: a fresh token in the printed URL (the page can reveal tokens and drive the
# service), and only loopback Host names (share/jupyter/voila/config/voila.json: a page on
# another site that rebinds its DNS name to 127.0.0.1 gets 403). The same file keeps the lab's
# kernel-wait plugin out (Voila never lists kernel specs, so the console stayed blank for 60 s)
# and, as in `make lab`, gives the kernel local sockets (no "running over TCP" warning).
app: $(STAMP)
	cd notebooks && JUPYTER_PATH="$(CURDIR)/share/jupyter$${JUPYTER_PATH:+:$$JUPYTER_PATH}" \
		$(BIN)/voila identity-console.ipynb --template=acs-lab --port=$(APP_PORT) \
		--Voila.ip=127.0.0.1 --no-browser --token \
		--Voila.config_file_paths="$(CURDIR)/share/jupyter/voila/config"

# One JupyterHub for a workshop room (deploy/jupyterhub_config.py): each attendee gets their own
# JupyterLab, copy of the notebooks and local ACS service. Prints the URL and how to sign in.
hub: $(HUB_STAMP)
	$(BIN)/python -m deploy.room serve

hub-attendees: $(HUB_STAMP)
	@$(BIN)/python -m deploy.room attendees

hub-reset-attendee: $(HUB_STAMP)
	@test -n "$(NAME)" || { echo "which attendee? make hub-reset-attendee NAME=ada"; exit 2; }
	@$(BIN)/python -m deploy.room reset-attendee "$(NAME)"

hub-reset-room: $(HUB_STAMP)
	@$(BIN)/python -m deploy.room reset-room

# Warm seats: the named attendees' servers started before they arrive (names from the list).
hub-warm: $(HUB_STAMP)
	@test -n "$(NAMES)" || { echo 'which seats? make hub-warm NAMES="ada grace"'; exit 2; }
	@$(BIN)/python -m deploy.room warm $(NAMES)

# Every wheel the lab needs (and the lab itself, setuptools for `pip install -e .`, the installer
# uv), for a room without network: pip install --no-index --find-links wheelhouse acs-identity-lab
# The wheels fit this machine's OS and Python: build it where the attendees' laptops match.
WHEELHOUSE ?= wheelhouse
wheelhouse: $(STAMP)
	PYTHONWARNINGS=ignore $(BIN)/python -m pip wheel --quiet --wheel-dir "$(WHEELHOUSE)" . \
		'setuptools>=68' 'uv==$(UV_VERSION)'
	@echo "$(WHEELHOUSE)/: $$(ls "$(WHEELHOUSE)" | wc -l) wheels, $$(du -sh "$(WHEELHOUSE)" | cut -f1);" \
		"install with: pip install --no-index --find-links $(WHEELHOUSE) acs-identity-lab"

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
