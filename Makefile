# Two commands do all set-up on a fresh machine:
#   make run   - create .venv if missing, install, run the batch job on corpus/
#   make test  - create .venv if missing, install, run the tests
#   make serve - browse the store that `make run` filled, at http://127.0.0.1:8000/
VENV   ?= .venv
PYTHON ?= python3
STAMP  := $(VENV)/.installed-stamp

.PHONY: setup run serve test bench clean

$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/reportlens run corpus/

serve: $(STAMP)
	$(VENV)/bin/reportlens serve

test: $(STAMP)
	$(VENV)/bin/python -m pytest -q

clean:
	rm -rf $(VENV) reportlens.db reportlens.db-wal reportlens.db-shm
