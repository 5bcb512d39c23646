# The two commands for a fresh machine: `make lab` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
NBVAL := --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: lab test data course readme setup clean bench classifier

$(BIN)/.course-installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

setup: $(BIN)/.course-installed

data: setup  ## fetch MNIST once; afterwards everything works offline
	$(BIN)/python -m course_utils.data

lab: data  ## set up, fetch data, open JupyterLab on the notebooks
	$(BIN)/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root)

test: data  ## lint, unit tests and every notebook, in fast mode
	$(BIN)/ruff check .
	COURSE_FAST=1 $(BIN)/pytest tests notebooks $(NBVAL)

course: data  ## execute every notebook in full mode, refreshing outputs and figures/
	for nb in notebooks/[0-9]*.ipynb; do \
	  echo "== $$nb"; \
	  COURSE_FAST=0 $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=3600 "$$nb" || exit 1; \
	done

bench: data  ## the performance table (speed and quality targets), on this machine
	for script in benchmarks/bench_*.py; do $(BIN)/python "$$script" || exit 1; done

classifier: data  ## retrain the metrics classifier from its seed (about 15 minutes on 2 cores)
	$(BIN)/python -m course_utils.classifier

readme:  ## regenerate the README's notebook map and Colab badges
	$(BIN)/python -m course_utils.contents

clean:
	rm -rf $(VENV) test-output
