# The C API reference (included by the Makefile). `make docs` renders include/slbcert.h with Doxygen
# (docs/Doxyfile) into build/docs/html and fails on any warning: an undocumented function, parameter,
# return value, field or enum value. `make test-docs` builds it and checks that every function the
# header declares has its entry.
DOCS := $(BUILD)/docs

.PHONY: docs test-docs deps-docs

deps-docs:
	@scripts/install-deps.sh docs

docs: deps-docs
	rm -rf $(DOCS)/html && mkdir -p $(DOCS)
	SLBCERT_VERSION=$(VERSION) SLBCERT_DOCS_OUTPUT=$(DOCS) doxygen docs/Doxyfile
	@echo "make docs: $(DOCS)/html/index.html"

test-docs: docs
	@# Each function of the header (comments removed, as Tests/check-library.sh reads it) has its own
	@# section in the file's page, titled "name()".
	@declared=$$(gcc -fpreprocessed -dD -E -P include/slbcert.h | grep -oE '\bslbcert_[a-z0-9_]+\s*\(' | tr -d '( ' | sort -u); \
	 missing=$$(for f in $$declared; do grep -qF "</span>$$f()</h2>" $(DOCS)/html/slbcert_8h.html || echo $$f; done); \
	 if [ -n "$$missing" ]; then echo "test-docs: no section in $(DOCS)/html/slbcert_8h.html for:" $$missing >&2; exit 1; fi; \
	 echo "test-docs: ok: no Doxygen warning, $$(wc -w <<<"$$declared") functions documented in $(DOCS)/html"
