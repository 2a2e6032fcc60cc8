# The front door of the course. Every command sets up .venv first (idempotent: a stamp
# file makes it near-instant once installed).
#
#   make lab                  JupyterLab on the course, nbgrader extensions enabled
#   make lab LAB_ARGS="--port 9999 --no-browser"   options passed on to jupyter lab
#   make test                 the whole test suite but the rebuilds (CI runs both)
#   make test-rebuild         the backbone retrained and its baselines recomputed from scratch
#   make test-fast            the quick part only (no notebook execution)
#   make release              regenerate notebooks/ from solutions/ (nbgrader)
#   make check NB=00_entorno  self-check one notebook with the hidden tests
#   make grade SUBMISSIONS=submitted/   grade a whole class
#   make models               rebuild the course hub backbone into data/hub/
#   make serve                classroom hub server for the course models
#   make bench                measure times and accuracies into benchmarks/
#   make bench-loaded         every solution graded while busy processes load the cores (~40 min)
#   make kit                  the student kit (.zip, no answers) to hand to a class
#   make doctor               check the environment

PYTHON ?= python3
VENV   := .venv
BIN    := $(CURDIR)/$(VENV)/bin
STAMP  := $(VENV)/.installed
export PATH := $(BIN):$(PATH)

LAB_ARGS ?=
# Jupyter refuses to run as root unless told (containers, CI); ordinary users never see it.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)
PYTEST_ARGS ?=
WORKERS ?= 2

.PHONY: setup lab test test-rebuild test-fast release check grade models serve bench bench-loaded doctor kit clean

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

# `make setup` (and test, grade, bench) also installs system packages where possible (root with
# apt-get), else prints a one-line hint; a student's `make lab` never installs them:
# never a download of a browser build of its own (Selenium Manager is kept offline):
# bubblewrap, the sandbox every grading kernel runs in (tlcourse.grader.sandbox; students do not need
# it), and Debian's chromium + chromedriver for the browser tests (tests/test_browser.py).
SYSTEM_PKGS := bubblewrap chromium chromium-driver

setup: $(STAMP)
	@if command -v bwrap >/dev/null 2>&1 && [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing $(SYSTEM_PKGS) (apt-get)"; \
		export DEBIAN_FRONTEND=noninteractive; \
		{ apt-get update -qq && apt-get install -y -qq $(SYSTEM_PKGS) >/dev/null; } \
			|| echo "could not install $(SYSTEM_PKGS): grading needs bubblewrap, the browser tests chromium"; \
	else echo "hint: sudo apt-get install $(SYSTEM_PKGS) (bubblewrap to grade submissions in a sandbox, chromium for the browser tests)"; fi

lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" $(ALLOW_ROOT) $(LAB_ARGS)

# One parallel run of every test but the rebuilds (below). No test passes or fails on
# wall-clock time: speed goals live in `make bench`, which reports each figure beside its
# budget. Modules go to the workers longest first (tests/conftest.py). pytest exit code 5
# ("no tests collected") is a failure here on purpose.
test: setup
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadfile --no-loadscope-reorder -m "not rebuild" $(PYTEST_ARGS)

# The instructor's build checked from scratch: the course backbone retrained (it must reach the
# committed accuracy), a smoke build exporting every artefact, and the k = 20 baselines
# recomputed. About 11 minutes on a slow machine of the kind (7.5 on a faster one); CI runs it
# after `make test`.
test-rebuild: setup
	$(BIN)/python -m pytest -m rebuild $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

release: $(STAMP)
	@for dir in solutions/*/; do \
		id=$$(basename $$dir); \
		$(BIN)/nbgrader generate_assignment "$$id" --force --no-db --log-level=WARN || exit 1; \
	done
	@echo "notebooks/ regenerated from solutions/"

check: $(STAMP)
	@test -n "$(NB)" || (echo "usage: make check NB=<assignment id or notebook path>"; exit 2)
	$(BIN)/python -m tlcourse check "$(NB)"

grade: setup
	@test -n "$(SUBMISSIONS)" || (echo "usage: make grade SUBMISSIONS=<folder or zip>"; exit 2)
	$(BIN)/python -m tlcourse grade "$(SUBMISSIONS)" $(GRADE_ARGS)

models: $(STAMP)
	$(BIN)/python -m tlcourse models $(MODELS_ARGS)

serve: $(STAMP)
	$(BIN)/python -m tlcourse serve $(SERVE_ARGS)

bench: setup
	$(BIN)/python -m tlcourse bench

bench-loaded: setup
	$(BIN)/python -m tlcourse bench-loaded

kit: $(STAMP)
	$(BIN)/python -m tlcourse kit $(KIT_ARGS)

doctor: $(STAMP)
	$(BIN)/python -m tlcourse doctor

clean:
	rm -rf .pytest_cache .cache gradebook.db submitted autograded feedback
	find . -name __pycache__ -prune -exec rm -rf {} + 2>/dev/null || true
