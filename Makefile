# slbcert: the commands the README names. `make` builds, `make test` runs every suite,
# `make demo` shows an upload against the local emulator.
SHELL := /bin/bash
.DEFAULT_GOAL := all

VERSION        := 1.1.0
SOVERSION      := 1
PREFIX         ?= /usr/local
DESTDIR        ?=
MULTIARCH      := $(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
# Debian puts libraries of /usr in the multiarch directory; elsewhere the plain lib/.
LIBDIR         ?= $(if $(filter /usr,$(PREFIX)),$(PREFIX)/lib/$(MULTIARCH),$(PREFIX)/lib)
INCLUDEDIR     ?= $(PREFIX)/include
BINDIR         ?= $(PREFIX)/bin
# Where bash-completion, zsh and fish look for the completions of installed commands.
BASHCOMPDIR    ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR     ?= $(PREFIX)/share/zsh/vendor-completions
FISHCOMPDIR    ?= $(PREFIX)/share/fish/vendor_completions.d

BUILD          ?= build
LIB            := $(BUILD)/lib/libslbcert.so.$(VERSION)
CLI            := $(BUILD)/bin/slbcert
COMPLETIONS    := $(BUILD)/completions
VENV           := build/venv
PYTHON         := $(VENV)/bin/python

# The static Swift runtime goes into the .so, so C and Python callers need no toolchain; the SONAME,
# immediate binding and the version script (exports = the C API) make it an ordinary C library.
# -z nodelete: dlclose() leaves it mapped, since threads of the host keep destructors that point into it.
# SWIFTPM_BUILD_DIR gives SwiftPM its own scratch directory (the Debian build uses one).
STRIP          ?= strip
# SwiftPM leaves an empty TemporaryDirectory.* in $TMPDIR on every run: its temporary files go under
# build/, which `make clean` removes, not into /tmp.
SWIFT_TMPDIR   := $(abspath $(BUILD))/tmp
SWIFT_ENV      := mkdir -p $(SWIFT_TMPDIR) && env TMPDIR=$(SWIFT_TMPDIR)
SCRATCH        := $(if $(SWIFTPM_BUILD_DIR),--scratch-path $(SWIFTPM_BUILD_DIR))
SWIFT_RELEASE  := $(SWIFT_ENV) swift build -c release $(SCRATCH) -Xswiftc -static-stdlib --disable-local-rpath \
                  -Xlinker -soname=libslbcert.so.$(SOVERSION) -Xlinker -z -Xlinker now -Xlinker -z -Xlinker nodelete \
                  -Xlinker --version-script=$(CURDIR)/libslbcert.map
SWIFT_BIN      = $(shell $(SWIFT_RELEASE) --show-bin-path)

CC             ?= cc
CWARN          := -Wall -Wextra -Werror -pedantic -std=c11
VALGRIND       := valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99
# pkg-config against the build tree, as a user of an uninstalled build does it.
PKG_BUILD      := PKG_CONFIG_PATH=$(CURDIR)/$(BUILD)/lib/pkgconfig
# The one copy of the golden signing vectors (Alibaba's SDKs' signatures): test-c passes its path, the
# Swift and CLI tests read it where it is.
SIGNING_VECTORS := Tests/SLBCertTests/Fixtures/signing-vectors.json

.PHONY: all lib cli completions deps deps-build install uninstall test test-swift test-c test-symbols test-install \
        test-emulator \
        test-python test-example test-cli emulator demo bench test-bench-smoke bench-load bench-sign bench-client bench-parse clean

all: lib cli completions

deps-build:
	@scripts/install-deps.sh build

deps:
	@scripts/install-deps.sh test

lib: deps-build
	$(SWIFT_RELEASE) --product slbcert
	@mkdir -p $(BUILD)/lib/pkgconfig
	@# Copy then rename: a program running against the old file keeps its mapping instead of crashing.
	cp "$(SWIFT_BIN)/libslbcert.so" $(LIB).tmp && mv -f $(LIB).tmp $(LIB)
	ln -sf libslbcert.so.$(VERSION) $(BUILD)/lib/libslbcert.so.$(SOVERSION)
	ln -sf libslbcert.so.$(SOVERSION) $(BUILD)/lib/libslbcert.so
	sed -e 's|@PREFIX@|$(CURDIR)|' -e 's|@INCLUDEDIR@|$(CURDIR)/include|' -e 's|@LIBDIR@|$(CURDIR)/$(BUILD)/lib|' \
	    -e 's|@VERSION@|$(VERSION)|' pkgconfig/slbcert.pc.in > $(BUILD)/lib/pkgconfig/slbcert.pc

cli: deps-build
	$(SWIFT_RELEASE) --product slbcert-cli
	@mkdir -p $(BUILD)/bin
	cp "$(SWIFT_BIN)/slbcert-cli" $(CLI).tmp && mv -f $(CLI).tmp $(CLI)

# Shell completions, generated from the CLI's own definitions (swift-argument-parser), under the names
# each shell looks up: bash-completion loads "slbcert" on demand, zsh "_slbcert", fish "slbcert.fish".
# The bash script is sourced, never run: its "#!/bin/bash" line goes (lintian: bash-completion-with-hashbang).
completions: cli
	@mkdir -p $(COMPLETIONS)
	set -o pipefail; $(CLI) --generate-completion-script bash | sed '1{/^#!/d}' > $(COMPLETIONS)/slbcert.tmp && \
	    mv -f $(COMPLETIONS)/slbcert.tmp $(COMPLETIONS)/slbcert
	$(CLI) --generate-completion-script zsh > $(COMPLETIONS)/_slbcert.tmp && mv -f $(COMPLETIONS)/_slbcert.tmp $(COMPLETIONS)/_slbcert
	$(CLI) --generate-completion-script fish > $(COMPLETIONS)/slbcert.fish.tmp && \
	    mv -f $(COMPLETIONS)/slbcert.fish.tmp $(COMPLETIONS)/slbcert.fish

install: all
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(BINDIR)
	install -m 0644 $(LIB) $(DESTDIR)$(LIBDIR)/
	$(STRIP) --strip-unneeded $(DESTDIR)$(LIBDIR)/libslbcert.so.$(VERSION)
	ln -sf libslbcert.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libslbcert.so.$(SOVERSION)
	ln -sf libslbcert.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libslbcert.so
	install -m 0644 include/slbcert.h $(DESTDIR)$(INCLUDEDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' pkgconfig/slbcert.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/slbcert.pc
	install -m 0755 $(CLI) $(DESTDIR)$(BINDIR)/slbcert
	$(STRIP) --strip-unneeded $(DESTDIR)$(BINDIR)/slbcert
	install -d $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	install -m 0644 $(COMPLETIONS)/slbcert $(DESTDIR)$(BASHCOMPDIR)/slbcert
	install -m 0644 $(COMPLETIONS)/_slbcert $(DESTDIR)$(ZSHCOMPDIR)/_slbcert
	install -m 0644 $(COMPLETIONS)/slbcert.fish $(DESTDIR)$(FISHCOMPDIR)/slbcert.fish
	@# Installed for real (not staged): refresh the loader's cache, or programs cannot find the new
	@# library until someone runs ldconfig.
	@if [ -z "$(DESTDIR)" ] && command -v ldconfig >/dev/null 2>&1; then echo ldconfig; ldconfig; fi

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libslbcert.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libslbcert.so.$(SOVERSION) \
	      $(DESTDIR)$(LIBDIR)/libslbcert.so $(DESTDIR)$(LIBDIR)/pkgconfig/slbcert.pc \
	      $(DESTDIR)$(INCLUDEDIR)/slbcert.h $(DESTDIR)$(BINDIR)/slbcert \
	      $(DESTDIR)$(BASHCOMPDIR)/slbcert $(DESTDIR)$(ZSHCOMPDIR)/_slbcert $(DESTDIR)$(FISHCOMPDIR)/slbcert.fish
	@if [ -z "$(DESTDIR)" ] && command -v ldconfig >/dev/null 2>&1; then echo ldconfig; ldconfig; fi

# ---------------------------------------------------------------------------------------------- tests
test: deps all test-symbols test-abi test-docs test-c test-swift test-emulator test-python test-example test-cli \
      test-fuzz-smoke test-bench-smoke test-install test-deb
	@echo "make test: all suites passed"

test-swift: deps
	$(SWIFT_ENV) SLBCERT_TEST_PYTHON=$(CURDIR)/$(PYTHON) swift test

test-c: deps lib
	@mkdir -p $(BUILD)/tests
	$(CC) $(CWARN) Tests/c/test_abi.c -o $(BUILD)/tests/test_abi $$($(PKG_BUILD) pkg-config --cflags --libs slbcert) \
	    -Wl,-rpath,$(CURDIR)/$(BUILD)/lib
	SLBCERT_TEST_PYTHON=$(CURDIR)/$(PYTHON) SLBCERT_SIGNING_VECTORS=$(CURDIR)/$(SIGNING_VECTORS) \
	    $(VALGRIND) $(BUILD)/tests/test_abi
	$(CC) $(CWARN) Tests/c/test_deploy.c -o $(BUILD)/tests/test_deploy $$($(PKG_BUILD) pkg-config --cflags --libs slbcert) \
	    -Wl,-rpath,$(CURDIR)/$(BUILD)/lib
	SLBCERT_TEST_PYTHON=$(CURDIR)/$(PYTHON) SLBCERT_TEST_FIXTURE=$(CURDIR)/Tests/c/deploy_fixture.py \
	    $(VALGRIND) $(BUILD)/tests/test_deploy
	$(CC) $(CWARN) -D_DEFAULT_SOURCE Tests/c/test_unload.c -o $(BUILD)/tests/test_unload -I include -ldl -lpthread
	$(BUILD)/tests/test_unload $(CURDIR)/$(LIB)

test-symbols: lib
	Tests/check-library.sh $(LIB) include/slbcert.h

# `make install` into the real PREFIX (the loader must find the library at once), then `make
# uninstall` (nothing may be left behind). Changes this machine; CI and make test run it as root.
test-install: all
	Tests/install-test.sh

test-emulator: deps
	$(PYTHON) -m pytest -q emulator/tests

test-python: deps lib
	SLBCERT_LIBRARY=$(CURDIR)/$(LIB) $(PYTHON) -m pytest -q bindings/python/tests

test-example: deps lib
	PYTHON=$(CURDIR)/$(PYTHON) VALGRIND=1 examples/c/run-against-emulator.sh

test-cli: deps cli completions
	SLBCERT_CLI=$(CURDIR)/$(CLI) SLBCERT_COMPLETIONS=$(CURDIR)/$(COMPLETIONS) $(PYTHON) -m pytest -q Tests/cli

# ---------------------------------------------------------------------------------------------- demo
emulator: deps
	scripts/emulator.sh

demo: deps all
	scripts/demo.sh

# ---------------------------------------------------------------------------------------------- benchmarks
bench: bench-load bench-sign bench-client bench-parse

# The figures of the README come from the defaults; the *_BENCH_ARGS make a run shorter.
LOAD_BENCH_ARGS   ?=
SIGN_BENCH_ARGS   ?=
CLIENT_BENCH_ARGS ?=

# Every benchmark, as short as it goes: proves they still build and run (make test); no figure is judged.
test-bench-smoke:
	$(MAKE) --no-print-directory bench LOAD_BENCH_ARGS="--rounds 1" SIGN_BENCH_ARGS="--seconds 0.05" \
	    CLIENT_BENCH_ARGS="--uploads 3 --describes 3" BENCH_SECONDS=0.05

# The stripped library a package installs, how long a C program waits to load it and make a call,
# and the peak memory of the C example's upload against the emulator, beside curl's and the SDK's.
bench-load: deps lib
	@mkdir -p $(BUILD)/bench
	$(STRIP) --strip-unneeded -o $(BUILD)/bench/libslbcert.so.1 $(LIB)
	@echo "stripped size: $$(stat -c %s $(BUILD)/bench/libslbcert.so.1) bytes ($(BUILD)/bench/libslbcert.so.1)"
	$(CC) -O2 -std=c11 bench/bench_load.c -o $(BUILD)/bench/bench_load -ldl
	$(BUILD)/bench/bench_load $(CURDIR)/$(BUILD)/bench/libslbcert.so.1 21
	$(PYTHON) bench/load_bench.py $(LOAD_BENCH_ARGS)

bench-client: deps lib
	$(PYTHON) bench/client_bench.py $(CLIENT_BENCH_ARGS)

bench-sign: deps lib
	@mkdir -p $(BUILD)/bench
	$(CC) -O2 -std=c11 bench/bench_sign.c -o $(BUILD)/bench/bench_sign $$($(PKG_BUILD) pkg-config --cflags --libs slbcert) \
	    -Wl,-rpath,$(CURDIR)/$(BUILD)/lib
	$(PYTHON) bench/sign_bench.py --extra $(BUILD)/bench/bench_sign $(SIGN_BENCH_ARGS)

# Bundles parsed and checked per CPU second: the C API against python-cryptography doing the same work,
# and the floor (the OpenSSL operations the checks cannot avoid). BENCH_SECONDS: CPU seconds per row.
BENCH_SECONDS ?= 1
bench-parse: deps lib
	@mkdir -p $(BUILD)/bench
	$(CC) -O2 -std=c11 bench/parse_bench.c -o $(BUILD)/bench/parse_bench \
	    $$($(PKG_BUILD) pkg-config --cflags --libs slbcert libcrypto) -Wl,-rpath,$(CURDIR)/$(BUILD)/lib
	$(PYTHON) bench/parse_bench.py --seconds $(BENCH_SECONDS) --extra $(BUILD)/bench/parse_bench

include mk/deb.mk
include mk/abi.mk
include mk/docs.mk
include mk/fuzz.mk
include mk/sanitize.mk

# ---------------------------------------------------------------------------------------------- tools
clean:
	rm -rf $(BUILD) .build
