# Sanitizers (included by the Makefile; the README's "Fuzzing and sanitizers" has what is covered and the timings).
#   make test-sanitize          all of the below; not part of `make test`
#   make test-sanitize-c        the C suites of test-c (Tests/c/test_abi.c, test_deploy.c) against an ASan build of the library
#   make test-sanitize-example  examples/c/run-against-emulator.sh against the same library
#   make test-sanitize-thread   the Swift concurrency suites under ThreadSanitizer
# The ASan library is the release library (static Swift runtime, SONAME, version script) compiled with
# -sanitize=address, in build/sanitize with a SwiftPM scratch path of its own. The C programs are compiled
# with the Swift toolchain's clang and -fsanitize=address,undefined: the ASan runtime linked into them
# is the one that toolchain's compiler instrumented the library for. No valgrind here (it cannot run
# ASan programs). Reports are written under build/sanitize/reports and must be none.
SANITIZE_DIR      := $(BUILD)/sanitize
SANITIZE_LIBDIR   := $(SANITIZE_DIR)/lib
SANITIZE_LIB      := $(SANITIZE_LIBDIR)/libslbcert.so.$(VERSION)
SANITIZE_REPORTS  := $(CURDIR)/$(SANITIZE_DIR)/reports
SANITIZE_CC       := $(dir $(realpath $(shell command -v swiftc)))clang
SANITIZE_CFLAGS   := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -O1 -g
# The toolchain's lld: gold warns about every ASan helper symbol it cannot export.
SANITIZE_LDFLAGS  := $(SANITIZE_CFLAGS) -fuse-ld=lld
SANITIZE_PKG      := PKG_CONFIG_PATH=$(CURDIR)/$(SANITIZE_LIBDIR)/pkgconfig pkg-config
SANITIZE_OPTIONS  := $(SANITIZE_DIR)/sanitizer-options.o
# Every Swift suite runs under TSan (it takes seconds): among them the client end to end (8 threads sharing
# a client), the ECS metadata provider (parallel callers share one fetch) and the credentials sources.
# TSAN_FILTER narrows it, e.g. TSAN_FILTER='ClientEndToEndTests|ECSMetadataTests|CredentialsSourceTests'.
TSAN_FILTER       ?=
TSAN_SCRATCH      := $(SANITIZE_DIR)/tsan

.PHONY: test-sanitize test-sanitize-c test-sanitize-example test-sanitize-thread sanitize-lib sanitize-clean-reports

test-sanitize: test-sanitize-c test-sanitize-example test-sanitize-thread
	@echo "make test-sanitize: ASan + UBSan (C suites, C example) and TSan (Swift suites): no reports"

sanitize-lib: deps-build
	$(SWIFT_RELEASE) --scratch-path $(SANITIZE_DIR)/spm --sanitize address --product slbcert
	@mkdir -p $(SANITIZE_LIBDIR)/pkgconfig
	cp "$$($(SWIFT_RELEASE) --scratch-path $(SANITIZE_DIR)/spm --sanitize address --show-bin-path)/libslbcert.so" $(SANITIZE_LIB)
	ln -sf libslbcert.so.$(VERSION) $(SANITIZE_LIBDIR)/libslbcert.so.$(SOVERSION)
	ln -sf libslbcert.so.$(SOVERSION) $(SANITIZE_LIBDIR)/libslbcert.so
	sed -e 's|@PREFIX@|$(CURDIR)|' -e 's|@INCLUDEDIR@|$(CURDIR)/include|' -e 's|@LIBDIR@|$(CURDIR)/$(SANITIZE_LIBDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' pkgconfig/slbcert.pc.in > $(SANITIZE_LIBDIR)/pkgconfig/slbcert.pc
	$(SANITIZE_CC) $(CWARN) $(SANITIZE_CFLAGS) -DSANITIZER_LOG_PREFIX='"$(SANITIZE_REPORTS)/"' \
	    -c Tests/Sanitize/sanitizer-options.c -o $(SANITIZE_OPTIONS)

# Reports of an earlier run would count against this one.
sanitize-clean-reports:
	@rm -rf $(SANITIZE_REPORTS) && mkdir -p $(SANITIZE_REPORTS)

test-sanitize-c: deps sanitize-lib sanitize-clean-reports
	@mkdir -p $(SANITIZE_DIR)/tests
	$(SANITIZE_CC) $(CWARN) $(SANITIZE_LDFLAGS) Tests/Sanitize/canary.c $(SANITIZE_OPTIONS) -o $(SANITIZE_DIR)/tests/canary \
	    $$($(SANITIZE_PKG) --cflags --libs slbcert) -Wl,-rpath,$(CURDIR)/$(SANITIZE_LIBDIR)
	@# The sanitizers must see a planted bug (in the library, and in C) before their silence counts.
	@for kind in "asan:ERROR: AddressSanitizer: heap-buffer-overflow" "ubsan:runtime error: signed integer overflow"; do \
	   rm -f $(SANITIZE_REPORTS)/*; status=0; $(SANITIZE_DIR)/tests/canary $${kind%%:*} >/dev/null 2>&1 || status=$$?; \
	   if [ "$$status" != 86 ] || ! grep -h "$${kind#*:}" $(SANITIZE_REPORTS)/report.* 2>/dev/null | sed 's/^/canary: /' | grep .; then \
	     echo "test-sanitize-c: the $${kind%%:*} canary was not reported (exit status $$status)" >&2; exit 1; fi; \
	 done; rm -f $(SANITIZE_REPORTS)/*
	@# Each suite must load this library, linked against this ASan runtime, or its run proves nothing.
	@for suite in test_abi test_deploy; do \
	   echo "$(SANITIZE_CC) ... Tests/c/$$suite.c -o $(SANITIZE_DIR)/tests/$$suite"; \
	   $(SANITIZE_CC) $(CWARN) $(SANITIZE_LDFLAGS) Tests/c/$$suite.c $(SANITIZE_OPTIONS) -o $(SANITIZE_DIR)/tests/$$suite \
	       $$($(SANITIZE_PKG) --cflags --libs slbcert) -Wl,-rpath,$(CURDIR)/$(SANITIZE_LIBDIR) || exit 1; \
	   ldd $(SANITIZE_DIR)/tests/$$suite | grep -q "$(CURDIR)/$(SANITIZE_LIBDIR)/libslbcert.so.$(SOVERSION)" \
	       || { echo "test-sanitize-c: $$suite does not load $(SANITIZE_LIBDIR)/libslbcert.so.$(SOVERSION)" >&2; exit 1; }; \
	   nm $(SANITIZE_DIR)/tests/$$suite | grep -q " __asan_init$$" || { echo "test-sanitize-c: no ASan runtime in $$suite" >&2; exit 1; }; \
	 done
	@# The same environment as test-c.
	SLBCERT_TEST_PYTHON=$(CURDIR)/$(PYTHON) SLBCERT_SIGNING_VECTORS=$(CURDIR)/$(SIGNING_VECTORS) \
	    $(SANITIZE_DIR)/tests/test_abi > $(SANITIZE_DIR)/tests/test_abi.out 2>&1 \
	    || { tail -n 40 $(SANITIZE_DIR)/tests/test_abi.out; cat $(SANITIZE_REPORTS)/* 2>/dev/null; exit 1; }
	@echo "test_abi: $$(tail -n 1 $(SANITIZE_DIR)/tests/test_abi.out)"
	SLBCERT_TEST_PYTHON=$(CURDIR)/$(PYTHON) SLBCERT_TEST_FIXTURE=$(CURDIR)/Tests/c/deploy_fixture.py \
	    $(SANITIZE_DIR)/tests/test_deploy > $(SANITIZE_DIR)/tests/test_deploy.out 2>&1 \
	    || { tail -n 40 $(SANITIZE_DIR)/tests/test_deploy.out; cat $(SANITIZE_REPORTS)/* 2>/dev/null; exit 1; }
	@echo "test_deploy: $$(tail -n 1 $(SANITIZE_DIR)/tests/test_deploy.out)"
	@$(MAKE) --no-print-directory sanitize-check-reports WHAT=test-sanitize-c

test-sanitize-example: deps sanitize-lib sanitize-clean-reports
	@rm -rf $(SANITIZE_DIR)/example && mkdir -p $(SANITIZE_DIR)/example
	CC=$(SANITIZE_CC) CFLAGS="$(SANITIZE_CFLAGS)" LDFLAGS="$(SANITIZE_LDFLAGS) $(CURDIR)/$(SANITIZE_OPTIONS)" \
	    SLBCERT_PKGCONFIG=$(CURDIR)/$(SANITIZE_LIBDIR)/pkgconfig PYTHON=$(CURDIR)/$(PYTHON) \
	    TMPDIR=$(CURDIR)/$(SANITIZE_DIR)/example KEEP_WORKDIR=1 examples/c/run-against-emulator.sh \
	    || { cat $(SANITIZE_REPORTS)/* 2>/dev/null; exit 1; }
	@# The script builds the example itself: check that it built it with ASan, against this library.
	@example=$$(find $(SANITIZE_DIR)/example -name upload -type f); \
	 nm "$$example" | grep -q " __asan_init$$" && ldd "$$example" | grep -q "$(CURDIR)/$(SANITIZE_LIBDIR)/libslbcert.so.$(SOVERSION)" \
	    || { echo "test-sanitize-example: the example was not built with ASan against $(SANITIZE_LIBDIR)" >&2; exit 1; }
	@rm -rf $(SANITIZE_DIR)/example
	@$(MAKE) --no-print-directory sanitize-check-reports WHAT=test-sanitize-example

.PHONY: sanitize-check-reports
sanitize-check-reports:
	@reports=$$(find $(SANITIZE_REPORTS) -type f | wc -l); \
	 if [ "$$reports" -ne 0 ]; then cat $(SANITIZE_REPORTS)/*; echo "$(WHAT): $$reports sanitizer report(s)" >&2; exit 1; fi; \
	 echo "$(WHAT): no sanitizer reports"

# swift test links TSan's runtime into the test binary; a report fails the run (exit status 66) and is printed.
# First the canary: a planted race, built by the same swiftc, must be reported.
TSAN_SWIFT := swift test --sanitize=thread --scratch-path $(TSAN_SCRATCH)
test-sanitize-thread: deps
	@mkdir -p $(SANITIZE_DIR)/tests
	swiftc -sanitize=thread -parse-as-library Tests/Sanitize/RaceCanary.swift -o $(SANITIZE_DIR)/tests/race-canary
	@status=0; $(SANITIZE_DIR)/tests/race-canary > $(SANITIZE_DIR)/tests/race-canary.out 2>&1 || status=$$?; \
	 if [ "$$status" != 66 ] || ! grep "WARNING: ThreadSanitizer" $(SANITIZE_DIR)/tests/race-canary.out | sed 's/^/canary: /' | grep .; then \
	   echo "test-sanitize-thread: the race canary was not reported (exit status $$status)" >&2; exit 1; fi
	$(SWIFT_ENV) TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1$${TSAN_OPTIONS:+:$$TSAN_OPTIONS}" \
	    SLBCERT_TEST_PYTHON=$(CURDIR)/$(PYTHON) $(TSAN_SWIFT) $(if $(TSAN_FILTER),--filter '$(TSAN_FILTER)')
	@nm "$$($(SWIFT_ENV) swift build --sanitize=thread --scratch-path $(TSAN_SCRATCH) --show-bin-path)/slbcertPackageTests.xctest" | grep -q " T __tsan_init$$" \
	    || { echo "test-sanitize-thread: the test binary has no ThreadSanitizer runtime" >&2; exit 1; }
	@echo "test-sanitize-thread: $(if $(TSAN_FILTER),'$(TSAN_FILTER)',every Swift suite) passed under ThreadSanitizer, no reports"
