# vpsbot: two commands do all set-up — `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck pytest bench sandbox clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@# the playground's browser tests drive Debian's Chromium (Playwright's own builds
	@# cannot be downloaded here); install it once, as root
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq chromium fonts-noto-color-emoji; \
		else echo "the browser tests need Debian's chromium: apt-get install chromium (as root)"; fi; \
	fi
	touch $(STAMP)

## run: install, migrate and start the bot on embedded defaults
run: $(STAMP)
	@$(BIN)/vpsbot serve --migrate --sandbox

## test: ruff, mypy and the whole pytest suite against a real PostgreSQL
test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check bot providers db tests bench
	$(BIN)/ruff format --check bot providers db tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest -q

sandbox: $(STAMP)
	$(BIN)/vpsbot sandbox

bench: $(STAMP)
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
