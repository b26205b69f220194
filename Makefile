# One-word entries. `make chat` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: chat test test-fast lint typecheck check format validate bench clean

$(BIN)/frontdesk: pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("frontdesk needs Python 3.11+") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

chat: $(BIN)/frontdesk          ## talk to the bot in this terminal (example content, SQLite)
	$(BIN)/frontdesk chat

test: $(BIN)/frontdesk          ## the whole suite, slow end-to-end tests included
	$(BIN)/pytest

test-fast: $(BIN)/frontdesk     ## everything but the slow tests
	$(BIN)/pytest -m 'not slow'

lint: $(BIN)/frontdesk
	$(BIN)/ruff check bot tests bench
	$(BIN)/ruff format --check bot tests bench

format: $(BIN)/frontdesk
	$(BIN)/ruff format bot tests bench
	$(BIN)/ruff check --fix bot tests bench

typecheck: $(BIN)/frontdesk
	$(BIN)/mypy

validate: $(BIN)/frontdesk      ## check the content folder
	$(BIN)/frontdesk validate

check: lint typecheck validate test   ## everything CI cares about

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
