# vawgbook: `make book` builds the book from data/sample; `make test` runs every test.
# Without make, see README.md for the plain `python -m` equivalents.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
DATA ?= data/sample
PERIODS ?=
PERIODS_OPT := $(if $(PERIODS),--periods $(PERIODS),)

.PHONY: help book test lint golden sample clean

help: ## Show the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

book: $(VENV)/.installed ## Run every period of $(DATA) through the notebooks and build the HTML book
	$(PY) -m vawgbook publish --data $(DATA) $(PERIODS_OPT)

test: $(VENV)/.installed ## Run every test: unit tests, command-line tests and nbval on the notebooks
	$(PY) -m pytest

lint: $(VENV)/.installed ## Check the code with ruff
	$(PY) -m ruff check vawgbook tests data/sample benchmarks

golden: $(VENV)/.installed ## Re-execute the template notebooks on the sample data (nbval's reference)
	$(PY) -m vawgbook golden

sample: $(VENV)/.installed ## Regenerate data/sample from its seeded script
	$(PY) data/sample/make_sample.py

clean: ## Remove built pages and the book (not the virtual environment)
	rm -rf _build book/periods _toc.yml
