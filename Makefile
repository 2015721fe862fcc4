# procpool: a process-pool supervisor for the JVM.  `make help` lists the targets.

SHELL      := /bin/bash
MVN        ?= mvn
MVN_FLAGS  ?= -B --no-transfer-progress
JAVA       ?= java
CONFIG     ?= conf/pool.conf
# A small footprint for a long-running supervisor: the flags of conf/jvm.options (why each one is
# there is written beside it), comments left out.
JAVA_OPTS  ?= $(strip $(shell sed 's/\#.*//' conf/jvm.options))
ifeq ($(origin CC),default)
CC         := gcc
endif
CFLAGS     ?= -O2 -Wall -Wextra -Werror

JAR        := target/procpool.jar
# Class-data sharing: `mvn package` records, beside the jar, the classes a run and poolctl load
# (bin/procpool cds), so they start sooner; bin/procpool uses the archive only while it matches the
# jar and the JDK, and says so when it does not.
MODULES    := procpool procpool-testkit procpool-cluster procpool-cli
SOURCES    := pom.xml $(MODULES:%=%/pom.xml) $(shell find $(MODULES:%=%/src/main) -type f 2>/dev/null)
SAMPLES    := build/search.cgi build/auth.cgi
# The project's version, the first <version> of pom.xml (it has no parent).
VERSION    := $(shell sed -n 's:^  <version>\(.*\)</version>:\1:p' pom.xml | head -1)
DIST       := target/procpool-$(VERSION).tar.gz
PREFIX     ?= /usr/local

.PHONY: help build run run-pool run-cluster test smoke-test bench bench-gateway bench-cluster bench-dashboard chaos chaos-short dashboard-screenshots clean samples dist install uninstall

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

build: samples $(JAR) ## Build the runnable jar (target/procpool.jar), its class-data archive and the sample services

# The samples come first: package puts them into the distribution archive beside the jar.
$(JAR) $(DIST): $(SOURCES) $(SAMPLES) $(wildcard bin/* conf/* packaging/*/*) procpool-cli/src/assembly/dist.xml
	$(MVN) $(MVN_FLAGS) -q -DskipTests package

dist: $(DIST) ## The distribution archive, target/procpool-VERSION.tar.gz: runs where Java 17 is
	@echo "$(DIST)"

# Everything under PREFIX/lib/procpool (the archive's tree), commands and completion linked into it.
install: $(DIST) ## Install the archive under PREFIX (default /usr/local; DESTDIR for staging)
	rm -rf "$(DESTDIR)$(PREFIX)/lib/procpool"
	mkdir -p "$(DESTDIR)$(PREFIX)/lib/procpool" "$(DESTDIR)$(PREFIX)/bin" "$(DESTDIR)$(PREFIX)/share/bash-completion/completions"
	tar xzf $(DIST) -C "$(DESTDIR)$(PREFIX)/lib/procpool" --strip-components=1
	ln -sfn ../lib/procpool/bin/procpool "$(DESTDIR)$(PREFIX)/bin/procpool"
	ln -sfn ../lib/procpool/bin/poolctl "$(DESTDIR)$(PREFIX)/bin/poolctl"
	ln -sfn ../../../lib/procpool/share/bash-completion/completions/procpool \
		"$(DESTDIR)$(PREFIX)/share/bash-completion/completions/procpool"
	ln -sfn ../../../lib/procpool/share/bash-completion/completions/poolctl \
		"$(DESTDIR)$(PREFIX)/share/bash-completion/completions/poolctl"
	@# The class-data archive is recorded for the jar's final path, so not into a staging DESTDIR
	@# (there the systemd unit's ExecStartPre records it at the first start).
	@if [ -z "$(DESTDIR)" ]; then "$(PREFIX)/lib/procpool/bin/procpool" cds || true; fi

uninstall: ## Remove what make install put under PREFIX
	rm -rf "$(DESTDIR)$(PREFIX)/lib/procpool"
	rm -f "$(DESTDIR)$(PREFIX)/bin/procpool" "$(DESTDIR)$(PREFIX)/bin/poolctl" \
		"$(DESTDIR)$(PREFIX)/share/bash-completion/completions/procpool" \
		"$(DESTDIR)$(PREFIX)/share/bash-completion/completions/poolctl"

samples: $(SAMPLES) ## Build the C sample services into build/

build/%.cgi: samples/c/%.c samples/c/minihttp.c samples/c/minihttp.h
	@mkdir -p build
	$(CC) $(CFLAGS) -o $@ $< samples/c/minihttp.c

run: build ## Run the default pool (conf/pool.conf) in the foreground; Ctrl-C stops it
	bin/procpool run --config $(CONFIG)

run-pool: run ## The same as `make run` (the name the original pool manager used)

run-cluster: build ## Three cluster nodes of the default pool on this machine, logs prefixed; Ctrl-C stops all (docs/cluster.md)
	JAVA_OPTS="$(JAVA_OPTS)" python3 scripts/run_cluster.py

test: samples ## Unit tests, the integration suite over real processes, then the examples
	@scripts/need-packages.sh nginx haproxy chromium chromedriver=chromium-driver
	$(MVN) $(MVN_FLAGS) install
	$(MVN) $(MVN_FLAGS) -f examples/embedding/pom.xml verify
	$(MVN) $(MVN_FLAGS) -f examples/simulation/pom.xml verify

smoke-test: build ## Start the default pool, check every service end to end, stop it, check nothing is left
	python3 scripts/smoke_test.py --config $(CONFIG)

bench: build ## Benchmarks beside supervisord, PM2 and a C floor, and a cost curve to 5,000 instances (installs them; ~45 min) -> docs/benchmarks.md
	JAVA_OPTS="$(JAVA_OPTS)" python3 bench/bench.py $(BENCH_ARGS)
	@/usr/bin/python3 -c "import matplotlib" 2>/dev/null || apt-get install -y -q --no-install-recommends \
		python3-matplotlib >/dev/null || echo "make bench: no python3-matplotlib, the report has no charts" >&2
	/usr/bin/python3 bench/report.py

bench-gateway: build ## The gateway beside nginx and HAProxy under wrk (and a bare Pekko HTTP proxy as the floor), and failures during events (~8 min) -> docs/benchmarks.md
	@scripts/need-packages.sh wrk nginx haproxy
	@/usr/bin/python3 -c "import matplotlib" 2>/dev/null || scripts/need-packages.sh python3-matplotlib=python3-matplotlib \
		|| echo "make bench-gateway: no python3-matplotlib, the report has no charts" >&2
	JAVA_OPTS="$(strip $(shell sed 's/\#.*//' conf/jvm-gateway.options))" /usr/bin/python3 bench/gateway.py $(BENCH_ARGS)

chaos: build ## Fault injection over real processes (~5 min) -> docs/reliability.md
	JAVA_OPTS="$(JAVA_OPTS)" python3 bench/chaos.py --report

dashboard-screenshots: samples ## The dashboard's screenshots in docs/images (DashboardIT in headless Chromium)
	@scripts/need-packages.sh chromium chromedriver=chromium-driver
	$(MVN) $(MVN_FLAGS) verify -pl procpool-cli -am -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
	  -Dit.test=DashboardIT -Dfailsafe.failIfNoSpecifiedTests=false -Dprocpool.screenshots=$(CURDIR)/docs/images

bench-cluster: build ## Failover of a 3-node cluster on this machine: SIGKILL of a node to its instances serving elsewhere, 10 trials (~5 min) -> docs/benchmarks.md
	JAVA_OPTS="$(JAVA_OPTS)" python3 bench/cluster.py $(BENCH_ARGS)

bench-dashboard: samples ## SIGKILL to HEALTHY again on the dashboard, in headless Chromium (~2 min) -> docs/benchmarks.md
	@scripts/need-packages.sh chromium chromedriver=chromium-driver
	$(MVN) $(MVN_FLAGS) verify -pl procpool-cli -am -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
	  -Dit.test=DashboardLatencyBench -Dfailsafe.failIfNoSpecifiedTests=false

chaos-short: build ## The short form of make chaos, which CI runs (~2 min)
	JAVA_OPTS="$(JAVA_OPTS)" python3 bench/chaos.py --short

clean: ## Remove build output and the default state dir
	$(MVN) $(MVN_FLAGS) -q clean
	rm -rf build var
