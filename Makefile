# Developer tasks. The deployable artifact is built only the way template.yaml builds it
# (`sam build` runs `cargo lambda build --release --arm64`); `make build` runs that same command.

SHELL := /bin/bash
VENV := .venv
TOOLS := $(VENV)/.installed
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: demo test build bench bench-wakeups fuzz sync-schema clean

# How long `make test` fuzzes each target; `make fuzz FUZZ_SECONDS=300` for a longer run.
FUZZ_SECONDS ?= 10

## make demo: run the function locally against the AWS stand-in, invoking every events/*.json
demo: $(TOOLS)
	$(VENV)/bin/python scripts/demo.py

## make test: formatting, lints, the whole test suite, the template's lint and IAM check
## (and that check's own tests), and a short fuzz run of the parsers and the decision
## (`sam validate --lint` runs cfn-lint locally on SAM's reading of the template: no AWS
## call and no credentials, unlike plain `sam validate`, which asks IAM; telemetry off)
test: $(TOOLS)
	cargo fmt --all --check
	cargo fmt --manifest-path fuzz/Cargo.toml --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo test --workspace
	cfn-lint template.yaml
	SAM_CLI_TELEMETRY=0 $(VENV)/bin/sam validate --lint --template template.yaml --region us-east-1
	$(VENV)/bin/python scripts/check_template.py
	$(VENV)/bin/python scripts/test_check_template.py
	scripts/fuzz $(FUZZ_SECONDS)

## make fuzz: each fuzz target for FUZZ_SECONDS from its seeds; fails on a crash
fuzz:
	scripts/fuzz $(FUZZ_SECONDS)

## make sync-schema: write policy.schema.json, translated to JSON Schema draft 4 (what AWS
## AppConfig reads), into template.yaml as the policy profile's validator
sync-schema: $(TOOLS)
	$(VENV)/bin/python scripts/sync_schema.py

## make build: the Lambda artifact for arm64, as `sam build` makes it
build: $(TOOLS)
	cargo lambda build --release --arm64

## make bench: cold start and memory against the same gate written with boto3
bench: $(TOOLS)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	$(VENV)/bin/python bench/cold_start.py

## make bench-wakeups: wake-ups at account scale over a simulated day (5,000 pipelines, 350
## deferred approvals) and the backstop sweep's reads, against the stand-in; prints a report
bench-wakeups:
	cargo test --test it wakeups_at_scale:: -- --ignored --nocapture

$(TOOLS): requirements-dev.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

clean:
	cargo clean
	rm -rf $(VENV)
