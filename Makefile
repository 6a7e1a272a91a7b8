# The two commands of README.md: `make demo` runs the main job, `make test` runs the tests.
# Each creates .venv/ on first use and installs what it needs there, so a fresh clone just works.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench lint clean site

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall when pyproject.toml changes (new dependencies).
$(VENV)/.installed-demo: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	touch $@

demo: $(VENV)/.installed-demo
	$(BIN)/python -m micrograd_plus house-prices

test: $(VENV)/.installed-test
	$(BIN)/ruff check micrograd_plus tests benchmarks browser
	$(BIN)/ruff format --check micrograd_plus tests benchmarks browser
	$(BIN)/python -m pytest -n 2

# The course as a JupyterLite site in build/site/ (README: "The course in the browser"); needs Node.js and npm.
site: $(VENV)/.installed-site node_modules/.package-lock.json
	$(BIN)/python browser/build_site.py --out build/site

$(VENV)/.installed-site: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[site]"
	touch $@

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

bench: $(VENV)/.installed-bench
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache house_prices_output attention_output fine_tuning_output gpt_output build
