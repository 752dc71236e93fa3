# The ABI check (included by the Makefile; docs/ABI.md). `make test-abi` compares the built library and
# include/slbcert.h with abi/baseline/ (the last release, 1.0.0) using libabigail's abidiff, proves that
# the check fails on real breaks (Tests/abi/test-abi-check.sh, on doctored headers and libraries), and
# checks that debian/libslbcert1.symbols lists exactly the library's exports.
.PHONY: test-abi

test-abi: deps lib
	abi/abi-check.sh . $(LIB) $(BUILD)/abi
	Tests/abi/test-abi-check.sh $(LIB) $(BUILD)/abi/test
	Tests/abi/check-symbols-file.sh $(LIB) debian/libslbcert1.symbols
