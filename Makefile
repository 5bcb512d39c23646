# The two commands for a fresh machine: `make lab` and `make test`.  `make` alone lists every target.
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# a Colab-like environment: Python 3.12 and Colab's package versions
COLAB_VENV ?= .venv-colab
PYENV_ROOT ?= $(HOME)/.pyenv
COLAB_PYTHON ?= $(or $(lastword $(wildcard $(PYENV_ROOT)/versions/3.12*/bin/python3.12)),python3.12)
NBVAL := --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: help lab test test-quick data course badges setup clean test-colab weights weights-check bench classifier

$(BIN)/.course-installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

help:  ## list the targets with their purpose
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  make \1\t\2/' | expand -t 24

setup: $(BIN)/.course-installed  ## create .venv and install the course with its development tools

data: setup  ## fetch MNIST once; afterwards everything works offline
	$(BIN)/python -m course_utils.data

lab: data  ## set up, fetch data, open JupyterLab on the notebooks
	$(BIN)/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root)

test: data  ## lint, unit tests and every notebook, in fast mode (what CI runs)
	$(BIN)/ruff check .
	COURSE_FAST=1 $(BIN)/pytest tests notebooks $(NBVAL)

test-quick: data  ## lint and the unit tests without the slow ones (subprocesses, browser, wheel), no notebooks
	$(BIN)/ruff check .
	COURSE_FAST=1 $(BIN)/pytest tests -m "not slow"

$(COLAB_VENV)/bin/.colab-installed: tests/colab-requirements.txt pyproject.toml
	test -x $(COLAB_VENV)/bin/python || $(COLAB_PYTHON) -m venv $(COLAB_VENV)
	$(COLAB_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(COLAB_VENV)/bin/python -m pip install --quiet -r tests/colab-requirements.txt
	touch $@

test-colab: data $(COLAB_VENV)/bin/.colab-installed  ## every notebook in fast mode with Colab's Python and versions
	# as the Colab setup cell does: a regular (not editable) install of this checkout, without dependencies
	$(COLAB_VENV)/bin/python -m pip install --quiet --no-deps --force-reinstall .
	$(COLAB_VENV)/bin/python -m pip check
	PYDEVD_DISABLE_FILE_VALIDATION=1 COURSE_FAST=1 $(COLAB_VENV)/bin/pytest tests/test_colab.py tests/test_compare.py notebooks $(NBVAL)

course: data  ## execute every notebook in full mode, refreshing outputs and figures/
	for nb in notebooks/[0-9]*.ipynb; do \
	  echo "== $$nb"; \
	  COURSE_FAST=0 $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=3600 "$$nb" || exit 1; \
	done

bench: data  ## the performance table (speed and quality targets), on this machine
	for script in benchmarks/bench_*.py; do $(BIN)/python "$$script" || exit 1; done

weights: data  ## retrain the shipped DCGAN and VAE weights, 3 seeds each (about an hour on 2 cores)
	COURSE_FAST=0 $(BIN)/python tools/train_weights.py

weights-check: data  ## retrain seed 1 of each model from scratch and compare with the shipped scores (about 20 min)
	rm -rf test-output/weights-check && mkdir -p test-output/weights-check
	COURSE_FAST=0 COURSE_CACHE=$(CURDIR)/test-output/weights-check $(BIN)/python tools/train_weights.py --check --seeds 1

classifier: data  ## retrain the metrics classifier from its seed (about 15 minutes on 2 cores)
	$(BIN)/python tools/train_classifier.py

badges:  ## regenerate the README's notebook map, the Colab badges and every notebook's setup cell
	$(BIN)/python tools/badges.py

clean:  ## remove both virtual environments and test output (the MNIST and run cache stays)
	rm -rf $(VENV) $(COLAB_VENV) test-output
