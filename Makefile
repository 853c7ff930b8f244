# Leadpages: `make run` serves the platform with demo data, `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test install translations messages browser bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP) translations

# Compiled catalogues are build output (.gitignore'd); the .po files are the source.
translations: $(STAMP)
	$(BIN)/pybabel compile -d translations --statistics

# After changing visible texts: refresh the template and merge it into nl and fr, then translate.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --omit-header \
	  --sort-output -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching

run: install
	$(BIN)/leadpages db upgrade
	$(BIN)/leadpages demo
	$(BIN)/leadpages serve

browser:
	@bash scripts/ensure-chromium.sh

test: install browser
	$(BIN)/python -m coverage run -m pytest $(PYTEST_ARGS)
	$(BIN)/python -m coverage report --fail-under=85

lint: install
	$(BIN)/ruff check leadpages tests bench migrations wsgi.py
	$(BIN)/mypy

bench: install browser
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .coverage .pytest_cache
