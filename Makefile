# Two commands do all set-up on a fresh machine:
#   make run   - create .venv if missing, install, run the batch job on corpus/
#   make test  - create .venv if missing, install (with the [scale] extra: Ray, pyarrow), run the tests
#   make serve - browse the store that `make run` filled, at http://127.0.0.1:8000/
VENV   ?= .venv
PYTHON ?= python3
STAMP  := $(VENV)/.installed-stamp
# the tests also cover the scale-out path (tests/test_scale.py): Ray and pyarrow, beside the light default
SCALE_STAMP := $(VENV)/.installed-scale-stamp

.PHONY: setup run serve test bench clean

$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(SCALE_STAMP): $(STAMP)
	$(VENV)/bin/python -m pip install --quiet -e '.[test,scale]'
	touch $(SCALE_STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/reportlens run corpus/

serve: $(STAMP)
	$(VENV)/bin/reportlens serve

test: $(SCALE_STAMP)
	$(VENV)/bin/python -m pytest -q

clean:
	rm -rf $(VENV) reportlens.db reportlens.db-wal reportlens.db-shm
