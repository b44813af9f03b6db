# Gatehouse developer commands. `make dev` and `make test` need nothing but
# the Rust toolchain, Python with pip, Node with npm and Java 17: they
# install the rest (scripts/bootstrap.sh) into git-ignored folders.
.PHONY: dev test lint sam-build sam-build-ci ci clean-local bench load-run webhook-cost

dev: ## run everything locally on http://127.0.0.1:9000
	scripts/dev.sh

test: ## the whole suite against a private local stack
	scripts/test.sh

lint: ## formatting, clippy, and the SAM template checks
	scripts/bootstrap.sh
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	# Layers import downwards only, and no two files import each other in a
	# circle; the check's own mutation test shows it fails when they do.
	python3 scripts/check_layers.py
	python3 scripts/test_check_layers.py
	# Every relative link and heading anchor in the Markdown resolves.
	python3 scripts/check_links.py
	.venv/bin/cfn-lint template.yaml
	.venv/bin/sam validate --lint
	# Every skipped check carries its reason beside it in template.yaml.
	.local/tools/checkov/bin/checkov -f template.yaml --framework cloudformation --compact --quiet --skip-download
	# openapi.yaml as standard tools read it.
	.local/tools/openapi/bin/openapi-spec-validator openapi.yaml
	cd .local/tools && node_modules/.bin/redocly lint ../../openapi.yaml --format=summary

sam-build: ## build every function for Lambda (arm64) as `sam deploy` would
	scripts/bootstrap.sh
	rustup target add aarch64-unknown-linux-gnu
	# One cargo run builds every function, linking two at a time (each
	# fat-LTO link is single-threaded); sam build then finds them fresh. Same
	# selection as sam's `--bin X` (the whole workspace), so the same features.
	PATH="$(CURDIR)/.venv/bin:$$PATH" cargo lambda build --release --arm64 --bins
	PATH="$(CURDIR)/.venv/bin:$$PATH" sam build --beta-features

# CI proves that every function compiles and links for arm64 and that SAM
# packages each one; fat LTO with one codegen unit only changes how LLVM
# optimises, and costs about two thirds of the build (BENCHMARKS.md "CI
# time"). Deploys and `make bench` keep the release profile as it is.
sam-build-ci: ## `sam-build` without fat LTO, as CI runs it
	CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 $(MAKE) sam-build

ci: lint test sam-build-ci

clean-local: ## forget local tools, stacks and secrets
	rm -rf .venv .local .aws-sam

bench: ## cold starts, DynamoDB calls, handler and bcrypt costs, sizes, cost model -> BENCHMARKS.md
	scripts/bench.sh

webhook-cost: ## what a webhook event adds to a validate, and delivery batches, against a private local stack
	scripts/bench/webhook_cost.sh

load-run: ## 2,000 logins, 100 at a time, through the handlers against DynamoDB Local
	scripts/bench/load_run.sh
