# Developer tasks. The deployable artifact is built only the way template.yaml builds it
# (`sam build` runs `cargo lambda build --release --arm64`); `make build` runs that same command.

SHELL := /bin/bash
VENV := .venv
TOOLS := $(VENV)/.installed
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: demo test build bench clean

## make demo: run the function locally against the AWS stand-in, invoking every events/*.json
demo: $(TOOLS)
	$(VENV)/bin/python scripts/demo.py

## make test: formatting, lints, the whole test suite and the template lint
test: $(TOOLS)
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo test --workspace
	cfn-lint template.yaml

## make build: the Lambda artifact for arm64, as `sam build` makes it
build: $(TOOLS)
	cargo lambda build --release --arm64

## make bench: cold start and memory against the same gate written with boto3
bench: $(TOOLS)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	$(VENV)/bin/python bench/cold_start.py

$(TOOLS): requirements-dev.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

clean:
	cargo clean
	rm -rf $(VENV)
