# Luoshi: `make run` sets up and starts the embedded demo; `make test` sets up and runs every test.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DJANGO_SETTINGS_MODULE ?= config.settings.base

.PHONY: run setup install assets migrate demo test test-deps lint check check-translations browser-deps clean

run: setup demo  ## set up everything and start Luoshi with the demo data on SQLite
	$(BIN)/python manage.py serve

setup: install assets migrate

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PY) >/dev/null || PY=python3; test -d $(VENV) || $${PY:-python3} -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

assets: install node_modules/.package-lock.json
	$(BIN)/python manage.py collectstatic --noinput -v 0

migrate: install
	$(BIN)/python manage.py migrate --noinput -v 0

demo: migrate
	$(BIN)/python manage.py demo_load

browser-deps:  ## Debian's Chromium and CJK fonts for the browser tests
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk gettext >/dev/null; fi

test-deps: install node_modules/.package-lock.json browser-deps

test: test-deps  ## run the whole suite (DATABASE_URL picks the database; SQLite by default)
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy luoshi config
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py makemigrations --check --dry-run

check-translations: install  ## every UI string has its Chinese translation and the .mo files are compiled
	@command -v msgfmt >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; }
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py check_translations

clean:
	rm -rf $(VENV) node_modules staticfiles
