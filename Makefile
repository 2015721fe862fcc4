# procpool: a process-pool supervisor for the JVM.  `make help` lists the targets.

SHELL      := /bin/bash
MVN        ?= mvn
MVN_FLAGS  ?= -B --no-transfer-progress
JAVA       ?= java
CONFIG     ?= conf/pool.conf
# A small footprint for a long-running supervisor (see docs/benchmarks.md for the figures).
JAVA_OPTS  ?= -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k
ifeq ($(origin CC),default)
CC         := gcc
endif
CFLAGS     ?= -O2 -Wall -Wextra -Werror

JAR        := target/procpool.jar
SOURCES    := pom.xml $(shell find src/main -type f 2>/dev/null)
SAMPLES    := build/search.cgi build/auth.cgi

.PHONY: help build run run-pool test smoke-test bench clean samples

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

build: $(JAR) samples ## Build the runnable jar (target/procpool.jar) and the sample services

$(JAR): $(SOURCES)
	$(MVN) $(MVN_FLAGS) -q -DskipTests package

samples: $(SAMPLES) ## Build the C sample services into build/

build/%.cgi: samples/c/%.c samples/c/minihttp.c samples/c/minihttp.h
	@mkdir -p build
	$(CC) $(CFLAGS) -o $@ $< samples/c/minihttp.c

run: build ## Run the default pool (conf/pool.conf) in the foreground; Ctrl-C stops it
	$(JAVA) $(JAVA_OPTS) -jar $(JAR) run --config $(CONFIG)

run-pool: run ## The same as `make run` (the name the original pool manager used)

test: samples ## Unit tests, the integration suite over real processes, then the examples
	$(MVN) $(MVN_FLAGS) install
	$(MVN) $(MVN_FLAGS) -f examples/embedding/pom.xml verify
	$(MVN) $(MVN_FLAGS) -f examples/simulation/pom.xml verify

smoke-test: build ## Start the default pool, check every service end to end, stop it, check nothing is left
	python3 scripts/smoke_test.py --config $(CONFIG)

bench: ## Benchmarks against supervisord and PM2 (not written yet)
	@echo "make bench: the benchmark suite is not written yet (see the open benchmark issue)" >&2
	@exit 1

clean: ## Remove build output and the default state dir
	$(MVN) $(MVN_FLAGS) -q clean
	rm -rf build var
