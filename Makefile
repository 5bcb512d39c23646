# The two commands for a fresh machine: `make lab` and `make test`.  `make` alone lists every target.
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# a Colab-like environment: Python 3.12 and Colab's package versions
COLAB_VENV ?= .venv-colab
PYENV_ROOT ?= $(HOME)/.pyenv
COLAB_PYTHON ?= $(or $(lastword $(wildcard $(PYENV_ROOT)/versions/3.12*/bin/python3.12)),python3.12)
# the oldest versions pyproject.toml allows: Python 3.10 and tests/oldest-requirements.txt
OLDEST_VENV ?= .venv-oldest
OLDEST_PYTHON ?= $(or $(firstword $(wildcard $(PYENV_ROOT)/versions/3.10*/bin/python3.10)),python3.10)
# the offline classroom kit (README: "Offline classroom"): the wheels for WHEELHOUSE_PYTHON's version and platform
WHEELHOUSE ?= wheelhouse
WHEELHOUSE_PYTHON ?= $(BIN)/python
# more options for `pip download`: --python-version, --platform (README: "Offline classroom")
WHEELHOUSE_PIP_ARGS ?=
WHEELHOUSE_TEST := test-output/wheelhouse-test
NBVAL := --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
# the test legs run on two cores (pytest-xdist), a file per worker: a notebook's cells stay together and in order
BOTH_CORES := -n 2 --dist loadfile
# prints the Python and library versions of the venv $(1), so that each test leg's log says what it ran on
versions = $(1)/bin/python -c "import platform; from importlib.metadata import version; \
  print('versions:', 'Python', platform.python_version(), *(p + ' ' + version(p) for p in \
  ('tensorflow', 'keras', 'numpy', 'matplotlib', 'ipywidgets', 'pillow')), sep='  ')"

.PHONY: help lab test test-quick data course badges setup clean test-colab test-oldest weights weights-check bench classifier \
  student grade wheelhouse test-wheelhouse

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

test: data  ## lint, unit tests and every notebook, in fast mode (what CI runs first)
	@$(call versions,$(VENV))
	$(BIN)/ruff check .
	COURSE_FAST=1 $(BIN)/pytest $(BOTH_CORES) tests notebooks $(NBVAL)

test-quick: data  ## lint and the unit tests without the slow ones (subprocesses, browser, wheel), no notebooks
	$(BIN)/ruff check .
	COURSE_FAST=1 $(BIN)/pytest tests -m "not slow"

$(COLAB_VENV)/bin/.colab-installed: tests/colab-requirements.txt pyproject.toml
	test -x $(COLAB_VENV)/bin/python || $(COLAB_PYTHON) -m venv $(COLAB_VENV)
	$(COLAB_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(COLAB_VENV)/bin/python -m pip install --quiet -r tests/colab-requirements.txt
	touch $@

test-colab: data student $(COLAB_VENV)/bin/.colab-installed  ## every notebook's student edition in fast mode, Colab's versions
	# as the Colab setup cell does: a regular (not editable) install of this checkout, without dependencies
	$(COLAB_VENV)/bin/python -m pip install --quiet --no-deps --force-reinstall .
	$(COLAB_VENV)/bin/python -m pip check
	@$(call versions,$(COLAB_VENV))
	# the student edition: every teaching cell of the notebooks, with every exercise unanswered (the reader's
	# edition differs only by its solution cells, which `make test` runs)
	PYDEVD_DISABLE_FILE_VALIDATION=1 COURSE_FAST=1 $(COLAB_VENV)/bin/pytest $(BOTH_CORES) tests/test_colab.py tests/test_compare.py student $(NBVAL)

$(OLDEST_VENV)/bin/.oldest-installed: tests/oldest-requirements.txt pyproject.toml
	test -x $(OLDEST_VENV)/bin/python || $(OLDEST_PYTHON) -m venv $(OLDEST_VENV)
	$(OLDEST_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(OLDEST_VENV)/bin/python -m pip install --quiet -r tests/oldest-requirements.txt
	$(OLDEST_VENV)/bin/python -m pip install --quiet --no-deps -e .
	$(OLDEST_VENV)/bin/python -m pip check
	touch $@

test-oldest: data $(OLDEST_VENV)/bin/.oldest-installed  ## unit tests and the training notebooks (04, 05) with the oldest versions allowed
	@$(call versions,$(OLDEST_VENV))
	# a run cache of its own, so notebooks 04 and 05 train with these versions instead of loading runs of others
	rm -rf test-output/oldest && mkdir -p test-output/oldest
	ln -s "$$($(BIN)/python -c 'from course_utils import data; print(data.cache_path())')" test-output/oldest/mnist.npz
	COURSE_FAST=1 COURSE_CACHE=$(CURDIR)/test-output/oldest $(OLDEST_VENV)/bin/pytest $(BOTH_CORES) \
	  -m "not slow" tests notebooks/04_dcgan_mnist.ipynb notebooks/05_vae_mnist.ipynb $(NBVAL)
	# and, of the slow tests, the one that compares training under a tf.distribute strategy with one device
	COURSE_FAST=1 COURSE_CACHE=$(CURDIR)/test-output/oldest $(OLDEST_VENV)/bin/pytest \
	  tests/test_gan.py::test_trainer_runs_unchanged_under_mirrored_strategy

course: data  ## execute every notebook in full mode, refreshing outputs and figures/
	for nb in notebooks/[0-9]*.ipynb; do \
	  echo "== $$nb"; \
	  COURSE_FAST=0 $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=3600 "$$nb" || exit 1; \
	done

bench: data  ## the performance table (speed and quality targets), on this machine
	for script in benchmarks/bench_*.py; do $(BIN)/python "$$script" || exit 1; done

weights: data  ## retrain the shipped DCGAN and VAE weights (3 seeds each) and the explainer's 2-D VAEs (about an hour)
	COURSE_FAST=0 $(BIN)/python tools/train_weights.py

weights-check: data  ## retrain seed 1 of each model from scratch and compare with the shipped scores (about 20 min)
	rm -rf test-output/weights-check && mkdir -p test-output/weights-check
	COURSE_FAST=0 COURSE_CACHE=$(CURDIR)/test-output/weights-check $(BIN)/python tools/train_weights.py --check --seeds 1

classifier: data  ## retrain the metrics classifier from its seed (about 15 minutes on 2 cores)
	$(BIN)/python tools/train_classifier.py

student: setup  ## the classroom edition: the notebooks without solutions, in student/ (nbgrader; see TEACHING.md)
	$(BIN)/python tools/classroom.py student --out student

grade: student  ## grade SUBMISSIONS=<folder>/<student>/<notebook>.ipynb in fast mode: grades/gradebook.csv, feedback
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=<folder holding one folder of notebooks per student>"; exit 2; }
	$(BIN)/python tools/classroom.py grade "$(SUBMISSIONS)" --out grades

wheelhouse: data  ## the wheels and MNIST that install the course with no network, in wheelhouse/ (README)
	mkdir -p $(WHEELHOUSE)
	# the course's wheel is built from a copy: an in-tree build writes build/ and *.egg-info, which a test running
	# at the same time (tests/test_package.py, CI's leg 1) also builds
	copy=$$(mktemp -d) && cp -r pyproject.toml README.md course_utils "$$copy" && \
	  $(WHEELHOUSE_PYTHON) -m pip wheel --quiet --no-deps --wheel-dir $(WHEELHOUSE) "$$copy" && rm -rf "$$copy"
	$(WHEELHOUSE_PYTHON) -m pip download --quiet --only-binary=:all: $(WHEELHOUSE_PIP_ARGS) --dest $(WHEELHOUSE) ".[lab]"
	cp "$$($(BIN)/python -c 'from course_utils import data; print(data.cache_path())')" $(WHEELHOUSE)/mnist.npz
	@echo "$(WHEELHOUSE)/: $$(ls $(WHEELHOUSE)/*.whl | wc -l) wheels and mnist.npz, $$(du -sh $(WHEELHOUSE) | cut -f1)"

test-wheelhouse:  ## install the course from wheelhouse/ into a fresh venv with no index, and run it offline
	@test -f $(WHEELHOUSE)/mnist.npz || { echo "no kit in $(WHEELHOUSE)/: run make wheelhouse first"; exit 1; }
	rm -rf $(WHEELHOUSE_TEST) && mkdir -p $(WHEELHOUSE_TEST)/home $(WHEELHOUSE_TEST)/cache
	$(WHEELHOUSE_PYTHON) -m venv $(WHEELHOUSE_TEST)/venv
	# no index and no pip configuration (--isolated ignores PIP_* variables): only the wheelhouse
	PIP_CONFIG_FILE=/dev/null $(WHEELHOUSE_TEST)/venv/bin/python -m pip --isolated install --quiet \
	  --no-index --find-links $(WHEELHOUSE) "course_utils[lab]"
	$(WHEELHOUSE_TEST)/venv/bin/python -m pip check
	# outside the checkout, so that the installed course is imported, with an empty home and course cache
	cd $(WHEELHOUSE_TEST) && HOME=$$PWD/home COURSE_CACHE=$$PWD/cache COURSE_MNIST=$(abspath $(WHEELHOUSE))/mnist.npz \
	  venv/bin/python $(CURDIR)/tools/check_wheelhouse.py

badges:  ## regenerate the README's notebook map, the Colab badges and every notebook's setup cell
	$(BIN)/python tools/badges.py

clean:  ## remove the venvs, test output, the classroom edition and wheelhouse/ (the MNIST and run cache stays)
	rm -rf $(VENV) $(COLAB_VENV) $(OLDEST_VENV) test-output student grades build/classroom $(WHEELHOUSE)
