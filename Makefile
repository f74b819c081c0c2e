# vpsbot: two commands do all set-up — `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# the versions README promises; keep in step with requires-python in pyproject.toml
PY_MIN := (3, 11)

.PHONY: run test lint typecheck pytest bench sandbox screenshots constraints clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; need = $(PY_MIN); v = sys.version.split()[0]; sys.exit(0 if sys.version_info[:2] >= need else f"vpsbot needs Python {need[0]}.{need[1]} or newer, but $(PYTHON) is {v}: install one and run make PYTHON=python3.13 (for example)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check 'uv==$(UV_VERSION)'

# constraints.txt pins every package to the version CI tested; pyproject.toml keeps the ranges.
# `make run` installs what the bot runs on, with the sandbox extra (moto, for the EC2 sandbox:
# never in a production install) (RUN_STAMP); `make test` adds the dev group and the browser
# (STAMP). uv installs them: from a warm cache in about 6 s where pip took 45 s
# (bench/bench_make_run.py). PYTHONWARNINGS quiets setuptools' editable-install banner.
UV_VERSION := 0.13.10
RUN_STAMP := $(VENV)/.installed-run
INSTALL := PYTHONWARNINGS=ignore::UserWarning $(BIN)/uv pip install --quiet \
	--python $(BIN)/python --constraint constraints.txt

$(RUN_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(INSTALL) --editable ".[sandbox]"
	touch $(RUN_STAMP)

$(STAMP): $(RUN_STAMP)
	$(INSTALL) --group dev
	@# the playground's browser tests drive Debian's Chromium (Playwright's own builds
	@# cannot be downloaded here), and its emoji need a colour font: install both, as root
	@if [ ! -x /usr/bin/chromium ] || [ ! -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null; \
		else echo "the browser tests need Debian's chromium and fonts-noto-color-emoji: apt-get install them (as root)"; fi; \
	fi
	touch $(STAMP)

## run: install, migrate and start the bot on embedded defaults
run: $(RUN_STAMP)
	@$(BIN)/vpsbot serve --migrate --sandbox

## test: ruff, mypy and the whole pytest suite against a real PostgreSQL
test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check bot providers db standins tests bench
	$(BIN)/ruff format --check bot providers db standins tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest -q

## screenshots: retake README's playground screenshots (docs/screenshots) with the browser test
screenshots: $(STAMP)
	VPSBOT_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest -q \
		tests/standins/playground/test_browser.py tests/standins/playground/test_browser_charts.py \
		-k "make_run_without_slack or graphs_and_home"

sandbox: $(RUN_STAMP)
	$(BIN)/vpsbot sandbox

bench: $(STAMP)
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

## constraints: re-resolve pyproject.toml's ranges in a scratch venv and pin the result
constraints:
	rm -rf .venv-constraints
	$(PYTHON) -m venv .venv-constraints
	.venv-constraints/bin/python -m pip install --quiet --upgrade 'pip>=25.1'
	.venv-constraints/bin/python -m pip install --quiet --editable ".[sandbox]" --group dev
	.venv-constraints/bin/python -m pip freeze --exclude-editable > constraints.txt
	rm -rf .venv-constraints

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
