# The front door of the course. Every command sets up .venv first (idempotent: a stamp
# file makes it near-instant once installed).
#
#   make lab                  JupyterLab on the course, nbgrader extensions enabled
#   make test                 the whole test suite (what CI runs)
#   make test-fast            the quick part only (no notebook execution)
#   make release              regenerate notebooks/ from solutions/ (nbgrader)
#   make check NB=00_entorno  self-check one notebook with the hidden tests
#   make grade SUBMISSIONS=submitted/   grade a whole class
#   make models               rebuild the course hub backbone into data/hub/
#   make serve                classroom hub server for the course models
#   make bench                measure times and accuracies into benchmarks/
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

.PHONY: setup lab test test-fast release check grade models serve bench doctor kit clean

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

setup: $(STAMP)

lab: setup
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" $(ALLOW_ROOT) $(LAB_ARGS)

# Parallel suite first, then the timing tests alone so budgets are measured on an idle
# machine. pytest exit code 5 ("no tests collected") is a failure here on purpose.
test: setup
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadfile -m "not timing" $(PYTEST_ARGS)
	$(BIN)/python -m pytest -m timing -p no:xdist $(PYTEST_ARGS)

test-fast: setup
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

release: setup
	@for dir in solutions/*/; do \
		id=$$(basename $$dir); \
		$(BIN)/nbgrader generate_assignment "$$id" --force --no-db --log-level=WARN || exit 1; \
	done
	@echo "notebooks/ regenerated from solutions/"

check: setup
	@test -n "$(NB)" || (echo "usage: make check NB=<assignment id or notebook path>"; exit 2)
	$(BIN)/python -m tlcourse check "$(NB)"

grade: setup
	@test -n "$(SUBMISSIONS)" || (echo "usage: make grade SUBMISSIONS=<folder or zip>"; exit 2)
	$(BIN)/python -m tlcourse grade "$(SUBMISSIONS)" $(GRADE_ARGS)

models: setup
	$(BIN)/python -m tlcourse.backbone build

serve: setup
	$(BIN)/python -m tlcourse.hub serve $(SERVE_ARGS)

bench: setup
	$(BIN)/python -m tlcourse bench

kit: setup
	$(BIN)/python -m tlcourse kit $(KIT_ARGS)

doctor: setup
	$(BIN)/python -c "import tlcourse; tlcourse.doctor()"

clean:
	rm -rf .pytest_cache .cache gradebook.db submitted autograded feedback
	find . -name __pycache__ -prune -exec rm -rf {} + 2>/dev/null || true
