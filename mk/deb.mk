# Debian packages (included by the Makefile). `make deb` builds every binary package of debian/control
# into build/deb/ (with the .changes and .buildinfo); `make test-deb` builds them, runs lintian, installs
# them on this machine, runs debian/tests against them and removes them again (scripts/deb-test.sh).
DEB_OUT := build/deb

.PHONY: deb test-deb deps-deb

deps-deb:
	@scripts/install-deps.sh deb

deb: deps-deb
	@# debian/control is the list that counts: say exactly what is missing if install-deps.sh lags behind it.
	@dpkg-checkbuilddeps || { echo "make deb: missing build dependencies: add them to the deb set of scripts/install-deps.sh" >&2; exit 1; }
	rm -rf $(DEB_OUT)
	@# Not this make's flags or command-line variables: debian/rules runs make with its own.
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES dpkg-buildpackage -us -uc -b --post-clean
	@# dpkg-buildpackage writes into the parent directory: move exactly this build's files (those its
	@# .changes names, and the .changes itself) into $(DEB_OUT).
	@mkdir -p $(DEB_OUT)
	@changes=../$$(dpkg-parsechangelog -S Source)_$$(dpkg-parsechangelog -S Version)_$$(dpkg-architecture -qDEB_HOST_ARCH).changes; \
	 files=$$(awk '/^Files:/ {in_files = 1; next} /^[^ ]/ {in_files = 0} in_files && NF == 5 {print $$5}' "$$changes"); \
	 for file in $$files; do mv "../$$file" $(DEB_OUT)/; done; \
	 mv "$$changes" $(DEB_OUT)/; \
	 ls -l $(DEB_OUT)

test-deb:
	scripts/deb-test.sh
