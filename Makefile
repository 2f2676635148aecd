# Luukku: `make run` runs it on the embedded default; `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HTMX_VERSION := 2.0.8
HTMX := src/luukku/web/static/luukku/vendor/htmx.min.js
LOCALES := $(wildcard src/luukku/locale/*/LC_MESSAGES/django.po)
MO_FILES := $(LOCALES:.po=.mo)
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/luukku
PORT ?= 8000

.PHONY: run test check lint typecheck pytest smoke install install-test browser servers messages makemessages clean

run: install $(HTMX) $(MO_FILES)
	@mkdir -p var
	LUUKKU_DEBUG=$${LUUKKU_DEBUG:-1} $(BIN)/luukku migrate --noinput -v 0
	LUUKKU_DEBUG=$${LUUKKU_DEBUG:-1} $(BIN)/luukku demo --if-empty
	LUUKKU_DEBUG=$${LUUKKU_DEBUG:-1} $(BIN)/luukku serve --port $(PORT)

test: install-test $(HTMX) $(MO_FILES) browser servers check pytest smoke

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	@touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# htmx comes from the npm registry at build time; pages work without it.
$(HTMX):
	@mkdir -p $(dir $@)
	@if command -v npm >/dev/null; then \
	  tmp=$$(mktemp -d) && (cd $$tmp && npm pack --silent htmx.org@$(HTMX_VERSION) >/dev/null) && \
	  tar -xzf $$tmp/htmx.org-$(HTMX_VERSION).tgz -C $$tmp package/dist/htmx.min.js && \
	  cp $$tmp/package/dist/htmx.min.js $@ && rm -rf $$tmp; \
	else echo "npm not found: pages will work without htmx enhancements"; touch $@; fi

src/luukku/locale/%/LC_MESSAGES/django.mo: src/luukku/locale/%/LC_MESSAGES/django.po $(VENV)/.installed
	$(BIN)/python -m luukku.i18n_build $< $@

messages: $(MO_FILES)

makemessages: install-test
	cd src/luukku && ../../$(BIN)/luukku makemessages -l nb -l fi -l sv --no-obsolete --no-location

# Browser tests drive Debian's Chromium.
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "Install Chromium first: sudo apt-get install chromium"; exit 1; fi; }

# A real IMAP server for the tests that fetch mail (each test starts its own), and Redis
# for the live pages' push (started here when none answers on 127.0.0.1:6379).
servers:
	@test -x /usr/sbin/dovecot || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq dovecot-imapd >/dev/null; \
	  else echo "Install Dovecot first: sudo apt-get install dovecot-imapd"; exit 1; fi; }
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { \
	  command -v redis-server >/dev/null || { \
	    if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; \
	    else echo "Install Redis first: sudo apt-get install redis-server"; exit 1; fi; }; \
	  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' >/dev/null; }

lint: install-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

typecheck: install-test
	$(BIN)/mypy src/luukku

check: lint typecheck
	DATABASE_URL=sqlite:///:memory: $(BIN)/luukku makemigrations --check --dry-run

pytest: install-test
	DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/pytest -q

# The embedded default (SQLite) keeps working: a smoke subset runs on it.
smoke: install-test
	DATABASE_URL=sqlite:///$(CURDIR)/var/test-smoke.sqlite3 $(BIN)/pytest -q -m smoke

clean:
	rm -rf $(VENV) var $(HTMX) $(MO_FILES)
