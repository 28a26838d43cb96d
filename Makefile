# Set-up and everyday commands. `make run` and `make test` do all the set-up on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup run test bench clean ocr

setup: $(STAMP) ocr

# Tesseract (OCR of scanned PDFs) is an OS package; installed only where it is missing and
# apt-get can run (root or sudo). Without it ideamap still works and says what to install.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo -n)
ocr:
	@command -v tesseract >/dev/null || ! command -v apt-get >/dev/null || \
	  $(SUDO) sh -c 'apt-get update -qq && apt-get install -y -qq tesseract-ocr tesseract-ocr-eng' || \
	  echo "warning: could not install tesseract-ocr; OCR tests will be skipped"

# torch first, pinned: on these machines torch==2.13.0 is a CPU build on local disk, while an
# unpinned torch would pull a CUDA build of several GB.
$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test,pdf-view,cluster]'
	touch $(STAMP)

run: setup
	$(BIN)/python -m ideamap.demo_run

test: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python benchmarks/bench_embed.py
	$(BIN)/python benchmarks/bench_build.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/bench_canvas.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/bench_app.py
	$(BIN)/python benchmarks/bench_index.py

clean:
	rm -rf $(VENV) build *.egg-info
