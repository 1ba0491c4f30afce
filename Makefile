# Two commands to get going: `make serve` and `make test`. Everything else is optional.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 3000
MODELS ?= lenet_bn,resnet18
PRESET ?= quick
# Where the Fashion-MNIST IDX files are; the Python code reads the same variable.
FASHION_MNIST_DIR ?= /usr/share/datasets/fashion-mnist
export FASHION_MNIST_DIR

export BENTOML_DO_NOT_TRACK := true
export HF_HUB_OFFLINE := 1
export PYTHONUNBUFFERED := 1

.PHONY: help setup data models serve test test-fast bench lint clean

help:
	@echo "make serve   train (quick preset) + export + register missing models, then serve on $(HOST):$(PORT)"
	@echo "make test    run the test suite (installs everything first)"
	@echo "make bench   PyTorch eager vs onnxruntime side by side"
	@echo "make models  only train/export/register MODELS=$(MODELS) (PRESET=$(PRESET) where missing)"
	@echo "make lint    ruff"

# The virtual environment, rebuilt when the pinned requirements change.
$(VENV)/.installed: requirements.txt pyproject.toml clients/python/pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "[setup] installing pinned dependencies into $(VENV) (first time: a few minutes)"
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -e . -e clients/python
	@if $(PY) -m pip show -q onnxruntime >/dev/null 2>&1; then \
		echo "[setup] error: plain onnxruntime is installed beside onnxruntime-gpu; uninstall it"; exit 1; fi
	@touch $@

setup: $(VENV)/.installed

# Fashion-MNIST comes from the Debian package dataset-fashion-mnist; nothing downloads at run time.
data:
	@if [ -f "$(FASHION_MNIST_DIR)/t10k-images-idx3-ubyte.gz" ]; then exit 0; fi; \
	echo "[data] Fashion-MNIST missing in $(FASHION_MNIST_DIR): installing the Debian package dataset-fashion-mnist"; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; else SUDO=none; fi; \
	if [ "$$SUDO" = none ] || ! command -v apt-get >/dev/null; then \
		echo "[data] error: cannot install it here. Run 'sudo apt-get install dataset-fashion-mnist'," \
		     "or set FASHION_MNIST_DIR to a folder with the four IDX .gz files."; exit 1; fi; \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1 || \
	{ $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist; } || \
	{ echo "[data] error: apt-get install dataset-fashion-mnist failed"; exit 1; }

models: setup data
	$(PY) -m export.ensure --models $(MODELS) --preset $(PRESET)

serve: models
	@echo "[serve] http://$(HOST):$(PORT)  (docs: /  models: /v1/models  health: /readyz  metrics: /metrics)"
	ZOO_MODELS=$(MODELS) $(VENV)/bin/bentoml serve service.service:ZooService --host $(HOST) --port $(PORT)

test: setup data
	$(PY) -m pytest -q -ra $(PYTEST_ARGS)

bench: setup data
	$(PY) -m benchmarks.bench_classifier $(BENCH_ARGS)

lint: setup
	$(VENV)/bin/ruff check .

clean:
	rm -rf runs artifacts .pytest_cache
