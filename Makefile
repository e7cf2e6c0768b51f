# The two commands of README.md: `make run` and `make test`. Each installs
# what is missing (PostgreSQL server binaries from the distribution) first.

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
GO   ?= go

.PHONY: run test unit e2e bench postgres-binaries c-compiler proxies build

run: postgres-binaries
	$(GO) run . serve

test: postgres-binaries unit e2e

unit: postgres-binaries c-compiler proxies
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

e2e: postgres-binaries
	bash e2e/run.sh

bench: postgres-binaries
	$(GO) test -run '^$$' -bench . -benchtime 3000x ./eventstore/

build:
	$(GO) build -trimpath -o authportal .

# The embedded database runs the machine's PostgreSQL binaries: on PATH or
# under /usr/lib/postgresql/*/bin (Debian, Ubuntu).
postgres-binaries:
	@if command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then :; else \
		echo "Installing the PostgreSQL server binaries (apt-get install postgresql)..."; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	fi

# The race detector needs cgo, and so a C compiler.
c-compiler:
	@if command -v cc >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1; then :; else \
		echo "Installing a C compiler for the race detector (apt-get install gcc)..."; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc libc6-dev >/dev/null; \
	fi

# The forward-auth tests run real reverse proxies (forward_proxy_test.go).
proxies:
	@missing=""; for b in caddy nginx; do command -v $$b >/dev/null 2>&1 || missing="$$missing $$b"; done; \
	if [ -n "$$missing" ]; then \
		echo "Installing the reverse proxies the forward-auth tests run (apt-get install$$missing)..."; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
