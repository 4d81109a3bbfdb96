# Tandem: `make run` serves the CRM with demo data on SQLite; `make test` runs every check and test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test lint typecheck migrations-check pytest bench messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/tandem run

lint: $(VENV)/.installed-test
	$(BIN)/ruff check tandem bench
	$(BIN)/ruff format --check tandem bench

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy tandem

migrations-check: $(VENV)/.installed-test
	TANDEM_DATA_DIR=$$(mktemp -d) DJANGO_SETTINGS_MODULE=tandem.settings_test $(BIN)/tandem makemigrations --check --dry-run

pytest: $(VENV)/.installed-test
	$(BIN)/pytest -n 2 --dist loadfile $(PYTEST_ARGS)

test: lint typecheck migrations-check pytest

bench: $(VENV)/.installed-test
	$(BIN)/python -m bench.run $(BENCH_ARGS)

messages: $(VENV)/.installed-test
	cd tandem && ../$(BIN)/django-admin makemessages -l bg -l ru --no-obsolete --ignore 'static/*' --ignore 'tests/*' -e html,py,txt && ../$(BIN)/django-admin compilemessages

clean:
	rm -rf $(VENV) var
