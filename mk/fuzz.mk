# Fuzzing (included by the Makefile; the README's "Fuzzing and sanitizers" says what each target checks).
#   make fuzz FUZZ_SECONDS=N      each target for N seconds, one after the other, on a corpus kept in build/fuzz/corpus
#   make test-fuzz-smoke          each target for FUZZ_SMOKE_SECONDS from the seeds alone (part of `make test`)
#   make fuzz FUZZ_TARGETS=json   only some targets (bundle, redactor, json, signer)
# The targets are Swift executables in Tests/Fuzz built with libFuzzer and ASan into their own SwiftPM
# scratch path; Package.swift declares them only when SLBCERT_FUZZ=1, so `swift build` never sees them.
FUZZ_SECONDS       ?= 60
FUZZ_SMOKE_SECONDS ?= 4
FUZZ_TARGETS       ?= bundle redactor json signer
FUZZ_DIR           := $(BUILD)/fuzz
# `--sanitize fuzzer` makes SwiftPM link libFuzzer's main; the sanitizers themselves go in one -sanitize= list,
# because the Swift driver hands the compiler only the last -sanitize= it is given (two lists would lose one).
FUZZ_SWIFT         := $(SWIFT_ENV) SLBCERT_FUZZ=1 swift build -c release --scratch-path $(FUZZ_DIR)/spm --sanitize fuzzer \
                      -Xswiftc -sanitize=fuzzer,address
FUZZ_PRODUCTS      := FuzzBundle FuzzRedactor FuzzJSON FuzzSigner
FUZZ_RUN            = Tests/Fuzz/run.sh --bin "$$($(FUZZ_SWIFT) --show-bin-path)" --seeds $(FUZZ_DIR)/seeds --work $(FUZZ_DIR)

.PHONY: fuzz fuzz-build fuzz-seeds test-fuzz-smoke

fuzz-build: deps-build
	@for product in $(FUZZ_PRODUCTS); do echo "$(FUZZ_SWIFT) --product $$product"; $(FUZZ_SWIFT) --product $$product || exit 1; done

# Certificates, keys and signed-request inputs are made afresh each time: none is committed.
fuzz-seeds: deps
	rm -rf $(FUZZ_DIR)/seeds
	$(PYTHON) Tests/Fuzz/make-seeds.py $(FUZZ_DIR)/seeds

fuzz: fuzz-build fuzz-seeds
	$(FUZZ_RUN) --seconds $(FUZZ_SECONDS) $(FUZZ_TARGETS)

test-fuzz-smoke: fuzz-build fuzz-seeds
	$(FUZZ_RUN) --smoke --seconds $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)
