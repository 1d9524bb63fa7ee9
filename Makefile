# Remedy: one entry point for set-up, gates and synthesis.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := true
export AWS_REGION ?= us-east-1
LAYER_DIR := build/lambda_layers/rdklib/python

.PHONY: install layer lint format test pytest scale synth demo demo-account prowler-venv e2e bench lambda-runtime-test lock clean

install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || python3.11 -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

# rdklib and boto3 reach Lambda as a layer folder: the pinned wheels (with their dependencies, all from
# constraints.txt) unpacked with pip --target, no Docker. No .pyc files, no bin/ scripts and no RECORD lines for
# them (a script's shebang, and so its hash, names this venv's Python): the folder, and so the asset hash, is the
# same on every machine and in every checkout for one commit.
LAYER_BUILT := build/lambda_layers/.rdklib-built
layer: $(LAYER_BUILT)
$(LAYER_BUILT): constraints.txt | $(VENV)/.installed
	rm -rf $(LAYER_DIR) && mkdir -p $(LAYER_DIR)
	$(PY) -m pip install --quiet --no-compile --target $(LAYER_DIR) -c constraints.txt rdklib boto3
	rm -rf $(LAYER_DIR)/bin
	sed -i '/^\.\.\/\.\.\/bin\//d' $(LAYER_DIR)/*.dist-info/RECORD
	touch $@

lint: install
	ruff check .
	ruff format --check .

format: install
	ruff format .
	ruff check --fix .

# Two worker processes, each taking whole test files (a file's module fixtures are synthesized once), the files
# with long-running tests first (tests/conftest.py). The suite runs
# under tests/infra/call_observer.py, which records the AWS calls each rule, runbook and the bridge make; then the
# least-privilege test compares them with what every synthesized role grants (tests/infra/test_least_privilege.py).
PYTEST_WORKERS ?= 2
OBSERVED_CALLS := $(CURDIR)/build/observed-calls/observed.json
pytest: install layer
	rm -rf $(dir $(OBSERVED_CALLS)) && mkdir -p $(dir $(OBSERVED_CALLS))
	REMEDY_OBSERVED_CALLS=$(OBSERVED_CALLS) pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=25 -p tests.infra.call_observer
	REMEDY_OBSERVED_CALLS=$(OBSERVED_CALLS) pytest -m privilege -o addopts="-q --strict-markers" tests/infra/test_least_privilege.py

# The limits gate on a generated catalogue of 300 controls, in both deployment modes (tests/infra/test_scale.py):
# minutes of synthesis, so CI runs it (.ci/run) beside `make test` rather than inside it.
scale: install layer
	pytest -m scale -o addopts="-q --strict-markers" tests/infra/test_scale.py

# An example organization (synth checks it, demo runs it): the security account's bridge in us-east-1, members in
# us-east-1 and eu-west-1, account-global controls in the home region us-east-1.
ORGANIZATION := -c remedy:securityAccount=111111111111 -c remedy:organizationId=o-exampleorg01 \
  -c remedy:homeRegion=us-east-1 -c remedy:bridgeRegion=us-east-1 -c remedy:bridgeRegions=us-east-1,eu-west-1

# The same organization rolled out by the self-mutating pipeline (infra/pipeline.py): the security stage, then two
# member waves of service-managed StackSets over OUs, members in conformance-pack mode. Nothing in it names a member
# account; the limits gate measures each StackSet at 1,000 accounts (infra/limits.py ORGANIZATION_ACCOUNTS).
PIPELINE := -c remedy:pipeline=true -c remedy:deploymentMode=conformance-pack \
  -c remedy:pipelineConnectionArn=arn:aws:codeconnections:us-east-1:111111111111:connection/0a1b2c3d-1e2f-4a5b-8c9d-0e1f2a3b4c5d \
  -c remedy:pipelineRepository=example-bank/remedy \
  -c 'remedy:memberWaves=[{"name": "Pilot", "organizationalUnits": ["ou-ab12-pilot001"], "regions": ["us-east-1"]}, {"name": "Production", "organizationalUnits": ["ou-ab12-workload1", "ou-ab12-workload2"], "regions": ["us-east-1", "eu-west-1"], "approval": true}]'

# The organization variant of synth also holds the Prowler scan in every member: image from the security account's
# ECR repository, in the landing zone's private subnets named by SSM parameters (make demo runs without it).
ORGANIZATION_SCAN := -c remedy:prowlerScan=true -c remedy:prowlerImage=111111111111.dkr.ecr.us-east-1.amazonaws.com/prowler \
  -c remedy:prowlerSubnetsParameter=/landing-zone/vpc/private-subnets -c remedy:prowlerVpcParameter=/landing-zone/vpc/id

synth: install layer
	rm -rf cdk.out
	cdk synth --quiet --no-notices
	cdk synth --quiet --no-notices -c remedy:deploymentMode=conformance-pack --output cdk.out/conformance-pack
	cdk synth --quiet --no-notices -c remedy:prowlerScan=true --output cdk.out/prowler-scan
	cdk synth --quiet --no-notices $(ORGANIZATION) -c remedy:permissionsBoundary=remedy-boundary \
	  -c remedy:rolePath=/remedy/ -c remedy:tags=owner=platform-security $(ORGANIZATION_SCAN) --output cdk.out/organization
	cdk synth --quiet --no-notices $(ORGANIZATION) $(PIPELINE) --output cdk.out/pipeline
	$(PY) -m infra.check_templates cdk.out

# The main job: the whole loop across an emulated AWS Organization (in-process moto), no AWS account needed:
# the example organization above, with two member accounts.
demo: install layer
	cdk synth --quiet --no-notices $(ORGANIZATION) --output cdk.out/demo-organization
	$(PY) -m simulation.demo --assembly cdk.out/demo-organization --output demo-output $(DEMO_ARGS)

# The same loop on one account (<Prefix>Controls); DEMO_ARGS="--endpoint-url http://127.0.0.1:5000" runs it
# against a moto server instead of in-process moto.
demo-account: install layer
	cdk synth --quiet --no-notices --output cdk.out/demo-account
	$(PY) -m simulation.demo --assembly cdk.out/demo-account --output demo-output $(DEMO_ARGS)

# The rule, bridge and resource-type registry tests on the Python version of the Lambda runtime (infra/runtimes.py), in a venv of their
# own; the rest of the project (runbook scripts: SSM executeScript's python3.11) stays on the main venv.
LAMBDA_PYTHON_VERSION := $(shell sed -n 's/^LAMBDA_PYTHON_VERSION = "\(.*\)"/\1/p' infra/runtimes.py)
LAMBDA_PYTHON ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/$(LAMBDA_PYTHON_VERSION).*/bin/python$(LAMBDA_PYTHON_VERSION)) $(shell command -v python$(LAMBDA_PYTHON_VERSION)))
LAMBDA_VENV ?= .venv-lambda

$(LAMBDA_VENV)/.installed: pyproject.toml constraints.txt
	@test -n "$(LAMBDA_PYTHON)" || { echo "python$(LAMBDA_PYTHON_VERSION) (the Lambda runtime's version) is required" >&2; exit 1; }
	test -x $(LAMBDA_VENV)/bin/python || $(LAMBDA_PYTHON) -m venv $(LAMBDA_VENV)
	$(LAMBDA_VENV)/bin/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

lambda-runtime-test: $(LAMBDA_VENV)/.installed
	$(LAMBDA_VENV)/bin/python -c 'import sys; assert sys.version.startswith("$(LAMBDA_PYTHON_VERSION)."), sys.version'
	$(LAMBDA_VENV)/bin/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile tests/config_rules tests/prowler_bridge tests/resource_types

# Prowler, pinned in simulation/prowler-requirements.txt, in its own virtual environment: it pins boto3/botocore
# 1.40.61, which conflicts with the project's boto3. Tests that run it (tests/simulation/) skip when it is absent,
# except in CI (CI set), where they fail.
PROWLER_VENV ?= .venv-prowler

prowler-venv: $(PROWLER_VENV)/.installed

$(PROWLER_VENV)/.installed: simulation/prowler-requirements.txt simulation/prowler-constraints.txt
	test -x $(PROWLER_VENV)/bin/python || python3.11 -m venv $(PROWLER_VENV)
	$(PROWLER_VENV)/bin/python -m pip install --quiet -c simulation/prowler-constraints.txt -r simulation/prowler-requirements.txt
	$(PROWLER_VENV)/bin/prowler --version
	touch $@

# Proof by a tool no one here wrote: real Prowler against a moto server, findings through the bridge and back;
# and the catalogue's CIS v3.0 and FSBP ids, and catalogue/frameworks.json, checked against Prowler's compliance files.
e2e: install layer prowler-venv
	pytest -m "prowler or browser" -o addopts="-q --strict-markers" tests/simulation tests/catalogue/test_prowler_compliance.py \
	  tests/remedy_cli/test_report_browser.py

# Not a gate: remedy scan against Prowler on one moto server, the catalogue's S3 bucket controls and their Prowler
# checks, 100 and 1,000 buckets; wall time, requests the server received, agreement (simulation/bench.py).
BENCH_SIZES ?= 100 1000
bench: install layer prowler-venv
	$(PY) -m simulation.bench --sizes $(BENCH_SIZES)

# Every gate: lint, unit tests, synthesis through the pinned CLI (cdk-nag runs inside synth),
# cfn-lint and the runbook schema check on what was synthesized.
test: lint pytest synth

lock:
	$(PY) -m pip freeze --exclude-editable | sort > constraints.txt.new && mv constraints.txt.new constraints.txt

clean:
	rm -rf cdk.out build .pytest_cache .ruff_cache $(LAMBDA_VENV)
