/*
 * test_abi.c: drives every function libslbcert exports, the way a C user does, including NULL and
 * malformed arguments, and checks return values and the per-thread last error after each call.
 *
 * Built by `make test-c` with -Wall -Wextra -Werror -pedantic -std=c11 against the build tree through
 * pkg-config, and run under valgrind (--leak-check=full --errors-for-leak-kinds=definite).
 *
 * Test certificates and keys are the shared test PKI of the emulator package, made at run time in a
 * mkdtemp directory (`$SLBCERT_TEST_PYTHON -m slbcert_emulator.testing pki`), so nothing expires. Inputs are handed to the library in buffers of exactly their length, without a
 * terminating NUL, so that valgrind reports any read past the length.
 *
 * Layout: one function per API group, listed in `groups` at the bottom: version, status codes, the
 * last error, bundles, redact, the options structs, credentials (static, a profile file in a temporary
 * HOME, the default chain; the environment is saved and restored around each group), signing (the
 * golden vectors of $SLBCERT_SIGNING_VECTORS, the repository's Tests/SLBCertTests/Fixtures/
 * signing-vectors.json, read through SLBCERT_TEST_PYTHON), the client's argument checks, and the
 * client against the SLB emulator. A new group is a `static void test_<group>(void)`
 * with CHECK()s, added to the table; expect_ok()/expect_fail() check the last-error contract.
 *
 * The client group starts the emulator with the emulator package's launcher:
 * `$SLBCERT_TEST_PYTHON -m slbcert_emulator.testing serve` (127.0.0.1, a free port, HTTPS with its
 * test CA) on the end of a pipe, reads the environment it writes (within 30 s), and stops it by
 * closing the pipe, which also happens if this program dies. `make test-c` sets SLBCERT_TEST_PYTHON
 * to build/venv/bin/python and SLBCERT_SIGNING_VECTORS; without them the groups that need them fail.
 *
 * Output: one line per check ("ok N - ..." or "FAIL N - ... (file:line)"), then "N passed, M failed".
 * The exit status is non-zero when any check failed.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* mkdtemp */

#include <slbcert.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------ checks */

static int passed;
static int failed;

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int check(int ok, const char *file, int line, const char *format, ...) {
    va_list args;
    printf("%s %d - ", ok ? "ok" : "FAIL", passed + failed + 1);
    va_start(args, format);
    vprintf(format, args);
    va_end(args);
    if (!ok) printf("  (%s:%d)", file, line);
    printf("\n");
    fflush(stdout);
    if (ok) passed++; else failed++;
    return ok;
}

/* CHECK(condition, "printf format", ...): records one check; evaluates to the condition. */
#define CHECK(condition, ...) check((condition) ? 1 : 0, __FILE__, __LINE__, __VA_ARGS__)

static const char *show(const char *text) { return text ? text : "(null)"; }
static int str_eq(const char *a, const char *b) { return a != NULL && b != NULL && strcmp(a, b) == 0; }
static int starts_with(const char *text, const char *prefix) {
    return text != NULL && strncmp(text, prefix, strlen(prefix)) == 0;
}

/* The last-error getters that only a service or transport failure may fill must be empty. */
static void expect_no_service_details(const char *what) {
    CHECK(str_eq(slbcert_last_error_request_id(), ""), "%s: last_error_request_id is \"\"", what);
    CHECK(str_eq(slbcert_last_error_host_id(), ""), "%s: last_error_host_id is \"\"", what);
    CHECK(str_eq(slbcert_last_error_recommend(), ""), "%s: last_error_recommend is \"\"", what);
    CHECK(slbcert_last_error_http_status() == 0, "%s: last_error_http_status is 0", what);
    CHECK(slbcert_last_error_transport_code() == 0, "%s: last_error_transport_code is 0", what);
}

/* A failed call: its status, and the thread's last error describing it. */
static void expect_fail_code(int rc, int expected, const char *service_code, const char *what) {
    CHECK(rc == expected, "%s: returns %s (got %d %s)", what, slbcert_error_name(expected), rc, slbcert_error_name(rc));
    CHECK(slbcert_last_error_status() == expected, "%s: last_error_status is %s", what, slbcert_error_name(expected));
    const char *message = slbcert_last_error_message();
    CHECK(message != NULL && message[0] != '\0', "%s: last_error_message says why: \"%s\"", what, show(message));
    CHECK(slbcert_last_error_hint() != NULL, "%s: last_error_hint is a string", what);
    CHECK(str_eq(slbcert_last_error_service_code(), service_code), "%s: last_error_service_code is \"%s\" (got \"%s\")",
          what, service_code, show(slbcert_last_error_service_code()));
    expect_no_service_details(what);
}

static void expect_fail(int rc, int expected, const char *what) { expect_fail_code(rc, expected, "", what); }

/* A successful call clears the thread's last error. */
static void expect_ok(int rc, const char *what) {
    CHECK(rc == SLBCERT_OK, "%s: returns SLBCERT_OK (got %d %s: %s)", what, rc, slbcert_error_name(rc),
          rc == SLBCERT_OK ? "" : show(slbcert_last_error_message()));
    CHECK(slbcert_last_error_status() == SLBCERT_OK, "%s: last_error_status is cleared", what);
    CHECK(str_eq(slbcert_last_error_message(), ""), "%s: last_error_message is cleared", what);
    CHECK(str_eq(slbcert_last_error_hint(), ""), "%s: last_error_hint is cleared", what);
    CHECK(str_eq(slbcert_last_error_service_code(), ""), "%s: last_error_service_code is cleared", what);
    expect_no_service_details(what);
}

/* Makes the thread's last error non-empty, so that a following success can be seen to clear it. */
static void make_last_error(void) {
    int rc = slbcert_check_options_init(NULL, SLBCERT_CHECK_OPTIONS_VERSION);
    if (rc != SLBCERT_EINVAL || slbcert_last_error_status() != SLBCERT_EINVAL) {
        CHECK(0, "setting up a last error (check_options_init(NULL) gave %d)", rc);
    }
}

/* --------------------------------------------------------------------------- files and commands */

static char workdir[256];

typedef struct {
    char *data; /* exactly `length` bytes, NOT NUL-terminated */
    size_t length;
} buffer;

static void buffer_free(buffer *b) {
    free(b->data);
    b->data = NULL;
    b->length = 0;
}

static const char *path_of(const char *name) {
    static char paths[8][512];
    static int next;
    char *path = paths[next++ % 8];
    snprintf(path, sizeof paths[0], "%s/%s", workdir, name);
    return path;
}

/* Runs a shell command in the work directory; returns its exit status. */
static int run(const char *format, ...) {
    char command[4096];
    int length = snprintf(command, sizeof command, "cd '%s' && ", workdir);
    va_list args;
    va_start(args, format);
    vsnprintf(command + length, sizeof command - (size_t)length, format, args);
    va_end(args);
    int status = system(command);
    if (status != 0) fprintf(stderr, "command failed (%d): %s\n", status, command);
    return status;
}

/* Runs a command and returns its first output line (without the newline), or "" on failure. */
static const char *run_line(const char *format, ...) {
    static char line[8192];
    char command[4096];
    int length = snprintf(command, sizeof command, "cd '%s' && ", workdir);
    va_list args;
    va_start(args, format);
    vsnprintf(command + length, sizeof command - (size_t)length, format, args);
    va_end(args);
    line[0] = '\0';
    FILE *pipe = popen(command, "r");
    if (pipe == NULL) return line;
    if (fgets(line, sizeof line, pipe) == NULL) line[0] = '\0';
    char rest[256];
    while (fgets(rest, sizeof rest, pipe) != NULL) { /* drain */ }
    pclose(pipe);
    line[strcspn(line, "\r\n")] = '\0';
    return line;
}

/* Reads a file of the work directory into an exactly sized buffer (no NUL terminator). */
static buffer read_file(const char *name) {
    buffer result = { NULL, 0 };
    FILE *file = fopen(path_of(name), "rb");
    if (file == NULL) return result;
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    fseek(file, 0, SEEK_SET);
    if (size > 0) {
        result.data = malloc((size_t)size);
        if (result.data != NULL && fread(result.data, 1, (size_t)size, file) == (size_t)size) {
            result.length = (size_t)size;
        } else {
            free(result.data);
            result.data = NULL;
        }
    }
    fclose(file);
    return result;
}

static int write_file(const char *name, const char *text) {
    FILE *file = fopen(path_of(name), "wb");
    if (file == NULL) return -1;
    size_t length = strlen(text);
    int ok = fwrite(text, 1, length, file) == length;
    return fclose(file) == 0 && ok ? 0 : -1;
}

/* Concatenates buffers into a new exactly sized buffer. */
static buffer concat(const buffer *a, const buffer *b) {
    buffer result = { malloc(a->length + b->length), a->length + b->length };
    if (result.data == NULL) { result.length = 0; return result; }
    memcpy(result.data, a->data, a->length);
    memcpy(result.data + a->length, b->data, b->length);
    return result;
}

/* The interpreter with the emulator package (make test-c: build/venv/bin/python). */
static const char *test_python;

/* The passphrase of the test PKI's encrypted keys (its passphrase.txt). */
static const char *passphrase = "correct horse battery staple";

/* The shared test PKI, written into the work directory (manifest.json lists its files): root ->
 * intermediate (P-256) -> RSA leaf (SANs incl. IPs) with its key as PKCS#8 and encrypted PKCS#8 and
 * the leaf as DER, a P-256 leaf, a stray key, and a second RSA leaf with a key of its own. */
static int make_pki(void) {
    if (test_python == NULL || test_python[0] == '\0') {
        fprintf(stderr, "SLBCERT_TEST_PYTHON is not set; it names a python with the emulator package "
                        "(make test-c: build/venv/bin/python)\n");
        return -1;
    }
    if (run("'%s' -m slbcert_emulator.testing pki --out . --only leaf --only leaf-p256 --only stray >/dev/null",
            test_python) != 0) {
        return -1;
    }
    return run("'%s' -m slbcert_emulator.testing pki issue-leaf --pki . --name threads --cn threads.example.test "
               "--key rsa2048 >/dev/null", test_python);
}

static void remove_pki(void) {
    if (workdir[0] != '\0') {
        char command[512];
        snprintf(command, sizeof command, "rm -rf '%s'", workdir);
        if (system(command) != 0) fprintf(stderr, "could not remove %s\n", workdir);
    }
}

/* Material shared by the bundle tests. */
static buffer leaf_pem, intermediate_pem, root_pem, chain_pem, leaf_der, leaf_key, stray_key, encrypted_key, ec_pem,
    ec_key, ec_chain;

static void load_pki(void) {
    leaf_pem = read_file("leaf.pem");
    intermediate_pem = read_file("intermediate.pem");
    root_pem = read_file("root.pem");
    chain_pem = concat(&leaf_pem, &intermediate_pem);
    leaf_der = read_file("leaf.der");
    leaf_key = read_file("leaf.key");
    stray_key = read_file("stray.key");
    encrypted_key = read_file("leaf.pkcs8-enc.key");
    ec_pem = read_file("leaf-p256.pem");
    ec_key = read_file("leaf-p256.key");
    ec_chain = concat(&ec_pem, &intermediate_pem);
}

static void free_pki(void) {
    buffer *all[] = { &leaf_pem, &intermediate_pem, &root_pem, &chain_pem, &leaf_der, &leaf_key, &stray_key,
                      &encrypted_key, &ec_pem, &ec_key, &ec_chain };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) buffer_free(all[i]);
}

/* ------------------------------------------------------------------------------- bundle helpers */

/* Parses; on success the caller frees the bundle. */
static slbcert_bundle *parse(const buffer *cert, const buffer *key, const char *pass,
                             const slbcert_check_options *options, const char *what) {
    slbcert_bundle *bundle = NULL;
    make_last_error();
    int rc = slbcert_bundle_parse(&bundle, cert->data, cert->length, key ? key->data : NULL, key ? key->length : 0,
                                  pass, pass ? strlen(pass) : 0, options);
    expect_ok(rc, what);
    CHECK(bundle != NULL, "%s: a bundle is returned", what);
    return bundle;
}

/* True when the bundle has a finding with this severity and code. */
static int has_finding(const slbcert_bundle *bundle, int severity, const char *code) {
    size_t count = slbcert_bundle_finding_count(bundle);
    for (size_t i = 0; i < count; i++) {
        int found_severity = 0;
        const char *found_code = NULL;
        if (slbcert_bundle_finding(bundle, i, &found_severity, &found_code, NULL) == SLBCERT_OK &&
            found_severity == severity && str_eq(found_code, code)) {
            return 1;
        }
    }
    return 0;
}

static void list_findings(const slbcert_bundle *bundle) {
    size_t count = slbcert_bundle_finding_count(bundle);
    for (size_t i = 0; i < count; i++) {
        int severity = 0;
        const char *code = NULL, *message = NULL;
        if (slbcert_bundle_finding(bundle, i, &severity, &code, &message) == SLBCERT_OK) {
            printf("   # finding %zu: %s %s: %s\n", i, severity == SLBCERT_SEVERITY_ERROR ? "error" : "warning",
                   show(code), show(message));
        }
    }
}

static int is_fingerprint(const char *text, size_t bytes) {
    if (text == NULL || strlen(text) != bytes * 3 - 1) return 0;
    for (size_t i = 0; text[i] != '\0'; i++) {
        if (i % 3 == 2) {
            if (text[i] != ':') return 0;
        } else if (!(isdigit((unsigned char)text[i]) || (text[i] >= 'a' && text[i] <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

/* "yyyy-MM-ddTHH:mm:ssZ" -> milliseconds since the epoch (proleptic Gregorian, UTC); -1 when malformed. */
static int64_t parse_utc(const char *text) {
    int year, month, day, hour, minute, second;
    if (text == NULL || strlen(text) != 20 || text[19] != 'Z' ||
        sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2dZ", &year, &month, &day, &hour, &minute, &second) != 6) {
        return -1;
    }
    /* days_from_civil (H. Hinnant) */
    int y = year - (month <= 2);
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = (int64_t)era * 146097 + doe - 719468;
    return ((days * 24 + hour) * 60 + minute) * 60000 + (int64_t)second * 1000;
}

/* openssl's "X Fingerprint=AB:CD:..." lower-cased, for a file of the work directory. */
static const char *openssl_fingerprint(const char *file, const char *digest) {
    static char result[2][128];
    static int next;
    char *out = result[next++ % 2];
    const char *line = run_line("openssl x509 -in %s -noout -fingerprint -%s", file, digest);
    const char *equals = strchr(line, '=');
    snprintf(out, sizeof result[0], "%s", equals ? equals + 1 : "");
    for (char *c = out; *c; c++) *c = (char)tolower((unsigned char)*c);
    return out;
}

/* ------------------------------------------------------------------------------------ the tests */

static void test_version(void) {
    const char *version = slbcert_version();
    CHECK(str_eq(version, SLBCERT_VERSION_STRING), "slbcert_version() \"%s\" == SLBCERT_VERSION_STRING \"%s\"",
          show(version), SLBCERT_VERSION_STRING);
    CHECK(slbcert_version() == version, "slbcert_version() returns static storage (same pointer twice)");
    CHECK(slbcert_version_number() == SLBCERT_VERSION_NUMBER, "slbcert_version_number() %d == SLBCERT_VERSION_NUMBER %d",
          slbcert_version_number(), SLBCERT_VERSION_NUMBER);
    CHECK(SLBCERT_VERSION_NUMBER == SLBCERT_VERSION_MAJOR * 10000 + SLBCERT_VERSION_MINOR * 100 + SLBCERT_VERSION_PATCH,
          "SLBCERT_VERSION_NUMBER is MAJOR*10000 + MINOR*100 + PATCH");
    char expected[32];
    snprintf(expected, sizeof expected, "%d.%d.%d", SLBCERT_VERSION_MAJOR, SLBCERT_VERSION_MINOR, SLBCERT_VERSION_PATCH);
    CHECK(str_eq(version, expected), "slbcert_version() \"%s\" is MAJOR.MINOR.PATCH \"%s\"", show(version), expected);
    int number = slbcert_version_number();
    snprintf(expected, sizeof expected, "%d.%d.%d", number / 10000, number / 100 % 100, number % 100);
    CHECK(str_eq(version, expected), "slbcert_version_number() %d matches slbcert_version() \"%s\"", number, show(version));
}

static void test_status_names(void) {
    static const struct { int status; const char *name; } codes[] = {
        { SLBCERT_OK, "SLBCERT_OK" },
        { SLBCERT_EINVAL, "SLBCERT_EINVAL" },
        { SLBCERT_ENOMEM, "SLBCERT_ENOMEM" },
        { SLBCERT_EPARSE, "SLBCERT_EPARSE" },
        { SLBCERT_EVALIDATION, "SLBCERT_EVALIDATION" },
        { SLBCERT_ECREDENTIALS, "SLBCERT_ECREDENTIALS" },
        { SLBCERT_ESERVICE, "SLBCERT_ESERVICE" },
        { SLBCERT_ENETWORK, "SLBCERT_ENETWORK" },
        { SLBCERT_ETLS, "SLBCERT_ETLS" },
        { SLBCERT_ETIMEOUT, "SLBCERT_ETIMEOUT" },
        { SLBCERT_EPROTOCOL, "SLBCERT_EPROTOCOL" },
        { SLBCERT_ERANGE, "SLBCERT_ERANGE" },
        { SLBCERT_EINTERNAL, "SLBCERT_EINTERNAL" },
        { SLBCERT_EUNCONFIRMED, "SLBCERT_EUNCONFIRMED" },
        { SLBCERT_EREFUSED, "SLBCERT_EREFUSED" },
    };
    const size_t count = sizeof codes / sizeof codes[0];
    for (size_t i = 0; i < count; i++) {
        CHECK(codes[i].status == -(int)i, "%s is %d (append-only numbering)", codes[i].name, -(int)i);
        const char *name = slbcert_error_name(codes[i].status);
        CHECK(str_eq(name, codes[i].name), "slbcert_error_name(%d) is \"%s\" (got \"%s\")", codes[i].status,
              codes[i].name, show(name));
        const char *text = slbcert_strerror(codes[i].status);
        CHECK(text != NULL && text[0] != '\0' && strcmp(text, "unknown status") != 0,
              "slbcert_strerror(%d) describes it: \"%s\"", codes[i].status, show(text));
        for (size_t j = 0; j < i; j++) {
            if (str_eq(text, slbcert_strerror(codes[j].status))) {
                CHECK(0, "slbcert_strerror(%d) differs from slbcert_strerror(%d)", codes[i].status, codes[j].status);
            }
        }
        CHECK(slbcert_strerror(codes[i].status) == text, "slbcert_strerror(%d) is static (same pointer twice)",
              codes[i].status);
    }
    const int unknown[] = { 1, 42, -15, -100, INT_MIN, INT_MAX };
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        CHECK(str_eq(slbcert_strerror(unknown[i]), "unknown status"), "slbcert_strerror(%d) is \"unknown status\"",
              unknown[i]);
        CHECK(str_eq(slbcert_error_name(unknown[i]), "SLBCERT_UNKNOWN"), "slbcert_error_name(%d) is \"SLBCERT_UNKNOWN\"",
              unknown[i]);
    }
}

static int thread_saw_clean_state;
static int thread_recorded_own_error;

static int other_thread(void *unused) {
    (void)unused;
    thread_saw_clean_state = slbcert_last_error_status() == SLBCERT_OK && str_eq(slbcert_last_error_message(), "");
    slbcert_check_options options;
    int rc = slbcert_check_options_init(&options, 0);
    thread_recorded_own_error = rc == SLBCERT_EINVAL && slbcert_last_error_status() == SLBCERT_EINVAL;
    return 0;
}

static void test_last_error(void) {
    slbcert_last_error_clear();
    CHECK(slbcert_last_error_status() == SLBCERT_OK, "last_error_status is SLBCERT_OK after last_error_clear()");
    CHECK(str_eq(slbcert_last_error_message(), ""), "last_error_message is \"\" when there is no error");
    CHECK(str_eq(slbcert_last_error_hint(), ""), "last_error_hint is \"\" when there is no error");
    CHECK(str_eq(slbcert_last_error_service_code(), ""), "last_error_service_code is \"\" when there is no error");
    expect_no_service_details("no error");

    int rc = slbcert_check_options_init(NULL, SLBCERT_CHECK_OPTIONS_VERSION);
    expect_fail(rc, SLBCERT_EINVAL, "check_options_init(NULL)");
    char saved[512];
    snprintf(saved, sizeof saved, "%s", show(slbcert_last_error_message()));
    CHECK(strstr(saved, "options") != NULL, "the message names the bad argument: \"%s\"", saved);

    /* Getters and constant functions do not disturb the last error. */
    (void)slbcert_version();
    (void)slbcert_strerror(SLBCERT_EINVAL);
    (void)slbcert_bundle_chain_length(NULL);
    CHECK(slbcert_last_error_status() == SLBCERT_EINVAL && str_eq(slbcert_last_error_message(), saved),
          "version/strerror/getters leave the last error as it was");

    /* The last error is per thread. */
    thrd_t thread;
    if (CHECK(thrd_create(&thread, other_thread, NULL) == thrd_success, "a second thread starts")) {
        thrd_join(thread, NULL);
        CHECK(thread_saw_clean_state, "another thread does not see this thread's last error");
        CHECK(thread_recorded_own_error, "another thread records its own last error");
        CHECK(slbcert_last_error_status() == SLBCERT_EINVAL && str_eq(slbcert_last_error_message(), saved),
              "this thread's last error is untouched by the other thread's failure");
    }

    slbcert_last_error_clear();
    CHECK(slbcert_last_error_status() == SLBCERT_OK, "last_error_clear() resets the status");
    CHECK(str_eq(slbcert_last_error_message(), ""), "last_error_clear() resets the message");
    slbcert_last_error_clear();
    CHECK(slbcert_last_error_status() == SLBCERT_OK, "last_error_clear() twice is harmless");

    make_last_error();
    slbcert_check_options options;
    expect_ok(slbcert_check_options_init(&options, SLBCERT_CHECK_OPTIONS_VERSION), "a success after a failure");
}

static void test_check_options(void) {
    const slbcert_check_options defaults = SLBCERT_CHECK_OPTIONS_INIT;
    CHECK(defaults.version == SLBCERT_CHECK_OPTIONS_VERSION && defaults.allow_non_rsa == 0 &&
          defaults.expiry_warning_days == 30 && defaults.now_ms == 0, "SLBCERT_CHECK_OPTIONS_INIT holds the defaults");

    slbcert_check_options options;
    memset(&options, 0x5a, sizeof options);
    make_last_error();
    expect_ok(slbcert_check_options_init(&options, SLBCERT_CHECK_OPTIONS_VERSION), "check_options_init(version 1)");
    CHECK(options.version == SLBCERT_CHECK_OPTIONS_VERSION && options.allow_non_rsa == defaults.allow_non_rsa &&
          options.expiry_warning_days == defaults.expiry_warning_days && options.now_ms == defaults.now_ms,
          "check_options_init() fills the same defaults as SLBCERT_CHECK_OPTIONS_INIT");

    const unsigned int bad_versions[] = { 0, 2, 99, UINT_MAX };
    for (size_t i = 0; i < sizeof bad_versions / sizeof bad_versions[0]; i++) {
        char what[96];
        snprintf(what, sizeof what, "check_options_init(version %u)", bad_versions[i]);
        memset(&options, 0x5a, sizeof options);
        expect_fail(slbcert_check_options_init(&options, bad_versions[i]), SLBCERT_EINVAL, what);
        CHECK(options.version == 0x5a5a5a5au, "%s leaves the struct untouched", what);
    }
    expect_fail(slbcert_check_options_init(NULL, 0), SLBCERT_EINVAL, "check_options_init(NULL, 0)");
}

static void test_bundle_arguments(void) {
    slbcert_bundle *bundle = NULL;
    slbcert_bundle *const sentinel = (slbcert_bundle *)&bundle; /* any non-NULL value */
    const buffer *cert = &chain_pem, *key = &leaf_key;
    int rc;

    rc = slbcert_bundle_parse(NULL, cert->data, cert->length, NULL, 0, NULL, 0, NULL);
    expect_fail(rc, SLBCERT_EINVAL, "bundle_parse(out NULL)");

    bundle = sentinel;
    rc = slbcert_bundle_parse(&bundle, NULL, 10, NULL, 0, NULL, 0, NULL);
    expect_fail(rc, SLBCERT_EINVAL, "bundle_parse(cert NULL, len 10)");
    CHECK(bundle == NULL, "bundle_parse sets *out to NULL on failure");

    /* An empty chain (an empty file) is input like any other: the finding says NO_CERTIFICATE, as the
     * CLI and the Python binding say too. */
    const char *empty_chains[][2] = { { NULL, "cert NULL, len 0" }, { "", "cert \"\", len 0" } };
    for (size_t i = 0; i < 2; i++) {
        char what[96];
        snprintf(what, sizeof what, "bundle_parse(%s)", empty_chains[i][1]);
        bundle = sentinel;
        rc = slbcert_bundle_parse(&bundle, empty_chains[i][0], 0, key->data, key->length, NULL, 0, NULL);
        expect_ok(rc, what);
        CHECK(bundle != NULL && bundle != sentinel && slbcert_bundle_has_errors(bundle) == 1 &&
              slbcert_bundle_chain_length(bundle) == 0 && has_finding(bundle, SLBCERT_SEVERITY_ERROR, "NO_CERTIFICATE"),
              "%s: a bundle whose finding is NO_CERTIFICATE", what);
        if (bundle != sentinel) slbcert_bundle_free(bundle);
    }
    CHECK(slbcert_max_input_bytes() == SLBCERT_MAX_INPUT_BYTES, "slbcert_max_input_bytes() is SLBCERT_MAX_INPUT_BYTES");

    /* An empty key input (an empty key file) is a finding, as in the CLI. */
    bundle = sentinel;
    rc = slbcert_bundle_parse(&bundle, cert->data, cert->length, key->data, 0, NULL, 0, NULL);
    expect_ok(rc, "bundle_parse(key non-NULL, key_len 0)");
    CHECK(bundle != sentinel && has_finding(bundle, SLBCERT_SEVERITY_ERROR, "NO_PRIVATE_KEY"),
          "bundle_parse(key_len 0): the finding NO_PRIVATE_KEY");
    if (bundle != sentinel) slbcert_bundle_free(bundle);

    bundle = sentinel;
    rc = slbcert_bundle_parse(&bundle, cert->data, cert->length, NULL, 100, NULL, 0, NULL);
    expect_fail(rc, SLBCERT_EINVAL, "bundle_parse(key NULL, key_len 100)");
    CHECK(bundle == NULL, "bundle_parse(key NULL, key_len 100) sets *out to NULL");

    /* An empty passphrase is no passphrase: an encrypted key then gives KEY_ENCRYPTED. */
    bundle = sentinel;
    rc = slbcert_bundle_parse(&bundle, cert->data, cert->length, encrypted_key.data, encrypted_key.length, passphrase, 0, NULL);
    expect_ok(rc, "bundle_parse(passphrase non-NULL, passphrase_len 0)");
    CHECK(bundle != sentinel && has_finding(bundle, SLBCERT_SEVERITY_ERROR, "KEY_ENCRYPTED"),
          "bundle_parse(passphrase_len 0): the finding KEY_ENCRYPTED");
    if (bundle != sentinel) slbcert_bundle_free(bundle);

    bundle = sentinel;
    rc = slbcert_bundle_parse(&bundle, cert->data, cert->length, key->data, key->length, NULL, 8, NULL);
    expect_fail(rc, SLBCERT_EINVAL, "bundle_parse(passphrase NULL, passphrase_len 8)");
    CHECK(bundle == NULL, "bundle_parse(passphrase NULL, passphrase_len 8) sets *out to NULL");

    char *long_passphrase = malloc(4097);
    if (CHECK(long_passphrase != NULL, "allocating a 4097-byte passphrase")) {
        memset(long_passphrase, 'p', 4097);
        bundle = sentinel;
        rc = slbcert_bundle_parse(&bundle, cert->data, cert->length, encrypted_key.data, encrypted_key.length,
                                  long_passphrase, 4097, NULL);
        expect_fail(rc, SLBCERT_EINVAL, "bundle_parse(passphrase_len 4097)");
        CHECK(bundle == NULL, "bundle_parse(passphrase_len 4097) sets *out to NULL");
        free(long_passphrase);
    }

    slbcert_check_options options = SLBCERT_CHECK_OPTIONS_INIT;
    const unsigned int bad_versions[] = { 0, 99 };
    for (size_t i = 0; i < 2; i++) {
        char what[96];
        snprintf(what, sizeof what, "bundle_parse(options.version %u)", bad_versions[i]);
        options.version = bad_versions[i];
        bundle = sentinel;
        rc = slbcert_bundle_parse(&bundle, cert->data, cert->length, key->data, key->length, NULL, 0, &options);
        expect_fail(rc, SLBCERT_EINVAL, what);
        CHECK(bundle == NULL, "%s sets *out to NULL", what);
    }
    options.version = SLBCERT_CHECK_OPTIONS_VERSION;
    options.expiry_warning_days = -1;
    bundle = sentinel;
    rc = slbcert_bundle_parse(&bundle, cert->data, cert->length, key->data, key->length, NULL, 0, &options);
    expect_fail(rc, SLBCERT_EINVAL, "bundle_parse(expiry_warning_days -1)");
    CHECK(bundle == NULL, "bundle_parse(expiry_warning_days -1) sets *out to NULL");
    options.expiry_warning_days = INT_MAX;  /* once overflowed days * 86,400,000 */
    bundle = sentinel;
    rc = slbcert_bundle_parse(&bundle, cert->data, cert->length, key->data, key->length, NULL, 0, &options);
    expect_fail(rc, SLBCERT_EINVAL, "bundle_parse(expiry_warning_days INT_MAX)");
    CHECK(str_eq(slbcert_last_error_argument(), "expiry_warning_days") && strstr(slbcert_last_error_message(), "36500") != NULL,
          "bundle_parse(expiry_warning_days INT_MAX) names the field and its range: %s", show(slbcert_last_error_message()));
    options.expiry_warning_days = 30;
    options.now_ms = -1;
    bundle = sentinel;
    rc = slbcert_bundle_parse(&bundle, cert->data, cert->length, key->data, key->length, NULL, 0, &options);
    expect_fail(rc, SLBCERT_EINVAL, "bundle_parse(now_ms -1)");
    CHECK(bundle == NULL, "bundle_parse(now_ms -1) sets *out to NULL");

    /* A passphrase with an unencrypted key is accepted and ignored. */
    bundle = parse(cert, key, passphrase, NULL, "bundle_parse(passphrase for a plain key)");
    CHECK(slbcert_bundle_has_errors(bundle) == 0, "a passphrase for a plain key is no error");
    slbcert_bundle_free(bundle);

    /* Inputs over 1 MiB: a bundle with an INPUT_TOO_LARGE error, not a status. */
    buffer big = { malloc(SLBCERT_MAX_INPUT_BYTES + 1), SLBCERT_MAX_INPUT_BYTES + 1 };
    if (CHECK(big.data != NULL, "allocating SLBCERT_MAX_INPUT_BYTES + 1 bytes")) {
        memset(big.data, '#', big.length);
        memcpy(big.data, chain_pem.data, chain_pem.length);
        bundle = parse(&big, NULL, NULL, NULL, "bundle_parse(cert over 1 MiB)");
        CHECK(slbcert_bundle_has_errors(bundle) == 1, "cert over 1 MiB: has_errors is 1");
        CHECK(has_finding(bundle, SLBCERT_SEVERITY_ERROR, "INPUT_TOO_LARGE"), "cert over 1 MiB: INPUT_TOO_LARGE error");
        CHECK(slbcert_bundle_chain_length(bundle) == 0, "cert over 1 MiB: nothing is read");
        slbcert_bundle_free(bundle);

        big.length = SLBCERT_MAX_INPUT_BYTES;
        bundle = parse(&big, NULL, NULL, NULL, "bundle_parse(cert of exactly 1 MiB)");
        CHECK(!has_finding(bundle, SLBCERT_SEVERITY_ERROR, "INPUT_TOO_LARGE"), "cert of exactly 1 MiB: no INPUT_TOO_LARGE");
        CHECK(slbcert_bundle_chain_length(bundle) == 2, "cert of exactly 1 MiB: the chain is read");
        slbcert_bundle_free(bundle);

        big.length = SLBCERT_MAX_INPUT_BYTES + 1;
        memcpy(big.data, leaf_key.data, leaf_key.length);
        bundle = parse(cert, &big, NULL, NULL, "bundle_parse(key over 1 MiB)");
        CHECK(has_finding(bundle, SLBCERT_SEVERITY_ERROR, "INPUT_TOO_LARGE"), "key over 1 MiB: INPUT_TOO_LARGE error");
        CHECK(slbcert_bundle_has_key(bundle) == 0, "key over 1 MiB: no key");
        slbcert_bundle_free(bundle);
        buffer_free(&big);
    }
}

static void test_bundle_good(void) {
    slbcert_bundle *bundle = parse(&chain_pem, &leaf_key, NULL, NULL, "bundle_parse(leaf + intermediate, PKCS#8 key)");
    if (bundle == NULL) return;
    list_findings(bundle);
    CHECK(slbcert_bundle_has_errors(bundle) == 0, "good pair: has_errors is 0");
    CHECK(slbcert_bundle_finding_count(bundle) == 0, "good pair: no findings (got %zu)", slbcert_bundle_finding_count(bundle));
    CHECK(slbcert_bundle_chain_length(bundle) == 2, "good pair: chain_length is 2");
    CHECK(slbcert_bundle_has_key(bundle) == 1, "good pair: has_key is 1");
    CHECK(str_eq(slbcert_bundle_key_algorithm(bundle), "RSA"), "good pair: key_algorithm is RSA");
    CHECK(slbcert_bundle_key_bits(bundle) == 2048, "good pair: key_bits is 2048");

    /* Out-of-range finding index. */
    int severity = 12345;
    const char *code = "untouched", *message = "untouched";
    make_last_error();
    int rc = slbcert_bundle_finding(bundle, 0, &severity, &code, &message);
    expect_fail(rc, SLBCERT_ERANGE, "bundle_finding(index 0 of 0)");
    CHECK(severity == 12345 && str_eq(code, "untouched") && str_eq(message, "untouched"),
          "bundle_finding out of range leaves the out-parameters alone");
    expect_fail(slbcert_bundle_finding(bundle, 1000, NULL, NULL, NULL), SLBCERT_ERANGE, "bundle_finding(index 1000)");

    /* The normalised PEMs. */
    const char *cert_pem = slbcert_bundle_normalized_certificate_pem(bundle);
    const char *key_pem = slbcert_bundle_normalized_private_key_pem(bundle);
    CHECK(starts_with(cert_pem, "-----BEGIN CERTIFICATE-----\n"), "normalised chain starts with BEGIN CERTIFICATE");
    CHECK(cert_pem != NULL && strchr(cert_pem, '\r') == NULL, "normalised chain has LF line ends only");
    int blocks = 0;
    for (const char *p = cert_pem; p != NULL && (p = strstr(p, "-----BEGIN CERTIFICATE-----")) != NULL; p++) blocks++;
    CHECK(blocks == 2, "normalised chain holds 2 certificates (got %d)", blocks);
    CHECK(cert_pem != NULL && leaf_pem.length + intermediate_pem.length == strlen(cert_pem) &&
          memcmp(cert_pem, leaf_pem.data, leaf_pem.length) == 0 &&
          memcmp(cert_pem + leaf_pem.length, intermediate_pem.data, intermediate_pem.length) == 0,
          "normalised chain is openssl's leaf PEM followed by the intermediate's");
    CHECK(starts_with(key_pem, "-----BEGIN RSA PRIVATE KEY-----\n"), "normalised key starts with \"-----BEGIN RSA PRIVATE KEY-----\"");
    if (key_pem != NULL && write_file("normalized.key", key_pem) == 0) {
        CHECK(run("openssl rsa -in normalized.key -check -noout >/dev/null 2>&1") == 0,
              "openssl rsa -check accepts the normalised key");
        char key_modulus[1024];
        snprintf(key_modulus, sizeof key_modulus, "%s", run_line("openssl rsa -in normalized.key -noout -modulus"));
        const char *cert_modulus = run_line("openssl x509 -in leaf.pem -noout -modulus");
        CHECK(starts_with(key_modulus, "Modulus=") && str_eq(key_modulus, cert_modulus),
              "the normalised key's modulus equals the certificate's");
    }

    /* The leaf's facts. */
    const slbcert_certificate *leaf = slbcert_bundle_certificate(bundle, 0);
    CHECK(leaf != NULL, "bundle_certificate(0) is the leaf");
    const char *fingerprint = slbcert_certificate_fingerprint(leaf);
    CHECK(is_fingerprint(fingerprint, 20) && strlen(fingerprint) == 59,
          "fingerprint is 59 chars of lower-case hex joined by ':': %s", show(fingerprint));
    CHECK(str_eq(fingerprint, openssl_fingerprint("leaf.pem", "sha1")), "fingerprint equals openssl's SHA-1 fingerprint");
    const char *sha256 = slbcert_certificate_fingerprint_sha256(leaf);
    CHECK(is_fingerprint(sha256, 32), "SHA-256 fingerprint is 95 chars of lower-case hex joined by ':'");
    CHECK(str_eq(sha256, openssl_fingerprint("leaf.pem", "sha256")), "SHA-256 fingerprint equals openssl's");
    CHECK(str_eq(slbcert_certificate_common_name(leaf), "www.example.test"), "common_name is www.example.test");
    CHECK(str_eq(slbcert_certificate_subject(leaf), "CN=www.example.test,O=slbcert tests,C=CN"),
          "subject is RFC 2253: %s", show(slbcert_certificate_subject(leaf)));
    const char *subject_line = run_line("openssl x509 -in leaf.pem -noout -subject -nameopt RFC2253");
    CHECK(strchr(subject_line, '=') && str_eq(slbcert_certificate_subject(leaf), strchr(subject_line, '=') + 1),
          "subject equals openssl's -nameopt RFC2253");
    const char *serial_line = run_line("openssl x509 -in leaf.pem -noout -serial");
    CHECK(starts_with(serial_line, "serial=") && str_eq(slbcert_certificate_serial(leaf), serial_line + 7),
          "serial %s equals openssl's %s", show(slbcert_certificate_serial(leaf)), serial_line);
    const char *not_after = slbcert_certificate_not_after(leaf);
    const char *not_before = slbcert_certificate_not_before(leaf);
    int64_t not_after_ms = slbcert_certificate_not_after_ms(leaf);
    int64_t not_before_ms = slbcert_certificate_not_before_ms(leaf);
    CHECK(parse_utc(not_after) == not_after_ms && not_after_ms > 0, "not_after \"%s\" is not_after_ms", show(not_after));
    CHECK(parse_utc(not_before) == not_before_ms && not_before_ms > 0, "not_before \"%s\" is not_before_ms", show(not_before));
    CHECK(not_after_ms - not_before_ms == INT64_C(365) * 86400000, "the leaf is valid for 365 days");
    CHECK(slbcert_certificate_dns_name_count(leaf) == 3, "dns_name_count is 3");
    CHECK(str_eq(slbcert_certificate_dns_name(leaf, 0), "www.example.test"), "dns_name(0) is www.example.test");
    CHECK(str_eq(slbcert_certificate_dns_name(leaf, 1), "example.test"), "dns_name(1) is example.test");
    CHECK(str_eq(slbcert_certificate_dns_name(leaf, 2), "*.api.example.test"), "dns_name(2) is *.api.example.test");
    CHECK(slbcert_certificate_dns_name(leaf, 3) == NULL, "dns_name(3) is NULL (out of range)");
    CHECK(slbcert_certificate_dns_name(leaf, 1000) == NULL, "dns_name(1000) is NULL");
    CHECK(slbcert_certificate_ip_address_count(leaf) == 2, "ip_address_count is 2");
    CHECK(str_eq(slbcert_certificate_ip_address(leaf, 0), "192.0.2.10"), "ip_address(0) is 192.0.2.10");
    CHECK(str_eq(slbcert_certificate_ip_address(leaf, 1), "2001:db8::1"), "ip_address(1) is 2001:db8::1");
    CHECK(slbcert_certificate_ip_address(leaf, 2) == NULL, "ip_address(2) is NULL (out of range)");
    CHECK(str_eq(slbcert_certificate_key_algorithm(leaf), "RSA"), "leaf key_algorithm is RSA");
    CHECK(slbcert_certificate_key_bits(leaf) == 2048, "leaf key_bits is 2048");
    CHECK(slbcert_certificate_is_ca(leaf) == 0, "leaf is_ca is 0");
    CHECK(slbcert_certificate_is_self_signed(leaf) == 0, "leaf is_self_signed is 0");

    const slbcert_certificate *issuer = slbcert_bundle_certificate(bundle, 1);
    CHECK(issuer != NULL && issuer != leaf, "bundle_certificate(1) is the intermediate");
    CHECK(str_eq(slbcert_certificate_common_name(issuer), "slbcert Test Intermediate CA"), "intermediate common_name");
    CHECK(str_eq(slbcert_certificate_issuer(leaf), slbcert_certificate_subject(issuer)), "leaf issuer == intermediate subject");
    CHECK(str_eq(slbcert_certificate_issuer(issuer), "CN=slbcert Test Root CA,O=slbcert tests"), "intermediate issuer is the root");
    CHECK(slbcert_certificate_is_ca(issuer) == 1, "intermediate is_ca is 1");
    CHECK(slbcert_certificate_is_self_signed(issuer) == 0, "intermediate is_self_signed is 0");
    CHECK(str_eq(slbcert_certificate_key_algorithm(issuer), "EC") && slbcert_certificate_key_bits(issuer) == 256,
          "intermediate key is EC 256");
    CHECK(slbcert_certificate_dns_name_count(issuer) == 0 && slbcert_certificate_ip_address_count(issuer) == 0,
          "intermediate has no SANs");
    CHECK(str_eq(slbcert_certificate_fingerprint(issuer), openssl_fingerprint("intermediate.pem", "sha1")),
          "intermediate fingerprint equals openssl's");
    CHECK(slbcert_bundle_certificate(bundle, 2) == NULL, "bundle_certificate(2) is NULL (out of range)");
    CHECK(slbcert_bundle_certificate(bundle, 1000) == NULL, "bundle_certificate(1000) is NULL");
    CHECK(slbcert_bundle_certificate(bundle, 0) == leaf, "borrowed certificates are stable");
    slbcert_bundle_free(bundle);

    /* The chain in the wrong order, with the root: reordered, with a warning. */
    buffer shuffled_a = concat(&root_pem, &leaf_pem);
    buffer shuffled = concat(&shuffled_a, &intermediate_pem);
    bundle = parse(&shuffled, &leaf_key, NULL, NULL, "bundle_parse(root, leaf, intermediate)");
    CHECK(slbcert_bundle_chain_length(bundle) == 3, "shuffled chain: 3 certificates");
    CHECK(has_finding(bundle, SLBCERT_SEVERITY_WARNING, "CHAIN_REORDERED"), "shuffled chain: CHAIN_REORDERED warning");
    CHECK(slbcert_bundle_has_errors(bundle) == 0, "shuffled chain: no error");
    CHECK(str_eq(slbcert_certificate_common_name(slbcert_bundle_certificate(bundle, 0)), "www.example.test") &&
          str_eq(slbcert_certificate_common_name(slbcert_bundle_certificate(bundle, 1)), "slbcert Test Intermediate CA") &&
          str_eq(slbcert_certificate_common_name(slbcert_bundle_certificate(bundle, 2)), "slbcert Test Root CA"),
          "shuffled chain: leaf, intermediate, root");
    CHECK(slbcert_certificate_is_self_signed(slbcert_bundle_certificate(bundle, 2)) == 1, "root is_self_signed is 1");
    slbcert_bundle_free(bundle);
    buffer_free(&shuffled_a);
    buffer_free(&shuffled);

    /* A single DER certificate, no key. */
    bundle = parse(&leaf_der, NULL, NULL, NULL, "bundle_parse(DER leaf)");
    CHECK(slbcert_bundle_chain_length(bundle) == 1, "DER: one certificate");
    CHECK(str_eq(slbcert_certificate_fingerprint(slbcert_bundle_certificate(bundle, 0)), openssl_fingerprint("leaf.pem", "sha1")),
          "DER: the same fingerprint as the PEM");
    CHECK(has_finding(bundle, SLBCERT_SEVERITY_WARNING, "MISSING_INTERMEDIATE"), "DER leaf alone: MISSING_INTERMEDIATE warning");
    CHECK(slbcert_bundle_has_errors(bundle) == 0, "DER leaf alone: no error");
    CHECK(slbcert_bundle_has_key(bundle) == 0, "no key given: has_key is 0");
    CHECK(slbcert_bundle_key_algorithm(bundle) == NULL, "no key given: key_algorithm is NULL");
    CHECK(slbcert_bundle_key_bits(bundle) == 0, "no key given: key_bits is 0");
    CHECK(slbcert_bundle_normalized_private_key_pem(bundle) == NULL, "no key given: normalized key is NULL");
    CHECK(starts_with(slbcert_bundle_normalized_certificate_pem(bundle), "-----BEGIN CERTIFICATE-----\n"),
          "DER: normalised to PEM");
    slbcert_bundle_free(bundle);
}

static void test_bundle_findings(void) {
    /* A key that belongs to another certificate. */
    slbcert_bundle *bundle = parse(&chain_pem, &stray_key, NULL, NULL, "bundle_parse(mismatched key)");
    list_findings(bundle);
    CHECK(slbcert_bundle_has_errors(bundle) == 1, "mismatched key: has_errors is 1");
    CHECK(slbcert_bundle_finding_count(bundle) >= 1, "mismatched key: at least one finding");
    int severity = 0;
    const char *code = NULL, *message = NULL;
    make_last_error();
    expect_ok(slbcert_bundle_finding(bundle, 0, &severity, &code, &message), "bundle_finding(0)");
    CHECK(severity == SLBCERT_SEVERITY_ERROR, "mismatched key: finding 0 is an error");
    CHECK(str_eq(code, "KEY_MISMATCH"), "mismatched key: finding 0 is KEY_MISMATCH (got %s)", show(code));
    CHECK(message != NULL && strlen(message) > 20, "mismatched key: the finding has a message");
    CHECK(message != NULL && strstr(message, "PRIVATE KEY") == NULL && strstr(message, "MII") == NULL,
          "mismatched key: the message holds no key material");
    expect_ok(slbcert_bundle_finding(bundle, 0, NULL, NULL, NULL), "bundle_finding(0) with NULL out-parameters");
    CHECK(slbcert_bundle_has_key(bundle) == 1, "mismatched key: the key itself was read");
    slbcert_bundle_free(bundle);

    /* Encrypted PKCS#8: the right passphrase, none, a wrong one. */
    bundle = parse(&chain_pem, &encrypted_key, passphrase, NULL, "bundle_parse(encrypted key, right passphrase)");
    list_findings(bundle);
    CHECK(slbcert_bundle_has_errors(bundle) == 0, "right passphrase: no errors");
    CHECK(slbcert_bundle_has_key(bundle) == 1, "right passphrase: has_key is 1");
    CHECK(starts_with(slbcert_bundle_normalized_private_key_pem(bundle), "-----BEGIN RSA PRIVATE KEY-----\n"),
          "right passphrase: the key is normalised to unencrypted PKCS#1");
    slbcert_bundle_free(bundle);

    bundle = parse(&chain_pem, &encrypted_key, NULL, NULL, "bundle_parse(encrypted key, no passphrase)");
    CHECK(slbcert_bundle_has_errors(bundle) == 1, "no passphrase: has_errors is 1");
    CHECK(has_finding(bundle, SLBCERT_SEVERITY_ERROR, "KEY_ENCRYPTED"), "no passphrase: KEY_ENCRYPTED error");
    CHECK(slbcert_bundle_has_key(bundle) == 0, "no passphrase: has_key is 0");
    CHECK(slbcert_bundle_normalized_private_key_pem(bundle) == NULL, "no passphrase: no normalised key");
    CHECK(slbcert_bundle_chain_length(bundle) == 2, "no passphrase: the chain is still read");
    slbcert_bundle_free(bundle);

    bundle = parse(&chain_pem, &encrypted_key, "wrong passphrase", NULL, "bundle_parse(encrypted key, wrong passphrase)");
    CHECK(has_finding(bundle, SLBCERT_SEVERITY_ERROR, "KEY_PASSPHRASE_WRONG"), "wrong passphrase: KEY_PASSPHRASE_WRONG error");
    CHECK(slbcert_bundle_has_key(bundle) == 0, "wrong passphrase: has_key is 0");
    slbcert_bundle_free(bundle);

    /* The passphrase is pointer + length: a longer buffer with the right length works. */
    char padded[64];
    snprintf(padded, sizeof padded, "%sXYZ", passphrase);
    slbcert_bundle *sized = NULL;
    make_last_error();
    expect_ok(slbcert_bundle_parse(&sized, chain_pem.data, chain_pem.length, encrypted_key.data, encrypted_key.length,
                                   padded, strlen(passphrase), NULL), "bundle_parse(passphrase given by length)");
    CHECK(slbcert_bundle_has_errors(sized) == 0, "passphrase by length: only the first passphrase_len bytes are used");
    slbcert_bundle_free(sized);

    /* The clock and the expiry window. */
    bundle = parse(&chain_pem, &leaf_key, NULL, NULL, "bundle_parse(for dates)");
    int64_t not_before = slbcert_certificate_not_before_ms(slbcert_bundle_certificate(bundle, 0));
    int64_t not_after = slbcert_certificate_not_after_ms(slbcert_bundle_certificate(bundle, 0));
    slbcert_bundle_free(bundle);

    slbcert_check_options options = SLBCERT_CHECK_OPTIONS_INIT;
    options.now_ms = not_after + 1000;
    bundle = parse(&chain_pem, &leaf_key, NULL, &options, "bundle_parse(now after notAfter)");
    CHECK(has_finding(bundle, SLBCERT_SEVERITY_ERROR, "LEAF_EXPIRED"), "now after notAfter: LEAF_EXPIRED error");
    slbcert_bundle_free(bundle);

    options.now_ms = not_before - 1000;
    bundle = parse(&chain_pem, &leaf_key, NULL, &options, "bundle_parse(now before notBefore)");
    CHECK(has_finding(bundle, SLBCERT_SEVERITY_ERROR, "LEAF_NOT_YET_VALID"), "now before notBefore: LEAF_NOT_YET_VALID error");
    slbcert_bundle_free(bundle);

    options.now_ms = not_after - INT64_C(10) * 86400000;
    bundle = parse(&chain_pem, &leaf_key, NULL, &options, "bundle_parse(10 days before notAfter)");
    CHECK(has_finding(bundle, SLBCERT_SEVERITY_WARNING, "LEAF_EXPIRES_SOON"), "10 days left: LEAF_EXPIRES_SOON warning");
    CHECK(slbcert_bundle_has_errors(bundle) == 0, "10 days left: no error");
    slbcert_bundle_free(bundle);

    options.expiry_warning_days = 0;
    bundle = parse(&chain_pem, &leaf_key, NULL, &options, "bundle_parse(expiry_warning_days 0)");
    CHECK(slbcert_bundle_finding_count(bundle) == 0, "expiry_warning_days 0: no warning");
    slbcert_bundle_free(bundle);

    /* A non-RSA key: an error by default, a warning when allowed. */
    bundle = parse(&ec_chain, &ec_key, NULL, NULL, "bundle_parse(EC pair)");
    CHECK(has_finding(bundle, SLBCERT_SEVERITY_ERROR, "KEY_NOT_RSA"), "EC key: KEY_NOT_RSA error");
    CHECK(str_eq(slbcert_bundle_key_algorithm(bundle), "EC") && slbcert_bundle_key_bits(bundle) == 256, "EC key: EC 256");
    slbcert_bundle_free(bundle);
    slbcert_check_options allow;
    slbcert_check_options_init(&allow, SLBCERT_CHECK_OPTIONS_VERSION);
    allow.allow_non_rsa = 1;
    bundle = parse(&ec_chain, &ec_key, NULL, &allow, "bundle_parse(EC pair, allow_non_rsa)");
    CHECK(has_finding(bundle, SLBCERT_SEVERITY_WARNING, "KEY_NOT_RSA"), "EC key allowed: KEY_NOT_RSA warning");
    CHECK(slbcert_bundle_has_errors(bundle) == 0, "EC key allowed: no error");
    CHECK(starts_with(slbcert_bundle_normalized_private_key_pem(bundle), "-----BEGIN EC PRIVATE KEY-----\n"),
          "EC key allowed: normalised to SEC1");
    slbcert_bundle_free(bundle);
}

static void test_bundle_malformed(void) {
    buffer garbage = { malloc(12), 12 };
    if (garbage.data == NULL) return;
    memcpy(garbage.data, "hello, world", 12);
    slbcert_bundle *bundle = parse(&garbage, NULL, NULL, NULL, "bundle_parse(garbage)");
    CHECK(slbcert_bundle_has_errors(bundle) == 1, "garbage: has_errors is 1");
    CHECK(has_finding(bundle, SLBCERT_SEVERITY_ERROR, "NO_CERTIFICATE"), "garbage: NO_CERTIFICATE error");
    CHECK(slbcert_bundle_chain_length(bundle) == 0, "garbage: chain_length is 0");
    CHECK(slbcert_bundle_certificate(bundle, 0) == NULL, "garbage: bundle_certificate(0) is NULL");
    CHECK(slbcert_bundle_normalized_certificate_pem(bundle) == NULL, "garbage: no normalised chain");
    slbcert_bundle_free(bundle);

    /* Garbage as the key. */
    bundle = parse(&chain_pem, &garbage, NULL, NULL, "bundle_parse(garbage key)");
    CHECK(has_finding(bundle, SLBCERT_SEVERITY_ERROR, "NO_PRIVATE_KEY"), "garbage key: NO_PRIVATE_KEY error");
    CHECK(slbcert_bundle_has_key(bundle) == 0, "garbage key: has_key is 0");
    slbcert_bundle_free(bundle);
    buffer_free(&garbage);

    /* The leaf PEM cut inside its base64. */
    buffer truncated = { malloc(leaf_pem.length / 2), leaf_pem.length / 2 };
    if (truncated.data != NULL) {
        memcpy(truncated.data, leaf_pem.data, truncated.length);
        bundle = parse(&truncated, NULL, NULL, NULL, "bundle_parse(truncated PEM)");
        CHECK(has_finding(bundle, SLBCERT_SEVERITY_ERROR, "MALFORMED_BASE64"), "truncated PEM: MALFORMED_BASE64 error");
        CHECK(slbcert_bundle_chain_length(bundle) == 0, "truncated PEM: no certificate");
        slbcert_bundle_free(bundle);
        buffer_free(&truncated);
    }

    /* Damaged DER: the leaf's DER cut short. */
    buffer damaged = { malloc(leaf_der.length - 16), leaf_der.length - 16 };
    if (damaged.data != NULL) {
        memcpy(damaged.data, leaf_der.data, damaged.length);
        bundle = parse(&damaged, NULL, NULL, NULL, "bundle_parse(truncated DER)");
        CHECK(has_finding(bundle, SLBCERT_SEVERITY_ERROR, "MALFORMED_DER"), "truncated DER: MALFORMED_DER error");
        slbcert_bundle_free(bundle);
        buffer_free(&damaged);
    }

    /* A PEM whose base64 holds a NUL byte in the middle (buffers are pointer + length, not C strings). */
    buffer with_nul = { malloc(leaf_pem.length), leaf_pem.length };
    if (with_nul.data != NULL) {
        memcpy(with_nul.data, leaf_pem.data, leaf_pem.length);
        with_nul.data[100] = '\0';
        bundle = parse(&with_nul, NULL, NULL, NULL, "bundle_parse(PEM with a NUL byte)");
        CHECK(slbcert_bundle_has_errors(bundle) == 1, "PEM with a NUL byte: an error finding");
        slbcert_bundle_free(bundle);
        buffer_free(&with_nul);
    }
}

static void test_null_handles(void) {
    CHECK(slbcert_upload_result_outcome(NULL) == -1 && slbcert_upload_result_removed_count(NULL) == 0 &&
          slbcert_upload_result_removed(NULL, 0) == NULL && slbcert_upload_result_duplicate_count(NULL) == 0 &&
          slbcert_upload_result_duplicate(NULL, 0) == NULL, "upload result getters accept NULL");
    slbcert_bundle_free(NULL);
    CHECK(1, "bundle_free(NULL) is a no-op");
    slbcert_string_free(NULL);
    CHECK(1, "string_free(NULL) is a no-op");

    make_last_error();
    CHECK(slbcert_bundle_has_errors(NULL) == -1, "bundle_has_errors(NULL) is -1");
    CHECK(slbcert_bundle_finding_count(NULL) == 0, "bundle_finding_count(NULL) is 0");
    CHECK(slbcert_bundle_chain_length(NULL) == 0, "bundle_chain_length(NULL) is 0");
    CHECK(slbcert_bundle_certificate(NULL, 0) == NULL, "bundle_certificate(NULL, 0) is NULL");
    CHECK(slbcert_bundle_has_key(NULL) == 0, "bundle_has_key(NULL) is 0");
    CHECK(slbcert_bundle_key_algorithm(NULL) == NULL, "bundle_key_algorithm(NULL) is NULL");
    CHECK(slbcert_bundle_key_bits(NULL) == 0, "bundle_key_bits(NULL) is 0");
    CHECK(slbcert_bundle_normalized_certificate_pem(NULL) == NULL, "bundle_normalized_certificate_pem(NULL) is NULL");
    CHECK(slbcert_bundle_normalized_private_key_pem(NULL) == NULL, "bundle_normalized_private_key_pem(NULL) is NULL");
    int severity = 7;
    const char *code = "untouched", *message = "untouched";
    expect_fail(slbcert_bundle_finding(NULL, 0, &severity, &code, &message), SLBCERT_EINVAL, "bundle_finding(NULL)");
    CHECK(severity == 7 && str_eq(code, "untouched") && str_eq(message, "untouched"),
          "bundle_finding(NULL) leaves the out-parameters alone");

    const slbcert_certificate *none = NULL;
    CHECK(slbcert_certificate_fingerprint(none) == NULL, "certificate_fingerprint(NULL) is NULL");
    CHECK(slbcert_certificate_fingerprint_sha256(none) == NULL, "certificate_fingerprint_sha256(NULL) is NULL");
    CHECK(slbcert_certificate_common_name(none) == NULL, "certificate_common_name(NULL) is NULL");
    CHECK(slbcert_certificate_subject(none) == NULL, "certificate_subject(NULL) is NULL");
    CHECK(slbcert_certificate_issuer(none) == NULL, "certificate_issuer(NULL) is NULL");
    CHECK(slbcert_certificate_serial(none) == NULL, "certificate_serial(NULL) is NULL");
    CHECK(slbcert_certificate_not_before(none) == NULL, "certificate_not_before(NULL) is NULL");
    CHECK(slbcert_certificate_not_before_ms(none) == 0, "certificate_not_before_ms(NULL) is 0");
    CHECK(slbcert_certificate_not_after(none) == NULL, "certificate_not_after(NULL) is NULL");
    CHECK(slbcert_certificate_not_after_ms(none) == 0, "certificate_not_after_ms(NULL) is 0");
    CHECK(slbcert_certificate_dns_name_count(none) == 0, "certificate_dns_name_count(NULL) is 0");
    CHECK(slbcert_certificate_dns_name(none, 0) == NULL, "certificate_dns_name(NULL, 0) is NULL");
    CHECK(slbcert_certificate_ip_address_count(none) == 0, "certificate_ip_address_count(NULL) is 0");
    CHECK(slbcert_certificate_ip_address(none, 0) == NULL, "certificate_ip_address(NULL, 0) is NULL");
    CHECK(slbcert_certificate_key_algorithm(none) == NULL, "certificate_key_algorithm(NULL) is NULL");
    CHECK(slbcert_certificate_key_bits(none) == 0, "certificate_key_bits(NULL) is 0");
    CHECK(slbcert_certificate_is_ca(none) == -1, "certificate_is_ca(NULL) is -1");
    CHECK(slbcert_certificate_is_self_signed(none) == -1, "certificate_is_self_signed(NULL) is -1");
}

static void test_redact(void) {
    char *out = NULL;
    char *const sentinel = (char *)&out; /* any non-NULL value */
    const char *text = "Action=DescribeServerCertificates&RegionId=cn-hangzhou&Format=JSON";

    make_last_error();
    expect_ok(slbcert_redact(&out, text, strlen(text)), "redact(a text without secrets)");
    CHECK(str_eq(out, text), "redact() returns a text without secrets unchanged");
    slbcert_string_free(out);

    /* Each secret-bearing form comes back with the value replaced and the rest intact. */
    static const struct { const char *in, *expected; } secrets[] = {
        { "Signature=abc%2Bdef&RegionId=cn-hangzhou", "Signature=[REDACTED]&RegionId=cn-hangzhou" },
        { "RegionId=x&PrivateKey=-----BEGIN%20RSA&Format=JSON", "RegionId=x&PrivateKey=[REDACTED]&Format=JSON" },
        { "SecurityToken=sts-token&Action=A", "SecurityToken=[REDACTED]&Action=A" },
        { "authorization: ACS3-HMAC-SHA256 Credential=id,Signature=ff", "authorization: [REDACTED]" },
        { "{\"AccessKeySecret\": \"s3cr3t\", \"AccessKeyId\": \"id\"}", "{\"AccessKeySecret\": \"[REDACTED]\", \"AccessKeyId\": \"id\"}" },
        { "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow==\n-----END RSA PRIVATE KEY-----\ndone", "key:\n[REDACTED]\ndone" },
    };
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++) {
        out = NULL;
        expect_ok(slbcert_redact(&out, secrets[i].in, strlen(secrets[i].in)), "redact(a text with a secret)");
        CHECK(str_eq(out, secrets[i].expected), "redact(form %zu) gives \"%s\" (got \"%s\")", i, secrets[i].expected, show(out));
        slbcert_string_free(out);
    }

    /* Not NUL-terminated: only `length` bytes are read (valgrind checks the rest is not touched). */
    char *exact = malloc(5);
    if (CHECK(exact != NULL, "allocating a 5-byte unterminated text")) {
        memcpy(exact, "hello", 5);
        out = sentinel;
        expect_ok(slbcert_redact(&out, exact, 5), "redact(5 bytes, no NUL)");
        CHECK(str_eq(out, "hello"), "redact(5 bytes) returns \"hello\", NUL-terminated");
        slbcert_string_free(out);
        out = sentinel;
        expect_ok(slbcert_redact(&out, exact, 3), "redact(prefix of 3 bytes)");
        CHECK(str_eq(out, "hel"), "redact(3 bytes) returns \"hel\"");
        slbcert_string_free(out);
        free(exact);
    }

    out = sentinel;
    expect_ok(slbcert_redact(&out, text, 0), "redact(length 0)");
    CHECK(str_eq(out, ""), "redact(length 0) returns \"\"");
    slbcert_string_free(out);

    expect_fail(slbcert_redact(NULL, text, strlen(text)), SLBCERT_EINVAL, "redact(out NULL)");
    out = sentinel;
    expect_ok(slbcert_redact(&out, NULL, 0), "redact(text NULL, length 0) is the empty text");
    CHECK(str_eq(out, ""), "redact(NULL, 0) returns \"\"");
    slbcert_string_free(out);
    out = sentinel;
    expect_fail(slbcert_redact(NULL, NULL, 0), SLBCERT_EINVAL, "redact(out NULL, text NULL)");
    out = sentinel;
    expect_fail(slbcert_redact(&out, NULL, 10), SLBCERT_EINVAL, "redact(text NULL, length 10)");
    CHECK(out == NULL, "redact(text NULL, length 10) sets *out to NULL");

    const size_t limit = (size_t)16 * 1024 * 1024;
    char *big = malloc(limit + 1);
    if (CHECK(big != NULL, "allocating 16 MiB + 1 bytes")) {
        memset(big, 'a', limit + 1);
        out = sentinel;
        expect_fail(slbcert_redact(&out, big, limit + 1), SLBCERT_EINVAL, "redact(16 MiB + 1 bytes)");
        CHECK(out == NULL, "redact(oversized) sets *out to NULL");
        free(big);
    }

    /* A larger text without secrets round-trips. */
    const size_t size = 256 * 1024;
    char *large = malloc(size);
    if (CHECK(large != NULL, "allocating 256 KiB")) {
        for (size_t i = 0; i < size; i++) large[i] = (char)('a' + i % 26);
        expect_ok(slbcert_redact(&out, large, size), "redact(256 KiB)");
        CHECK(out != NULL && strlen(out) == size && memcmp(out, large, size) == 0, "redact(256 KiB) round-trips");
        slbcert_string_free(out);
        free(large);
    }
}


/* ============================================================ credentials, signing and the client */

/* A non-NULL value stored in *out before a call that must set it to NULL on failure. */
static char sentinel_byte;
#define SENTINEL ((void *)&sentinel_byte)

static int contains(const char *text, const char *needle) {
    return text != NULL && needle != NULL && strstr(text, needle) != NULL;
}

/* A failed call with an out-parameter: the status and last error, and *out reset to NULL. */
static void expect_fail_null(int rc, int expected, const void *out, const char *what) {
    expect_fail(rc, expected, what);
    CHECK(out == NULL, "%s: sets *out to NULL", what);
}

/* The same for a call written in place: the call runs before *out is read (function arguments are
 * evaluated in no fixed order, so `expect_fail_null(f(&out), ..., out, ...)` would read it first). */
#define EXPECT_FAIL_NULL(call, expected, out, what)            \
    do {                                                       \
        int status_of_call = (call);                           \
        expect_fail_null(status_of_call, expected, out, what); \
    } while (0)

/* `text` holds none of the NULL-terminated `secrets`. */
static void expect_no_secret(const char *text, const char *const *secrets, const char *what) {
    int clean = 1;
    for (size_t i = 0; secrets[i] != NULL; i++) {
        if (contains(text, secrets[i])) clean = 0;
    }
    CHECK(clean, "%s: holds no secret", what);
}

/* Sixteen alphanumeric characters in a row from the base64 body of a PEM key: they survive any
 * percent-encoding, so finding them in a message or log line means key material leaked. The whole
 * body is searched, since a random key's first line may hold no such run. */
static const char *key_fragment(const char *pem) {
    static char fragment[17];
    fragment[0] = '\0';
    const char *body = pem ? strchr(pem, '\n') : NULL;
    if (body == NULL) return fragment;
    size_t used = 0;
    for (const char *c = body + 1; *c != '\0' && *c != '-' && used < 16; c++) {
        if (isalnum((unsigned char)*c)) fragment[used++] = *c; else used = 0;
    }
    fragment[used == 16 ? 16 : 0] = '\0';
    return fragment;
}

/* ---------------------------------------------------------------------------- the environment */

/* Every variable the credentials chain, the region and the transport read: saved before a group
 * changes them and restored afterwards, so the groups neither see nor leave the caller's settings. */
static const char *const environment_names[] = {
    "HOME", "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN",
    "ALIBABACLOUD_ACCESS_KEY_ID", "ALIBABACLOUD_ACCESS_KEY_SECRET", "ALIBABACLOUD_SECURITY_TOKEN",
    "ALICLOUD_ACCESS_KEY_ID", "ALICLOUD_ACCESS_KEY_SECRET", "ALICLOUD_SECURITY_TOKEN", "ALICLOUD_ACCESS_KEY",
    "ALICLOUD_SECRET_KEY", "ALIYUN_ACCESS_KEY_ID", "ALIYUN_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_PROFILE",
    "ALIBABA_CLOUD_REGION_ID", "ALIBABA_CLOUD_CREDENTIALS_FILE", "ALIBABA_CLOUD_CLI_PROFILE_DISABLED",
    "ALIBABA_CLOUD_ECS_METADATA_DISABLED", "ALIBABA_CLOUD_ECS_METADATA", "ALIBABA_CLOUD_IMDSV1_DISABLED",
    "SLBCERT_ECS_METADATA_ENDPOINT", "ALIBABA_CLOUD_CA_BUNDLE", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY",
    "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy",
};
#define ENVIRONMENT_COUNT (sizeof environment_names / sizeof environment_names[0])
static char *saved_environment[ENVIRONMENT_COUNT];

/* Saves the variables and unsets all but HOME; metadata lookups are switched off. */
static void isolate_environment(void) {
    for (size_t i = 0; i < ENVIRONMENT_COUNT; i++) {
        const char *value = getenv(environment_names[i]);
        saved_environment[i] = value ? strdup(value) : NULL;
        if (strcmp(environment_names[i], "HOME") != 0) unsetenv(environment_names[i]);
    }
    setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true", 1);
}

static void restore_environment(void) {
    for (size_t i = 0; i < ENVIRONMENT_COUNT; i++) {
        if (saved_environment[i] != NULL) {
            setenv(environment_names[i], saved_environment[i], 1);
            free(saved_environment[i]);
            saved_environment[i] = NULL;
        } else {
            unsetenv(environment_names[i]);
        }
    }
}

/* ------------------------------------------------------------------------------ options structs */

static void test_options_init(void) {
    const unsigned int bad_versions[] = { 0, 2, 99, UINT_MAX };
    char what[128];

    const slbcert_sign_options sign_defaults = SLBCERT_SIGN_OPTIONS_INIT;
    CHECK(sign_defaults.version == SLBCERT_SIGN_OPTIONS_VERSION && sign_defaults.signature_version == SLBCERT_SIGNATURE_V1 &&
          sign_defaults.placement == SLBCERT_PLACEMENT_BODY && sign_defaults.method == NULL && sign_defaults.nonce == NULL &&
          sign_defaults.timestamp == NULL && sign_defaults.v1_legacy_signature_type == 0,
          "SLBCERT_SIGN_OPTIONS_INIT: V1, BODY, no method/nonce/timestamp");
    slbcert_sign_options sign;
    memset(&sign, 0x5a, sizeof sign);
    make_last_error();
    expect_ok(slbcert_sign_options_init(&sign, SLBCERT_SIGN_OPTIONS_VERSION), "sign_options_init(version 1)");
    CHECK(sign.version == sign_defaults.version && sign.signature_version == sign_defaults.signature_version &&
          sign.placement == sign_defaults.placement && sign.method == NULL && sign.nonce == NULL && sign.timestamp == NULL &&
          sign.v1_legacy_signature_type == 0, "sign_options_init() fills the same defaults as SLBCERT_SIGN_OPTIONS_INIT");
    expect_fail(slbcert_sign_options_init(NULL, SLBCERT_SIGN_OPTIONS_VERSION), SLBCERT_EINVAL, "sign_options_init(NULL)");
    for (size_t i = 0; i < sizeof bad_versions / sizeof bad_versions[0]; i++) {
        snprintf(what, sizeof what, "sign_options_init(version %u)", bad_versions[i]);
        memset(&sign, 0x5a, sizeof sign);
        expect_fail(slbcert_sign_options_init(&sign, bad_versions[i]), SLBCERT_EINVAL, what);
        CHECK(sign.version == 0x5a5a5a5au, "%s leaves the struct untouched", what);
    }

    const slbcert_client_options client_defaults = SLBCERT_CLIENT_OPTIONS_INIT;
    slbcert_client_options client;
    memset(&client, 0x5a, sizeof client);
    make_last_error();
    expect_ok(slbcert_client_options_init(&client, SLBCERT_CLIENT_OPTIONS_VERSION), "client_options_init(version 1)");
    CHECK(client.version == SLBCERT_CLIENT_OPTIONS_VERSION && client_defaults.version == SLBCERT_CLIENT_OPTIONS_VERSION &&
          client.region_id == NULL && client.endpoint == NULL && client.credentials == NULL &&
          client.signature_version == client_defaults.signature_version && client.placement == client_defaults.placement &&
          client.ca_bundle == NULL && client.proxy == NULL && client.insecure_skip_tls_verification == 0 &&
          client.connect_timeout_ms == 0 && client.request_timeout_ms == 0 && client.upload_timeout_ms == 0 &&
          client.max_attempts == 0 && client.deadline_ms == 0 && client.user_agent_suffix == NULL && client.log_fn == NULL &&
          client.log_user_data == NULL && client.log_level == client_defaults.log_level && client.upload_settle_ms == 0 &&
          client_defaults.upload_settle_ms == 0,
          "client_options_init() fills the same defaults as SLBCERT_CLIENT_OPTIONS_INIT");
    expect_fail(slbcert_client_options_init(NULL, SLBCERT_CLIENT_OPTIONS_VERSION), SLBCERT_EINVAL, "client_options_init(NULL)");
    const unsigned int client_bad_versions[] = { 0, SLBCERT_CLIENT_OPTIONS_VERSION + 1, 99, UINT_MAX };
    for (size_t i = 0; i < sizeof client_bad_versions / sizeof client_bad_versions[0]; i++) {
        snprintf(what, sizeof what, "client_options_init(version %u)", client_bad_versions[i]);
        memset(&client, 0x5a, sizeof client);
        expect_fail(slbcert_client_options_init(&client, client_bad_versions[i]), SLBCERT_EINVAL, what);
        CHECK(client.version == 0x5a5a5a5au, "%s leaves the struct untouched", what);
    }
    /* Version 1 callers have a shorter struct: init must not write past it (valgrind would see it). It is
     * read back through a full-size copy: a member access into the short allocation is undefined (UBSan). */
    size_t v1_size = offsetof(slbcert_client_options, upload_settle_ms);
    slbcert_client_options *v1 = malloc(v1_size);
    if (CHECK(v1 != NULL, "a version-1-sized options struct")) {
        slbcert_client_options seen;
        memset(&seen, 0, sizeof seen);
        expect_ok(slbcert_client_options_init(v1, 1), "client_options_init(a version 1 struct)");
        memcpy(&seen, v1, v1_size);
        CHECK(seen.version == 1 && seen.deadline_ms == 0 && seen.region_id == NULL, "client_options_init(version 1) fills version 1's fields");
        free(v1);
    }

    const slbcert_upload_options upload_defaults = SLBCERT_UPLOAD_OPTIONS_INIT;
    slbcert_upload_options upload;
    memset(&upload, 0x5a, sizeof upload);
    make_last_error();
    expect_ok(slbcert_upload_options_init(&upload, SLBCERT_UPLOAD_OPTIONS_VERSION), "upload_options_init(version 1)");
    CHECK(upload.version == upload_defaults.version && upload.name == NULL && upload.resource_group_id == NULL &&
          upload.tag_keys == NULL && upload.tag_values == NULL && upload.tag_count == 0 && upload.no_ensure == 0 &&
          upload.send_as_is == 0, "upload_options_init() fills the same defaults as SLBCERT_UPLOAD_OPTIONS_INIT");
    expect_fail(slbcert_upload_options_init(NULL, SLBCERT_UPLOAD_OPTIONS_VERSION), SLBCERT_EINVAL, "upload_options_init(NULL)");
    for (size_t i = 0; i < sizeof bad_versions / sizeof bad_versions[0]; i++) {
        snprintf(what, sizeof what, "upload_options_init(version %u)", bad_versions[i]);
        memset(&upload, 0x5a, sizeof upload);
        expect_fail(slbcert_upload_options_init(&upload, bad_versions[i]), SLBCERT_EINVAL, what);
        CHECK(upload.version == 0x5a5a5a5au, "%s leaves the struct untouched", what);
    }

    const slbcert_describe_options describe_defaults = SLBCERT_DESCRIBE_OPTIONS_INIT;
    slbcert_describe_options describe;
    memset(&describe, 0x5a, sizeof describe);
    make_last_error();
    expect_ok(slbcert_describe_options_init(&describe, SLBCERT_DESCRIBE_OPTIONS_VERSION), "describe_options_init(version 1)");
    CHECK(describe.version == describe_defaults.version && describe.server_certificate_id == NULL &&
          describe.resource_group_id == NULL && describe.tag_keys == NULL && describe.tag_values == NULL &&
          describe.tag_count == 0, "describe_options_init() fills the same defaults as SLBCERT_DESCRIBE_OPTIONS_INIT");
    expect_fail(slbcert_describe_options_init(NULL, SLBCERT_DESCRIBE_OPTIONS_VERSION), SLBCERT_EINVAL,
                "describe_options_init(NULL)");
    for (size_t i = 0; i < sizeof bad_versions / sizeof bad_versions[0]; i++) {
        snprintf(what, sizeof what, "describe_options_init(version %u)", bad_versions[i]);
        memset(&describe, 0x5a, sizeof describe);
        expect_fail(slbcert_describe_options_init(&describe, bad_versions[i]), SLBCERT_EINVAL, what);
        CHECK(describe.version == 0x5a5a5a5au, "%s leaves the struct untouched", what);
    }
}

/* -------------------------------------------------------------------------------- credentials */

#define STATIC_SECRET "static-Secret-5e6f7a8b"
#define STATIC_TOKEN "static-Token-9c0d1e2f"
#define PROFILE_SECRET "profile-Secret-9f8e7d6c"
#define STS_PROFILE_SECRET "stsprofile-Secret-5b4a"
#define STS_PROFILE_TOKEN "stsprofile-Token-3928"
#define RAM_PROFILE_SECRET "ramprofile-Secret-1716"
#define ENV_SECRET "env-Secret-0c1d2e3f"
static const char *const credential_secrets[] = {
    STATIC_SECRET, STATIC_TOKEN, PROFILE_SECRET, STS_PROFILE_SECRET, STS_PROFILE_TOKEN, RAM_PROFILE_SECRET, ENV_SECRET, NULL,
};

static int make_directory(const char *name) {
    return mkdir(path_of(name), 0700) == 0 || errno == EEXIST ? 0 : -1;
}

/* home-profile/.aliyun/config.json (mode 0600) with three profiles, and an empty home-empty. */
static int make_homes(void) {
    if (make_directory("home-profile") || make_directory("home-profile/.aliyun") || make_directory("home-empty")) return -1;
    if (write_file("home-profile/.aliyun/config.json",
                   "{\n"
                   "  \"current\": \"ctest\",\n"
                   "  \"profiles\": [\n"
                   "    {\"name\": \"ctest\", \"mode\": \"AK\", \"access_key_id\": \"LTAIctestprofile\",\n"
                   "     \"access_key_secret\": \"" PROFILE_SECRET "\", \"region_id\": \"cn-shanghai\"},\n"
                   "    {\"name\": \"sts\", \"mode\": \"StsToken\", \"access_key_id\": \"STS.ctestprofile\",\n"
                   "     \"access_key_secret\": \"" STS_PROFILE_SECRET "\", \"sts_token\": \"" STS_PROFILE_TOKEN "\",\n"
                   "     \"region_id\": \"\"},\n"
                   "    {\"name\": \"ramrole\", \"mode\": \"RamRoleArn\", \"access_key_id\": \"LTAIramrole\",\n"
                   "     \"access_key_secret\": \"" RAM_PROFILE_SECRET "\", \"ram_role_arn\": \"acs:ram::1:role/x\",\n"
                   "     \"region_id\": \"cn-beijing\"}\n"
                   "  ]\n"
                   "}\n") != 0) {
        return -1;
    }
    return chmod(path_of("home-profile/.aliyun/config.json"), 0600);
}

/* A successful constructor: the handle and its getters. The caller frees what is returned. */
static slbcert_credentials *expect_credentials(int rc, slbcert_credentials *credentials, const char *source,
                                               const char *access_key_id, const char *region, const char *what) {
    expect_ok(rc, what);
    if (!CHECK(credentials != NULL && credentials != SENTINEL, "%s: credentials are returned", what)) return NULL;
    const char *got = slbcert_credentials_source(credentials);
    CHECK(str_eq(got, source), "%s: source is \"%s\" (got \"%s\")", what, source, show(got));
    got = slbcert_credentials_access_key_id(credentials);
    CHECK(str_eq(got, access_key_id), "%s: access_key_id is \"%s\" (got \"%s\")", what, access_key_id, show(got));
    got = slbcert_credentials_region(credentials);
    if (region != NULL) {
        CHECK(str_eq(got, region), "%s: region is \"%s\" (got \"%s\")", what, region, show(got));
    } else {
        CHECK(got == NULL, "%s: region is NULL (got \"%s\")", what, show(got));
    }
    return credentials;
}

/* A failed constructor: SLBCERT_ECREDENTIALS, *out NULL, a message naming `must_name` and no secret. */
static void expect_credentials_error(int rc, const slbcert_credentials *credentials, const char *must_name,
                                     const char *what) {
    EXPECT_FAIL_NULL(rc, SLBCERT_ECREDENTIALS, credentials, what);
    const char *message = slbcert_last_error_message();
    if (must_name != NULL) {
        CHECK(contains(message, must_name), "%s: the message names %s: \"%s\"", what, must_name, show(message));
    }
    expect_no_secret(message, credential_secrets, what);
    expect_no_secret(slbcert_last_error_hint(), credential_secrets, what);
}

static void test_credentials(void) {
    slbcert_credentials *credentials = NULL;
    char config_path[600];
    char empty_home_path[600];
    snprintf(config_path, sizeof config_path, "%s", path_of("home-profile/.aliyun/config.json"));
    snprintf(empty_home_path, sizeof empty_home_path, "%s", path_of("home-empty"));

    /* Static credentials. */
    expect_fail(slbcert_credentials_new_static(NULL, "LTAIstaticid", STATIC_SECRET, NULL), SLBCERT_EINVAL,
                "credentials_new_static(out NULL)");
    credentials = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_credentials_new_static(&credentials, NULL, STATIC_SECRET, NULL), SLBCERT_EINVAL, credentials,
                     "credentials_new_static(access_key_id NULL)");
    expect_no_secret(slbcert_last_error_message(), credential_secrets, "credentials_new_static(access_key_id NULL)");
    credentials = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_credentials_new_static(&credentials, "", STATIC_SECRET, NULL), SLBCERT_EINVAL, credentials,
                     "credentials_new_static(access_key_id \"\")");
    credentials = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_credentials_new_static(&credentials, "LTAIstaticid", NULL, NULL), SLBCERT_EINVAL, credentials,
                     "credentials_new_static(access_key_secret NULL)");
    credentials = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_credentials_new_static(&credentials, "LTAIstaticid", "", NULL), SLBCERT_EINVAL, credentials,
                     "credentials_new_static(access_key_secret \"\")");

    make_last_error();
    credentials = SENTINEL;
    int rc = slbcert_credentials_new_static(&credentials, "LTAIstaticid", STATIC_SECRET, NULL);
    credentials = expect_credentials(rc, credentials, "static", "LTAIstaticid", NULL, "credentials_new_static(no token)");
    make_last_error();
    (void)slbcert_credentials_source(credentials);
    (void)slbcert_credentials_access_key_id(credentials);
    (void)slbcert_credentials_region(credentials);
    CHECK(slbcert_last_error_status() == SLBCERT_EINVAL, "credentials getters leave the last error alone");
    slbcert_credentials_free(credentials);

    /* The strings are copied: the caller may wipe its own buffers. */
    char id_buffer[32], secret_buffer[32];
    snprintf(id_buffer, sizeof id_buffer, "LTAIcopiedid");
    snprintf(secret_buffer, sizeof secret_buffer, "%s", STATIC_SECRET);
    credentials = SENTINEL;
    rc = slbcert_credentials_new_static(&credentials, id_buffer, secret_buffer, NULL);
    memset(id_buffer, 'x', sizeof id_buffer - 1);
    memset(secret_buffer, 0, sizeof secret_buffer);
    credentials = expect_credentials(rc, credentials, "static", "LTAIcopiedid", NULL,
                                     "credentials_new_static(buffers wiped after the call)");
    slbcert_credentials_free(credentials);

    make_last_error();
    credentials = SENTINEL;
    rc = slbcert_credentials_new_static(&credentials, "STS.staticid", STATIC_SECRET, STATIC_TOKEN);
    credentials = expect_credentials(rc, credentials, "static", "STS.staticid", NULL, "credentials_new_static(STS token)");
    slbcert_credentials_free(credentials);

    slbcert_credentials_free(NULL);
    CHECK(1, "credentials_free(NULL) is a no-op");
    CHECK(slbcert_credentials_source(NULL) == NULL, "credentials_source(NULL) is NULL");
    CHECK(slbcert_credentials_access_key_id(NULL) == NULL, "credentials_access_key_id(NULL) is NULL");
    CHECK(slbcert_credentials_region(NULL) == NULL, "credentials_region(NULL) is NULL");

    /* Profiles and the default chain, in a controlled environment. */
    if (!CHECK(make_homes() == 0, "writing home-profile/.aliyun/config.json (0600) and home-empty")) return;
    isolate_environment();
    setenv("HOME", path_of("home-profile"), 1);

    expect_fail(slbcert_credentials_new_profile(NULL, "ctest"), SLBCERT_EINVAL, "credentials_new_profile(out NULL)");
    make_last_error();
    credentials = SENTINEL;
    rc = slbcert_credentials_new_profile(&credentials, "ctest");
    slbcert_credentials_free(expect_credentials(rc, credentials, "profile:ctest", "LTAIctestprofile", "cn-shanghai",
                                                "credentials_new_profile(\"ctest\")"));
    credentials = SENTINEL;
    rc = slbcert_credentials_new_profile(&credentials, NULL);
    slbcert_credentials_free(expect_credentials(rc, credentials, "profile:ctest", "LTAIctestprofile", "cn-shanghai",
                                                "credentials_new_profile(NULL): the file's current profile"));
    setenv("ALIBABA_CLOUD_PROFILE", "sts", 1);
    credentials = SENTINEL;
    rc = slbcert_credentials_new_profile(&credentials, NULL);
    slbcert_credentials_free(expect_credentials(rc, credentials, "profile:sts", "STS.ctestprofile", NULL,
                                                "credentials_new_profile(NULL) with ALIBABA_CLOUD_PROFILE=sts"));
    unsetenv("ALIBABA_CLOUD_PROFILE");
    setenv("ALIBABA_CLOUD_REGION_ID", "eu-central-1", 1);
    credentials = SENTINEL;
    rc = slbcert_credentials_new_profile(&credentials, "ctest");
    /* The credentials report the profile's own region; choosing between it and the environment is the client's. */
    slbcert_credentials_free(expect_credentials(rc, credentials, "profile:ctest", "LTAIctestprofile", "cn-shanghai",
                                                "credentials_new_profile(\"ctest\") with ALIBABA_CLOUD_REGION_ID"));
    unsetenv("ALIBABA_CLOUD_REGION_ID");

    credentials = SENTINEL;
    rc = slbcert_credentials_new_profile(&credentials, "missing");
    expect_credentials_error(rc, credentials, config_path, "credentials_new_profile(\"missing\")");
    CHECK(contains(slbcert_last_error_message(), "missing"), "credentials_new_profile(\"missing\"): the message names the profile");
    credentials = SENTINEL;
    rc = slbcert_credentials_new_profile(&credentials, "ramrole");
    expect_credentials_error(rc, credentials, "RamRoleArn", "credentials_new_profile(\"ramrole\"): unsupported mode");
    CHECK(str_eq(slbcert_last_error_hint(), "") == 0, "unsupported mode: the hint says which modes work: \"%s\"",
          show(slbcert_last_error_hint()));

    /* The default chain: the environment wins over the profile file. */
    expect_fail(slbcert_credentials_new_default(NULL), SLBCERT_EINVAL, "credentials_new_default(out NULL)");
    make_last_error();
    credentials = SENTINEL;
    rc = slbcert_credentials_new_default(&credentials);
    slbcert_credentials_free(expect_credentials(rc, credentials, "profile:ctest", "LTAIctestprofile", "cn-shanghai",
                                                "credentials_new_default() with only the profile file"));
    setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIenvironment", 1);
    setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ENV_SECRET, 1);
    credentials = SENTINEL;
    rc = slbcert_credentials_new_default(&credentials);
    slbcert_credentials_free(expect_credentials(rc, credentials, "environment", "LTAIenvironment", NULL,
                                                "credentials_new_default() with the environment and the profile file"));

    setenv("HOME", empty_home_path, 1);
    credentials = SENTINEL;
    rc = slbcert_credentials_new_default(&credentials);
    slbcert_credentials_free(expect_credentials(rc, credentials, "environment", "LTAIenvironment", NULL,
                                                "credentials_new_default() with ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET"));
    setenv("ALIBABA_CLOUD_REGION_ID", "cn-beijing", 1);
    credentials = SENTINEL;
    rc = slbcert_credentials_new_default(&credentials);
    slbcert_credentials_free(expect_credentials(rc, credentials, "environment", "LTAIenvironment", NULL,
                                                "credentials_new_default() with ALIBABA_CLOUD_REGION_ID"));

    /* A client with NULL credentials resolves the chain; its region comes from the environment. */
    slbcert_client_options options = SLBCERT_CLIENT_OPTIONS_INIT;
    options.endpoint = "https://127.0.0.1:9";
    slbcert_client *client = SENTINEL;
    make_last_error();
    expect_ok(slbcert_client_new(&client, &options), "client_new(credentials NULL, region NULL) from the environment");
    CHECK(str_eq(slbcert_client_region(client), "cn-beijing"), "client_region is ALIBABA_CLOUD_REGION_ID's (got \"%s\")",
          show(slbcert_client_region(client)));
    slbcert_client_free(client);
    unsetenv("ALIBABA_CLOUD_REGION_ID");

    /* A half-configured environment is an error, not a reason to fall through. */
    unsetenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
    credentials = SENTINEL;
    rc = slbcert_credentials_new_default(&credentials);
    expect_credentials_error(rc, credentials, "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
                             "credentials_new_default() with an id but no secret in the environment");
    unsetenv("ALIBABA_CLOUD_ACCESS_KEY_ID");

    /* Nothing configured, metadata off. */
    credentials = SENTINEL;
    rc = slbcert_credentials_new_default(&credentials);
    expect_credentials_error(rc, credentials, empty_home_path, "credentials_new_default() with nothing configured");
    credentials = SENTINEL;
    rc = slbcert_credentials_new_profile(&credentials, "ctest");
    expect_credentials_error(rc, credentials, empty_home_path, "credentials_new_profile(\"ctest\") without a profile file");
    client = SENTINEL;
    options.region_id = "cn-hangzhou";
    rc = slbcert_client_new(&client, &options);
    EXPECT_FAIL_NULL(rc, SLBCERT_ECREDENTIALS, client, "client_new(credentials NULL) with nothing configured");

    /* A client with NULL credentials and region takes both from the profile. */
    setenv("HOME", path_of("home-profile"), 1);
    options.region_id = NULL;
    client = SENTINEL;
    make_last_error();
    expect_ok(slbcert_client_new(&client, &options), "client_new(credentials NULL, region NULL) from the profile file");
    CHECK(str_eq(slbcert_client_region(client), "cn-shanghai"), "client_region is the profile's region_id (got \"%s\")",
          show(slbcert_client_region(client)));
    slbcert_client_free(client);

    restore_environment();
}
/* ------------------------------------------------------------------------- the signing vectors */

/* The golden vectors of $SLBCERT_SIGNING_VECTORS (signatures made by Alibaba's official SDKs): a few
 * lines of Python (SLBCERT_TEST_PYTHON) write each value this test needs into vectors/NAME, raw, and
 * load_vectors() reads them. Values that are not in the file as such (the signature and the
 * timestamp as they appear in a query string) are derived there with urllib's own encoder. */
static const char vectors_script[] =
    "import json, os, re, sys, urllib.parse\n"
    "with open(sys.argv[1], encoding='utf-8') as source:\n"
    "    vectors = json.load(source)\n"
    "inputs, v1, v3 = vectors['inputs'], vectors['v1'], vectors['v3']\n"
    "a, a2, b, d1 = (v1[name] for name in ('A_legacy_core_POST_Format_JSON_SignatureType_empty',\n"
    "                'A2_legacy_core_GET', 'B_tea_openapi_v2_POST_Format_json', 'D1_legacy_core_POST_sts'))\n"
    "m1, m2 = v3['M1_minimal_headers'], v3['M2_minimal_headers_sts']\n"
    "quote = lambda text: urllib.parse.quote(text, safe='')\n"
    "values = {\n"
    "    'access_key_id': inputs['AccessKeyId'], 'access_key_secret': inputs['AccessKeySecret'],\n"
    "    'nonce': inputs['SignatureNonce'], 'timestamp': inputs['Timestamp'], 'region': inputs['RegionId'],\n"
    "    'certificate': inputs['ServerCertificate'], 'private_key': inputs['PrivateKey'],\n"
    "    'name': inputs['ServerCertificateName'], 'sts_token': inputs['StsToken'],\n"
    "    'key_fragment': re.match('[A-Za-z0-9]+', inputs['PrivateKey'].split('\\n')[1]).group(0),\n"
    "    'query_nonce': 'SignatureNonce=' + inputs['SignatureNonce'],\n"
    "    'query_timestamp': 'Timestamp=' + quote(inputs['Timestamp']),\n"
    "    'a_string_to_sign': a['string_to_sign'], 'a_signature': a['signature'],\n"
    "    'a2_string_to_sign': a2['string_to_sign'], 'a2_signature': a2['signature'],\n"
    "    'b_string_to_sign': b['string_to_sign'], 'b_signature': b['signature'],\n"
    "    'b_signature_stem': b['signature'].rstrip('='), 'b_query_signature': 'Signature=' + quote(b['signature']),\n"
    "    'd1_string_to_sign': d1['string_to_sign'], 'd1_signature': d1['signature'],\n"
    "    'm1_canonical_request': m1['canonical_request'], 'm1_authorization': m1['authorization'],\n"
    "    'm1_signature': m1['authorization'].rsplit('Signature=', 1)[1],\n"
    "    'm2_canonical_request': m2['canonical_request'], 'm2_authorization': m2['authorization'],\n"
    "    'm2_signature': m2['authorization'].rsplit('Signature=', 1)[1],\n"
    "    'empty_sha256': m1['signed_headers']['x-acs-content-sha256'],\n"
    "}\n"
    "os.makedirs('vectors', exist_ok=True)\n"
    "for name, value in values.items():\n"
    "    with open(os.path.join('vectors', name), 'wb') as out:\n"
    "        out.write(value.encode('utf-8'))\n";

static const char *vector_access_key_id, *vector_access_key_secret, *vector_nonce, *vector_timestamp, *vector_region,
    *vector_certificate, *vector_private_key, *vector_name, *vector_sts_token, *vector_key_fragment, *vector_query_nonce,
    *vector_query_timestamp, *vector_a_string_to_sign, *vector_a_signature, *vector_a2_string_to_sign,
    *vector_a2_signature, *vector_b_string_to_sign, *vector_b_signature, *vector_b_signature_stem,
    *vector_b_query_signature, *vector_d1_string_to_sign, *vector_d1_signature, *vector_m1_canonical_request,
    *vector_m1_authorization, *vector_m1_signature, *vector_m2_canonical_request, *vector_m2_authorization,
    *vector_m2_signature, *vector_empty_sha256;

static struct {
    const char *name;
    const char **value;
} vector_values[] = {
    { "access_key_id", &vector_access_key_id }, { "access_key_secret", &vector_access_key_secret },
    { "nonce", &vector_nonce }, { "timestamp", &vector_timestamp }, { "region", &vector_region },
    { "certificate", &vector_certificate }, { "private_key", &vector_private_key }, { "name", &vector_name },
    { "sts_token", &vector_sts_token }, { "key_fragment", &vector_key_fragment }, { "query_nonce", &vector_query_nonce },
    { "query_timestamp", &vector_query_timestamp }, { "a_string_to_sign", &vector_a_string_to_sign },
    { "a_signature", &vector_a_signature }, { "a2_string_to_sign", &vector_a2_string_to_sign },
    { "a2_signature", &vector_a2_signature }, { "b_string_to_sign", &vector_b_string_to_sign },
    { "b_signature", &vector_b_signature }, { "b_signature_stem", &vector_b_signature_stem },
    { "b_query_signature", &vector_b_query_signature }, { "d1_string_to_sign", &vector_d1_string_to_sign },
    { "d1_signature", &vector_d1_signature }, { "m1_canonical_request", &vector_m1_canonical_request },
    { "m1_authorization", &vector_m1_authorization }, { "m1_signature", &vector_m1_signature },
    { "m2_canonical_request", &vector_m2_canonical_request }, { "m2_authorization", &vector_m2_authorization },
    { "m2_signature", &vector_m2_signature }, { "empty_sha256", &vector_empty_sha256 },
};
static char *vector_storage[sizeof vector_values / sizeof vector_values[0]];

/* Reads every vector value; 0 when all were read. A value that could not be read is "" (its checks
 * then fail rather than crash). */
static int load_vectors(void) {
    const char *source = getenv("SLBCERT_SIGNING_VECTORS");
    int ok = source != NULL && source[0] != '\0' && test_python != NULL && write_file("vectors.py", vectors_script) == 0 &&
             run("'%s' vectors.py '%s'", test_python, source) == 0;
    for (size_t i = 0; i < sizeof vector_values / sizeof vector_values[0]; i++) {
        char name[128];
        snprintf(name, sizeof name, "vectors/%s", vector_values[i].name);
        buffer value = ok ? read_file(name) : (buffer){ NULL, 0 };
        vector_storage[i] = malloc(value.length + 1);
        if (vector_storage[i] != NULL) {
            if (value.length > 0) memcpy(vector_storage[i], value.data, value.length);
            vector_storage[i][value.length] = '\0';
        }
        *vector_values[i].value = vector_storage[i] != NULL ? vector_storage[i] : "";
        if (value.length == 0) ok = 0;
        buffer_free(&value);
    }
    return ok ? 0 : -1;
}

static void free_vectors(void) {
    for (size_t i = 0; i < sizeof vector_values / sizeof vector_values[0]; i++) {
        free(vector_storage[i]);
        vector_storage[i] = NULL;
        *vector_values[i].value = NULL;
    }
}

static int header_name_is(const char *name, const char *wanted) {
    if (name == NULL) return 0;
    for (; *name != '\0' && *wanted != '\0'; name++, wanted++) {
        if (tolower((unsigned char)*name) != tolower((unsigned char)*wanted)) return 0;
    }
    return *name == '\0' && *wanted == '\0';
}

/* The value of the first header called `name` (any case), or NULL. */
static const char *header_value(const slbcert_signed_request *request, const char *name) {
    size_t count = slbcert_signed_request_header_count(request);
    for (size_t i = 0; i < count; i++) {
        const char *key = NULL, *value = NULL;
        if (slbcert_signed_request_header(request, i, &key, &value) == SLBCERT_OK && header_name_is(key, name)) return value;
    }
    return NULL;
}

/* header(0..count-1) give names and values; header(count) and beyond are SLBCERT_ERANGE. */
static void check_headers(const slbcert_signed_request *request, int lower_case_names, const char *what) {
    size_t count = slbcert_signed_request_header_count(request);
    int good = 1;
    for (size_t i = 0; i < count; i++) {
        const char *name = NULL, *value = NULL;
        if (slbcert_signed_request_header(request, i, &name, &value) != SLBCERT_OK || name == NULL || value == NULL ||
            name[0] == '\0') {
            good = 0;
            continue;
        }
        for (const char *c = name; lower_case_names && *c != '\0'; c++) {
            if (isupper((unsigned char)*c)) good = 0;
        }
    }
    CHECK(good, "%s: header(0..%zu) each give a name%s and a value", what, count, lower_case_names ? " (lower-case)" : "");
    if (count > 0) {
        make_last_error();
        expect_ok(slbcert_signed_request_header(request, 0, NULL, NULL), "signed_request_header(0, NULL, NULL)");
    }
    const char *name = "untouched", *value = "untouched";
    make_last_error();
    expect_fail(slbcert_signed_request_header(request, count, &name, &value), SLBCERT_ERANGE,
                "signed_request_header(index == header_count)");
    CHECK(str_eq(name, "untouched") && str_eq(value, "untouched"), "signed_request_header out of range leaves the outs alone");
    expect_fail(slbcert_signed_request_header(request, count + 1000, NULL, NULL), SLBCERT_ERANGE,
                "signed_request_header(index header_count + 1000)");
}

/* Parameters in the URL: the path starts "/?" and carries the PrivateKey; no body. */
static void check_query_placement(const slbcert_signed_request *request, const char *what) {
    const char *path = slbcert_signed_request_path_and_query(request);
    CHECK(starts_with(path, "/?"), "%s: path_and_query starts with \"/?\"", what);
    CHECK(contains(path, "PrivateKey="), "%s: path_and_query carries the PrivateKey", what);
    CHECK(str_eq(slbcert_signed_request_body(request), ""), "%s: body is \"\"", what);
    CHECK(slbcert_signed_request_body_length(request) == 0, "%s: body_length is 0", what);
}

/* Parameters in a form body: the body holds the PrivateKey, the URL does not. */
static void check_body_placement(const slbcert_signed_request *request, const char *what) {
    const char *path = slbcert_signed_request_path_and_query(request);
    const char *body = slbcert_signed_request_body(request);
    CHECK(starts_with(path, "/") && !contains(path, "PrivateKey"), "%s: path_and_query \"%s\" has no PrivateKey", what,
          show(path));
    CHECK(contains(body, "PrivateKey="), "%s: the body holds the PrivateKey", what);
    CHECK(body != NULL && slbcert_signed_request_body_length(request) == strlen(body) && strlen(body) > 0,
          "%s: body_length %zu is the body's length", what, slbcert_signed_request_body_length(request));
    CHECK(str_eq(header_value(request, "content-type"), "application/x-www-form-urlencoded"),
          "%s: content-type is application/x-www-form-urlencoded", what);
}

/* Signs the vectors' UploadServerCertificate parameters (plus Format=json when asked). */
static slbcert_signed_request *sign_vector(const slbcert_credentials *credentials, const slbcert_sign_options *options,
                                           int with_format, const char *what) {
    const char *const keys[] = { "RegionId", "ServerCertificate", "PrivateKey", "ServerCertificateName", "Format" };
    const char *const values[] = { vector_region, vector_certificate, vector_private_key, vector_name, "json" };
    slbcert_signed_request *request = SENTINEL;
    make_last_error();
    int rc = slbcert_sign(&request, credentials, "UploadServerCertificate", "2014-05-15", "slb.aliyuncs.com", keys, values,
                          with_format ? 5 : 4, options);
    expect_ok(rc, what);
    if (!CHECK(rc == SLBCERT_OK && request != NULL && request != SENTINEL, "%s: a signed request is returned", what)) return NULL;
    return request;
}

static slbcert_sign_options vector_options(int signature_version, int placement, const char *method, int legacy) {
    slbcert_sign_options options = SLBCERT_SIGN_OPTIONS_INIT;
    options.signature_version = signature_version;
    options.placement = placement;
    options.method = method;
    options.nonce = vector_nonce;
    options.timestamp = vector_timestamp;
    options.v1_legacy_signature_type = legacy;
    return options;
}

/* A V1 vector: method, string to sign and signature. */
static void check_v1(const slbcert_signed_request *request, const char *method, const char *string_to_sign,
                     const char *signature, const char *what) {
    CHECK(str_eq(slbcert_signed_request_method(request), method), "%s: method is %s", what, method);
    CHECK(str_eq(slbcert_signed_request_string_to_sign(request), string_to_sign), "%s: string_to_sign equals the vector's%s%s",
          what, str_eq(slbcert_signed_request_string_to_sign(request), string_to_sign) ? "" : ": got ",
          str_eq(slbcert_signed_request_string_to_sign(request), string_to_sign) ? "" :
          show(slbcert_signed_request_string_to_sign(request)));
    CHECK(str_eq(slbcert_signed_request_signature(request), signature), "%s: signature is %s (got %s)", what, signature,
          show(slbcert_signed_request_signature(request)));
    check_headers(request, 0, what);
}

/* A V3 vector: the canonical request, the signature and the authorization header. */
static void check_v3(const slbcert_signed_request *request, const char *canonical_request, const char *authorization,
                     const char *signature, const char *what) {
    CHECK(str_eq(slbcert_signed_request_method(request), "POST"), "%s: method is POST", what);
    CHECK(str_eq(slbcert_signed_request_string_to_sign(request), canonical_request),
          "%s: string_to_sign equals the vector's canonical_request%s%s", what,
          str_eq(slbcert_signed_request_string_to_sign(request), canonical_request) ? "" : ": got ",
          str_eq(slbcert_signed_request_string_to_sign(request), canonical_request) ? "" :
          show(slbcert_signed_request_string_to_sign(request)));
    CHECK(str_eq(slbcert_signed_request_signature(request), signature), "%s: signature is %s (got %s)", what, signature,
          show(slbcert_signed_request_signature(request)));
    const char *header = header_value(request, "authorization");
    CHECK(str_eq(header, authorization), "%s: the authorization header equals the vector's (got %s)", what, show(header));
    CHECK(header != NULL && strstr(header, "Signature=") != NULL && str_eq(strstr(header, "Signature=") + 10, signature),
          "%s: the authorization header carries the vector's signature", what);
    CHECK(str_eq(header_value(request, "host"), "slb.aliyuncs.com"), "%s: host header", what);
    CHECK(str_eq(header_value(request, "x-acs-action"), "UploadServerCertificate"), "%s: x-acs-action header", what);
    CHECK(str_eq(header_value(request, "x-acs-version"), "2014-05-15"), "%s: x-acs-version header", what);
    CHECK(str_eq(header_value(request, "x-acs-date"), vector_timestamp), "%s: x-acs-date header", what);
    CHECK(str_eq(header_value(request, "x-acs-signature-nonce"), vector_nonce),
          "%s: x-acs-signature-nonce header", what);
    CHECK(str_eq(header_value(request, "x-acs-content-sha256"), vector_empty_sha256),
          "%s: x-acs-content-sha256 is the SHA-256 of the empty body", what);
    check_headers(request, 1, what);
}

static void test_signing(void) {
    slbcert_credentials *plain = NULL, *sts = NULL;
    if (!CHECK(load_vectors() == 0, "the signing vectors of $SLBCERT_SIGNING_VECTORS are read (through SLBCERT_TEST_PYTHON)")) {
        free_vectors();
        return;
    }
    int rc = slbcert_credentials_new_static(&plain, vector_access_key_id, vector_access_key_secret, NULL);
    if (!CHECK(rc == SLBCERT_OK, "credentials %s/<the vectors' secret>", vector_access_key_id)) {
        free_vectors();
        return;
    }
    rc = slbcert_credentials_new_static(&sts, vector_access_key_id, vector_access_key_secret, vector_sts_token);
    if (!CHECK(rc == SLBCERT_OK, "credentials of the vectors with their STS token")) {
        slbcert_credentials_free(plain);
        free_vectors();
        return;
    }

    /* V1 vector B: tea openapi, parameters in the query, Format=json as a parameter. */
    slbcert_sign_options options = vector_options(SLBCERT_SIGNATURE_V1, SLBCERT_PLACEMENT_QUERY, NULL, 0);
    slbcert_signed_request *request = sign_vector(plain, &options, 1, "sign(V1 vector B, QUERY, Format=json)");
    if (request != NULL) {
        check_v1(request, "POST", vector_b_string_to_sign, vector_b_signature, "V1 vector B");
        check_query_placement(request, "V1 vector B");
        const char *path = slbcert_signed_request_path_and_query(request);
        CHECK(contains(path, vector_b_query_signature), "V1 vector B: the query carries the encoded signature");
        CHECK(contains(path, "Format=json") && contains(path, vector_query_nonce) &&
              contains(path, vector_query_timestamp) && !contains(path, "SignatureType"),
              "V1 vector B: the query has Format=json, the nonce, the encoded timestamp and no SignatureType");
        char *redacted = NULL;
        if (path != NULL) {
            expect_ok(slbcert_redact(&redacted, path, strlen(path)), "redact(V1 vector B's path_and_query)");
            CHECK(redacted != NULL && !contains(redacted, vector_b_signature_stem) && !contains(redacted, vector_key_fragment) &&
                  contains(redacted, "Signature=[REDACTED]"), "redact() hides the signature and the private key of a signed URL");
            slbcert_string_free(redacted);
        }
        slbcert_signed_request_free(request);
    }

    /* V1 vector A: legacy core with SignatureType=, default Format=JSON, parameters in the body. */
    options = vector_options(SLBCERT_SIGNATURE_V1, SLBCERT_PLACEMENT_BODY, "POST", 1);
    request = sign_vector(plain, &options, 0, "sign(V1 vector A, BODY, legacy SignatureType)");
    if (request != NULL) {
        check_v1(request, "POST", vector_a_string_to_sign, vector_a_signature, "V1 vector A");
        check_body_placement(request, "V1 vector A");
        const char *path = slbcert_signed_request_path_and_query(request);
        CHECK(contains(path, "SignatureType=&") && contains(path, "Format=JSON") &&
              contains(path, "Signature=5v%2B9KujXtCGxIRE3OuHuA0Cfxk0%3D"),
              "V1 vector A: the query has SignatureType=, Format=JSON and the encoded signature");
        CHECK(!contains(slbcert_signed_request_body(request), "Signature"),
              "V1 vector A: the body holds only the operation's parameters");
        slbcert_signed_request_free(request);
    }

    /* V1 vector A2: GET, necessarily in the query. */
    options = vector_options(SLBCERT_SIGNATURE_V1, SLBCERT_PLACEMENT_QUERY, "GET", 1);
    request = sign_vector(plain, &options, 0, "sign(V1 vector A2, GET)");
    if (request != NULL) {
        check_v1(request, "GET", vector_a2_string_to_sign, vector_a2_signature, "V1 vector A2");
        check_query_placement(request, "V1 vector A2");
        slbcert_signed_request_free(request);
    }

    /* V1 vector D1: an STS token. */
    options = vector_options(SLBCERT_SIGNATURE_V1, SLBCERT_PLACEMENT_BODY, NULL, 1);
    request = sign_vector(sts, &options, 0, "sign(V1 vector D1, STS token, BODY)");
    if (request != NULL) {
        check_v1(request, "POST", vector_d1_string_to_sign, vector_d1_signature, "V1 vector D1");
        check_body_placement(request, "V1 vector D1");
        CHECK(contains(slbcert_signed_request_path_and_query(request), "SecurityToken=sts-token%2F%2B%3D"),
              "V1 vector D1: the query carries the encoded SecurityToken");
        slbcert_signed_request_free(request);
    }

    /* V3 vector M1: parameters in the query. */
    options = vector_options(SLBCERT_SIGNATURE_V3, SLBCERT_PLACEMENT_QUERY, NULL, 0);
    request = sign_vector(plain, &options, 0, "sign(V3 vector M1, QUERY)");
    if (request != NULL) {
        check_v3(request, vector_m1_canonical_request, vector_m1_authorization, vector_m1_signature, "V3 vector M1");
        check_query_placement(request, "V3 vector M1");
        CHECK(header_value(request, "x-acs-security-token") == NULL, "V3 vector M1: no x-acs-security-token header");
        slbcert_signed_request_free(request);
    }

    /* V3 vector M2: an STS token. */
    request = sign_vector(sts, &options, 0, "sign(V3 vector M2, STS token, QUERY)");
    if (request != NULL) {
        check_v3(request, vector_m2_canonical_request, vector_m2_authorization, vector_m2_signature, "V3 vector M2");
        CHECK(str_eq(header_value(request, "x-acs-security-token"), vector_sts_token), "V3 vector M2: x-acs-security-token header");
        CHECK(str_eq(header_value(request, "x-acs-accesskey-id"), vector_access_key_id), "V3 vector M2: x-acs-accesskey-id header");
        slbcert_signed_request_free(request);
    }

    /* V3 with the parameters in the body (no vector: the body is hashed and signed). */
    options = vector_options(SLBCERT_SIGNATURE_V3, SLBCERT_PLACEMENT_BODY, NULL, 0);
    request = sign_vector(plain, &options, 0, "sign(V3, BODY)");
    if (request != NULL) {
        check_body_placement(request, "V3 BODY");
        const char *hash = header_value(request, "x-acs-content-sha256");
        CHECK(hash != NULL && strlen(hash) == 64 && !str_eq(hash, vector_empty_sha256),
              "V3 BODY: x-acs-content-sha256 is the hash of a non-empty body");
        CHECK(strlen(show(slbcert_signed_request_signature(request))) == 64, "V3 BODY: the signature is 64 hex characters");
        check_headers(request, 1, "V3 BODY");
        slbcert_signed_request_free(request);
    }

    /* Default options: V1, BODY, POST, a fresh nonce each time. */
    slbcert_signed_request *first = sign_vector(plain, NULL, 0, "sign(options NULL)");
    slbcert_signed_request *second = sign_vector(plain, NULL, 0, "sign(options NULL) again");
    if (first != NULL && second != NULL) {
        CHECK(str_eq(slbcert_signed_request_method(first), "POST"), "default options: POST");
        check_body_placement(first, "default options");
        CHECK(!str_eq(slbcert_signed_request_signature(first), slbcert_signed_request_signature(second)),
              "default options: two signatures differ (fresh nonce and time)");
        CHECK(strlen(show(slbcert_signed_request_signature(first))) == 28, "default options: a base64 HMAC-SHA1 signature");
    }
    slbcert_signed_request_free(first);
    slbcert_signed_request_free(second);

    /* No parameters at all, and the 1024-parameter limit. */
    request = SENTINEL;
    make_last_error();
    expect_ok(slbcert_sign(&request, plain, "DescribeServerCertificates", "2014-05-15", "slb.aliyuncs.com", NULL, NULL, 0, NULL),
              "sign(keys NULL, values NULL, count 0)");
    CHECK(request != NULL && request != SENTINEL && starts_with(slbcert_signed_request_path_and_query(request), "/?"),
          "sign(no parameters): a request with its query");
    slbcert_signed_request_free(request);

    enum { MANY = 1025 };
    static char names[MANY][8];
    const char *many_keys[MANY], *many_values[MANY];
    for (int i = 0; i < MANY; i++) {
        snprintf(names[i], sizeof names[i], "P%d", i);
        many_keys[i] = names[i];
        many_values[i] = "v";
    }
    request = SENTINEL;
    make_last_error();
    expect_ok(slbcert_sign(&request, plain, "A", "1", "h", many_keys, many_values, 1024, NULL), "sign(count 1024)");
    slbcert_signed_request_free(request == SENTINEL ? NULL : request);
    request = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_sign(&request, plain, "A", "1", "h", many_keys, many_values, 1025, NULL), SLBCERT_EINVAL, request,
                     "sign(count 1025)");

    /* Malformed arguments: SLBCERT_EINVAL and *out NULL. */
    const char *const keys[] = { "RegionId", "ServerCertificateId" };
    const char *const values[] = { "cn-hangzhou", "123" };
    const char *const null_key[] = { "RegionId", NULL };
    const char *const null_value[] = { "cn-hangzhou", NULL };
    const char *const twice[] = { "RegionId", "RegionId" };
    const char *const reserved[] = { "RegionId", "Signature" };
    expect_fail(slbcert_sign(NULL, plain, "A", "1", "h", keys, values, 2, NULL), SLBCERT_EINVAL, "sign(out NULL)");
    request = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_sign(&request, NULL, "A", "1", "h", keys, values, 2, NULL), SLBCERT_EINVAL, request,
                     "sign(credentials NULL)");
    request = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_sign(&request, plain, NULL, "1", "h", keys, values, 2, NULL), SLBCERT_EINVAL, request,
                     "sign(action NULL)");
    request = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_sign(&request, plain, "A", NULL, "h", keys, values, 2, NULL), SLBCERT_EINVAL, request,
                     "sign(api_version NULL)");
    request = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_sign(&request, plain, "A", "1", NULL, keys, values, 2, NULL), SLBCERT_EINVAL, request,
                     "sign(host NULL)");
    request = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_sign(&request, plain, "", "1", "h", keys, values, 2, NULL), SLBCERT_EINVAL, request,
                     "sign(action \"\")");
    request = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_sign(&request, plain, "A", "1", "bad host", keys, values, 2, NULL), SLBCERT_EINVAL, request,
                     "sign(host with a space)");
    request = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_sign(&request, plain, "A", "1", "h", NULL, values, 2, NULL), SLBCERT_EINVAL, request,
                     "sign(keys NULL, count 2)");
    request = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_sign(&request, plain, "A", "1", "h", keys, NULL, 2, NULL), SLBCERT_EINVAL, request,
                     "sign(values NULL, count 2)");
    request = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_sign(&request, plain, "A", "1", "h", null_key, values, 2, NULL), SLBCERT_EINVAL, request,
                     "sign(a NULL key in the array)");
    request = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_sign(&request, plain, "A", "1", "h", keys, null_value, 2, NULL), SLBCERT_EINVAL, request,
                     "sign(a NULL value in the array)");
    request = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_sign(&request, plain, "A", "1", "h", twice, values, 2, NULL), SLBCERT_EINVAL, request,
                     "sign(a parameter given twice)");
    request = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_sign(&request, plain, "A", "1", "h", reserved, values, 2, NULL), SLBCERT_EINVAL, request,
                     "sign(V1 with a Signature parameter)");

    const unsigned int bad_versions[] = { 0, 99 };
    for (size_t i = 0; i < 2; i++) {
        char what[64];
        snprintf(what, sizeof what, "sign(options.version %u)", bad_versions[i]);
        options = vector_options(SLBCERT_SIGNATURE_V1, SLBCERT_PLACEMENT_BODY, NULL, 0);
        options.version = bad_versions[i];
        request = SENTINEL;
        EXPECT_FAIL_NULL(slbcert_sign(&request, plain, "A", "1", "h", keys, values, 2, &options), SLBCERT_EINVAL, request, what);
    }
    options = vector_options(2, SLBCERT_PLACEMENT_BODY, NULL, 0);
    request = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_sign(&request, plain, "A", "1", "h", keys, values, 2, &options), SLBCERT_EINVAL, request,
                     "sign(signature_version 2)");
    options = vector_options(SLBCERT_SIGNATURE_V1, 7, NULL, 0);
    request = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_sign(&request, plain, "A", "1", "h", keys, values, 2, &options), SLBCERT_EINVAL, request,
                     "sign(placement 7)");
    options = vector_options(SLBCERT_SIGNATURE_V1, SLBCERT_PLACEMENT_BODY, "PUT", 0);
    request = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_sign(&request, plain, "A", "1", "h", keys, values, 2, &options), SLBCERT_EINVAL, request,
                     "sign(method PUT)");
    options = vector_options(SLBCERT_SIGNATURE_V1, SLBCERT_PLACEMENT_BODY, "GET", 0);
    request = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_sign(&request, plain, "A", "1", "h", keys, values, 2, &options), SLBCERT_EINVAL, request,
                     "sign(GET with BODY placement)");
    options = vector_options(SLBCERT_SIGNATURE_V1, SLBCERT_PLACEMENT_BODY, NULL, 0);
    options.nonce = "not a nonce!";
    request = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_sign(&request, plain, "A", "1", "h", keys, values, 2, &options), SLBCERT_EINVAL, request,
                     "sign(nonce with spaces)");
    options = vector_options(SLBCERT_SIGNATURE_V1, SLBCERT_PLACEMENT_BODY, NULL, 0);
    options.timestamp = "yesterday";
    request = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_sign(&request, plain, "A", "1", "h", keys, values, 2, &options), SLBCERT_EINVAL, request,
                     "sign(timestamp \"yesterday\")");

    /* NULL handles. */
    slbcert_signed_request_free(NULL);
    CHECK(1, "signed_request_free(NULL) is a no-op");
    CHECK(slbcert_signed_request_method(NULL) == NULL, "signed_request_method(NULL) is NULL");
    CHECK(slbcert_signed_request_path_and_query(NULL) == NULL, "signed_request_path_and_query(NULL) is NULL");
    CHECK(slbcert_signed_request_header_count(NULL) == 0, "signed_request_header_count(NULL) is 0");
    CHECK(slbcert_signed_request_body(NULL) == NULL, "signed_request_body(NULL) is NULL");
    CHECK(slbcert_signed_request_body_length(NULL) == 0, "signed_request_body_length(NULL) is 0");
    CHECK(slbcert_signed_request_string_to_sign(NULL) == NULL, "signed_request_string_to_sign(NULL) is NULL");
    CHECK(slbcert_signed_request_signature(NULL) == NULL, "signed_request_signature(NULL) is NULL");
    const char *name = "untouched", *value = "untouched";
    expect_fail(slbcert_signed_request_header(NULL, 0, &name, &value), SLBCERT_EINVAL, "signed_request_header(NULL)");
    CHECK(str_eq(name, "untouched") && str_eq(value, "untouched"), "signed_request_header(NULL) leaves the outs alone");

    slbcert_credentials_free(plain);
    slbcert_credentials_free(sts);
    free_vectors();
}

/* ----------------------------------------------------------------------------- client arguments */

#define CLIENT_ACCESS_KEY_ID "LTAIctestclient"
#define CLIENT_SECRET "client-Secret-4d5e6f70"
#define WRONG_SECRET "wrong-Secret-81928374"
static const char *const client_secrets[] = { CLIENT_SECRET, WRONG_SECRET, "PRIVATE KEY", NULL };

/* 21 distinct tags (one more than allowed). */
static const char *const many_tag_keys[21] = { "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9", "k10", "k11",
                                               "k12", "k13", "k14", "k15", "k16", "k17", "k18", "k19", "k20", "k21" };
static const char *const many_tag_values[21] = { "v", "v", "v", "v", "v", "v", "v", "v", "v", "v", "v",
                                                 "v", "v", "v", "v", "v", "v", "v", "v", "v", "v" };
static const char *const one_null[1] = { NULL };
static const char *const one_value[1] = { "v" };

/* client_new with these options fails with SLBCERT_EINVAL and leaves *out NULL. */
static void expect_client_einval(const slbcert_client_options *options, const char *what) {
    slbcert_client *client = SENTINEL;
    int rc = slbcert_client_new(&client, options);
    EXPECT_FAIL_NULL(rc, SLBCERT_EINVAL, client, what);
    if (client != NULL && client != SENTINEL) slbcert_client_free(client);
}

/* An out-of-range number is SLBCERT_EINVAL naming its field and range: never a trap in the caller's
 * process (LONG_MAX once overflowed `now + deadline`), never silently clamped. */
static void expect_out_of_range(const slbcert_client_options *options, const char *field, const char *what) {
    expect_client_einval(options, what);
    CHECK(str_eq(slbcert_last_error_reason(), "SETTING_OUT_OF_RANGE"), "%s: reason SETTING_OUT_OF_RANGE (got \"%s\")", what,
          show(slbcert_last_error_reason()));
    CHECK(str_eq(slbcert_last_error_argument(), field), "%s: argument %s (got \"%s\")", what, field, show(slbcert_last_error_argument()));
    CHECK(contains(slbcert_last_error_message(), field) && contains(slbcert_last_error_message(), " to "),
          "%s: the message names the field and its range: %s", what, show(slbcert_last_error_message()));
}

static void test_client_option_ranges(const slbcert_client_options *base) {
    static const struct { const char *field; long maximum; } longs[] = {
        { "connect_timeout_ms", 300000 }, { "request_timeout_ms", 3600000 }, { "upload_timeout_ms", 3600000 },
        { "deadline_ms", 86400000 }, { "upload_settle_ms", 3600000 },
    };
    const long bad[] = { -1, LONG_MIN, LONG_MAX, 0 };
    char what[160];
    for (size_t i = 0; i < sizeof longs / sizeof longs[0]; i++) {
        for (size_t j = 0; j < sizeof bad / sizeof bad[0]; j++) {
            long value = bad[j] == 0 ? longs[i].maximum + 1 : bad[j];
            slbcert_client_options options = *base;
            if (i == 0) options.connect_timeout_ms = value;
            if (i == 1) options.request_timeout_ms = value;
            if (i == 2) options.upload_timeout_ms = value;
            if (i == 3) options.deadline_ms = value;
            if (i == 4) options.upload_settle_ms = value;
            snprintf(what, sizeof what, "client_new(%s %ld)", longs[i].field, value);
            expect_out_of_range(&options, longs[i].field, what);
        }
        slbcert_client_options options = *base;
        if (i == 0) options.connect_timeout_ms = longs[i].maximum;
        if (i == 1) options.request_timeout_ms = longs[i].maximum;
        if (i == 2) options.upload_timeout_ms = longs[i].maximum;
        if (i == 3) options.deadline_ms = longs[i].maximum;
        if (i == 4) options.upload_settle_ms = longs[i].maximum;
        slbcert_client *client = SENTINEL;
        snprintf(what, sizeof what, "client_new(%s %ld, its maximum)", longs[i].field, longs[i].maximum);
        expect_ok(slbcert_client_new(&client, &options), what);
        slbcert_client_free(client);
    }
    slbcert_client_options options = *base;
    options.max_attempts = INT_MAX;
    expect_out_of_range(&options, "max_attempts", "client_new(max_attempts INT_MAX)");
    options = *base;
    options.max_attempts = INT_MIN;
    expect_out_of_range(&options, "max_attempts", "client_new(max_attempts INT_MIN)");

    /* Header injection: the suffix could otherwise end the User-Agent line and add a header. */
    const char *suffixes[] = { "x\r\nX-Injected: 1", "x\nX-Injected: 1", "bell\a" };
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        options = *base;
        options.user_agent_suffix = suffixes[i];
        snprintf(what, sizeof what, "client_new(user_agent_suffix with control character %zu)", i);
        expect_client_einval(&options, what);
        CHECK(str_eq(slbcert_last_error_argument(), "user_agent_suffix"), "%s: argument user_agent_suffix (got \"%s\")", what,
              show(slbcert_last_error_argument()));
    }

    /* Plain http only to an address that is loopback, parsed as an address. */
    const char *hostile[] = { "http://127.attacker.example", "http://127.0.0.1.nip.io:80", "http://[::1].evil:80" };
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        options = *base;
        options.endpoint = hostile[i];
        snprintf(what, sizeof what, "client_new(endpoint %s)", hostile[i]);
        expect_client_einval(&options, what);
    }

    /* A caller built against version 1 of the struct: only that prefix exists in its memory, so the
     * library must read no further (valgrind flags a read past this allocation). */
    size_t v1_size = offsetof(slbcert_client_options, upload_settle_ms);
    slbcert_client_options *v1 = malloc(v1_size);
    if (CHECK(v1 != NULL, "a version-1-sized options struct")) {
        slbcert_client_options prefix = *base; /* filled here: a member access into v1 is undefined (UBSan) */
        prefix.version = 1;
        memcpy(v1, &prefix, v1_size);
        slbcert_client *client = SENTINEL;
        expect_ok(slbcert_client_new(&client, v1), "client_new(a version 1 struct, upload_settle_ms not in memory)");
        slbcert_client_free(client);
        free(v1);
    }
}

static void ignore_log(void *user_data, int level, const char *line) {
    (void)user_data;
    (void)level;
    (void)line;
}

/* Every failure below happens before anything is sent: the endpoint (port 9) is never contacted. */
static void test_client_arguments(void) {
    isolate_environment();
    slbcert_credentials *credentials = NULL;
    if (!CHECK(slbcert_credentials_new_static(&credentials, CLIENT_ACCESS_KEY_ID, CLIENT_SECRET, NULL) == SLBCERT_OK,
               "static credentials for the client")) {
        restore_environment();
        return;
    }
    slbcert_client_options base = SLBCERT_CLIENT_OPTIONS_INIT;
    base.region_id = "cn-hangzhou";
    base.endpoint = "https://127.0.0.1:9";
    base.credentials = credentials;
    slbcert_client_options options;

    expect_fail(slbcert_client_new(NULL, &base), SLBCERT_EINVAL, "client_new(out NULL)");
    expect_client_einval(NULL, "client_new(options NULL)");
    options = base; options.version = 0;
    expect_client_einval(&options, "client_new(options.version 0)");
    options = base; options.version = 99;
    expect_client_einval(&options, "client_new(options.version 99)");
    options = base; options.signature_version = 2;
    expect_client_einval(&options, "client_new(signature_version 2)");
    options = base; options.placement = 7;
    expect_client_einval(&options, "client_new(placement 7)");
    options = base; options.log_fn = ignore_log; options.log_level = 9;
    expect_client_einval(&options, "client_new(log_level 9 with a log_fn)");
    options = base; options.log_fn = ignore_log; options.log_level = -1;
    expect_client_einval(&options, "client_new(log_level -1 with a log_fn)");
    options = base; options.log_level = 9;
    expect_client_einval(&options, "client_new(log_level 9, log_fn NULL)");
    options = base; options.connect_timeout_ms = -1;
    expect_client_einval(&options, "client_new(connect_timeout_ms -1)");
    options = base; options.request_timeout_ms = -1;
    expect_client_einval(&options, "client_new(request_timeout_ms -1)");
    options = base; options.upload_timeout_ms = -1;
    expect_client_einval(&options, "client_new(upload_timeout_ms -1)");
    options = base; options.deadline_ms = -1;
    expect_client_einval(&options, "client_new(deadline_ms -1)");
    options = base; options.max_attempts = -1;
    expect_client_einval(&options, "client_new(max_attempts -1)");
    options = base; options.max_attempts = 21;
    expect_client_einval(&options, "client_new(max_attempts 21)");
    test_client_option_ranges(&base);
    options = base; options.region_id = NULL;
    expect_client_einval(&options, "client_new(no region anywhere)");
    options = base; options.region_id = "CN_Hangzhou";
    expect_client_einval(&options, "client_new(region \"CN_Hangzhou\")");
    options = base; options.endpoint = "ftp://127.0.0.1:9";
    expect_client_einval(&options, "client_new(endpoint ftp://)");
    options = base; options.endpoint = "http://slb.example.com";
    expect_client_einval(&options, "client_new(plain http:// to a non-loopback host)");
    options = base; options.endpoint = "https://127.0.0.1:9/path";
    expect_client_einval(&options, "client_new(endpoint with a path)");

    /* Valid edge values. */
    slbcert_client *client = SENTINEL;
    options = base; options.max_attempts = 20; options.log_fn = ignore_log; options.log_level = SLBCERT_LOG_DEBUG;
    options.user_agent_suffix = "test_abi/1";
    make_last_error();
    expect_ok(slbcert_client_new(&client, &options), "client_new(max_attempts 20, log_level DEBUG, user_agent_suffix)");
    slbcert_client_free(client);
    client = SENTINEL;
    options = base; options.endpoint = NULL;
    make_last_error();
    expect_ok(slbcert_client_new(&client, &options), "client_new(endpoint NULL, cn-hangzhou)");
    CHECK(str_eq(slbcert_client_endpoint(client), "https://slb.aliyuncs.com"), "cn-hangzhou: endpoint https://slb.aliyuncs.com (got %s)",
          show(slbcert_client_endpoint(client)));
    slbcert_client_free(client);
    client = SENTINEL;
    options = base; options.endpoint = NULL; options.region_id = "eu-central-1";
    expect_ok(slbcert_client_new(&client, &options), "client_new(endpoint NULL, eu-central-1)");
    CHECK(str_eq(slbcert_client_endpoint(client), "https://slb.eu-central-1.aliyuncs.com"),
          "eu-central-1: endpoint https://slb.eu-central-1.aliyuncs.com (got %s)", show(slbcert_client_endpoint(client)));
    CHECK(str_eq(slbcert_client_region(client), "eu-central-1"), "client_region is eu-central-1");
    slbcert_client_free(client);

    client = SENTINEL;
    options = base; options.endpoint = "https://127.0.0.1:9/";
    make_last_error();
    expect_ok(slbcert_client_new(&client, &options), "client_new(endpoint https://127.0.0.1:9/)");
    CHECK(str_eq(slbcert_client_endpoint(client), "https://127.0.0.1:9"), "client_endpoint drops the trailing slash (got %s)",
          show(slbcert_client_endpoint(client)));
    CHECK(str_eq(slbcert_client_region(client), "cn-hangzhou"), "client_region is cn-hangzhou");

    slbcert_client_free(NULL);
    CHECK(1, "client_free(NULL) is a no-op");
    CHECK(slbcert_client_endpoint(NULL) == NULL, "client_endpoint(NULL) is NULL");
    CHECK(slbcert_client_region(NULL) == NULL, "client_region(NULL) is NULL");

    /* Upload. */
    slbcert_bundle *bundle = parse(&chain_pem, &leaf_key, NULL, NULL, "bundle_parse(for the client arguments)");
    slbcert_bundle *keyless = parse(&chain_pem, NULL, NULL, NULL, "bundle_parse(chain without key)");
    slbcert_bundle *mismatched = parse(&chain_pem, &stray_key, NULL, NULL, "bundle_parse(mismatched key)");
    slbcert_upload_result *result = NULL;
    slbcert_upload_options upload = SLBCERT_UPLOAD_OPTIONS_INIT;
    expect_fail(slbcert_client_upload(NULL, client, bundle, NULL), SLBCERT_EINVAL, "client_upload(out NULL)");
    result = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_client_upload(&result, NULL, bundle, NULL), SLBCERT_EINVAL, result, "client_upload(client NULL)");
    result = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_client_upload(&result, client, NULL, NULL), SLBCERT_EINVAL, result, "client_upload(bundle NULL)");
    upload.version = 0;
    result = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_client_upload(&result, client, bundle, &upload), SLBCERT_EINVAL, result,
                     "client_upload(options.version 0)");
    upload.version = 99;
    result = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_client_upload(&result, client, bundle, &upload), SLBCERT_EINVAL, result,
                     "client_upload(options.version 99)");
    upload = (slbcert_upload_options)SLBCERT_UPLOAD_OPTIONS_INIT;
    upload.tag_keys = many_tag_keys; upload.tag_values = many_tag_values; upload.tag_count = 21;
    result = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_client_upload(&result, client, bundle, &upload), SLBCERT_EINVAL, result,
                     "client_upload(tag_count 21)");
    upload.tag_keys = NULL; upload.tag_values = one_value; upload.tag_count = 1;
    result = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_client_upload(&result, client, bundle, &upload), SLBCERT_EINVAL, result,
                     "client_upload(tag_keys NULL, tag_count 1)");
    upload.tag_keys = one_value; upload.tag_values = NULL;
    result = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_client_upload(&result, client, bundle, &upload), SLBCERT_EINVAL, result,
                     "client_upload(tag_values NULL, tag_count 1)");
    upload.tag_keys = one_null; upload.tag_values = one_value;
    result = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_client_upload(&result, client, bundle, &upload), SLBCERT_EINVAL, result,
                     "client_upload(a NULL tag key)");
    upload.tag_keys = one_value; upload.tag_values = one_null;
    result = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_client_upload(&result, client, bundle, &upload), SLBCERT_EINVAL, result,
                     "client_upload(a NULL tag value)");
    static const char *const acs_key[1] = { "acs:owner" };
    upload.tag_keys = acs_key; upload.tag_values = one_value;
    result = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_client_upload(&result, client, bundle, &upload), SLBCERT_EINVAL, result,
                     "client_upload(tag key \"acs:owner\")");
    static const char *const twice[2] = { "env", "env" };
    upload.tag_keys = twice; upload.tag_values = many_tag_values; upload.tag_count = 2;
    result = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_client_upload(&result, client, bundle, &upload), SLBCERT_EINVAL, result,
                     "client_upload(a tag key twice)");
    upload = (slbcert_upload_options)SLBCERT_UPLOAD_OPTIONS_INIT;
    upload.name = "1-starts-with-a-digit";
    result = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_client_upload(&result, client, bundle, &upload), SLBCERT_EINVAL, result,
                     "client_upload(name \"1-starts-with-a-digit\")");
    result = SENTINEL;
    expect_fail_code(slbcert_client_upload(&result, client, keyless, NULL), SLBCERT_EVALIDATION, "NO_PRIVATE_KEY",
                     "client_upload(a bundle without key)");
    CHECK(result == NULL, "client_upload(a bundle without key) sets *out to NULL");
    result = SENTINEL;
    expect_fail_code(slbcert_client_upload(&result, client, mismatched, NULL), SLBCERT_EVALIDATION, "KEY_MISMATCH",
                     "client_upload(a mismatched bundle)");
    CHECK(result == NULL, "client_upload(a mismatched bundle) sets *out to NULL");
    expect_no_secret(slbcert_last_error_message(), client_secrets, "client_upload(a mismatched bundle): the message");

    /* Upload of a CAS reference. */
    expect_fail(slbcert_client_upload_cas(NULL, client, "cas-1", NULL, NULL, NULL), SLBCERT_EINVAL, "client_upload_cas(out NULL)");
    result = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_client_upload_cas(&result, NULL, "cas-1", NULL, NULL, NULL), SLBCERT_EINVAL, result,
                     "client_upload_cas(client NULL)");
    result = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_client_upload_cas(&result, client, NULL, NULL, NULL, NULL), SLBCERT_EINVAL, result,
                     "client_upload_cas(id NULL)");
    result = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_client_upload_cas(&result, client, "", NULL, NULL, NULL), SLBCERT_EINVAL, result,
                     "client_upload_cas(id \"\")");
    upload.name = NULL;
    upload.version = 0;
    result = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_client_upload_cas(&result, client, "cas-1", NULL, NULL, &upload), SLBCERT_EINVAL, result,
                     "client_upload_cas(options.version 0)");
    upload.version = 99;
    result = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_client_upload_cas(&result, client, "cas-1", NULL, NULL, &upload), SLBCERT_EINVAL, result,
                     "client_upload_cas(options.version 99)");
    upload = (slbcert_upload_options)SLBCERT_UPLOAD_OPTIONS_INIT;
    upload.tag_keys = many_tag_keys; upload.tag_values = many_tag_values; upload.tag_count = 21;
    result = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_client_upload_cas(&result, client, "cas-1", NULL, NULL, &upload), SLBCERT_EINVAL, result,
                     "client_upload_cas(tag_count 21)");
    upload.tag_keys = NULL; upload.tag_values = NULL; upload.tag_count = 3;
    result = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_client_upload_cas(&result, client, "cas-1", NULL, NULL, &upload), SLBCERT_EINVAL, result,
                     "client_upload_cas(tag arrays NULL, tag_count 3)");

    /* Describe. */
    slbcert_certificate_list *list = NULL;
    slbcert_describe_options describe = SLBCERT_DESCRIBE_OPTIONS_INIT;
    expect_fail(slbcert_client_describe(NULL, client, NULL), SLBCERT_EINVAL, "client_describe(out NULL)");
    list = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_client_describe(&list, NULL, NULL), SLBCERT_EINVAL, list, "client_describe(client NULL)");
    describe.version = 0;
    list = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_client_describe(&list, client, &describe), SLBCERT_EINVAL, list, "client_describe(options.version 0)");
    describe.version = 99;
    list = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_client_describe(&list, client, &describe), SLBCERT_EINVAL, list,
                     "client_describe(options.version 99)");
    describe = (slbcert_describe_options)SLBCERT_DESCRIBE_OPTIONS_INIT;
    describe.tag_keys = many_tag_keys; describe.tag_values = many_tag_values; describe.tag_count = 21;
    list = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_client_describe(&list, client, &describe), SLBCERT_EINVAL, list, "client_describe(tag_count 21)");
    describe.tag_keys = NULL; describe.tag_values = NULL; describe.tag_count = 1;
    list = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_client_describe(&list, client, &describe), SLBCERT_EINVAL, list,
                     "client_describe(tag arrays NULL, tag_count 1)");
    describe.tag_keys = one_null; describe.tag_values = one_value;
    list = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_client_describe(&list, client, &describe), SLBCERT_EINVAL, list, "client_describe(a NULL tag key)");
    describe.tag_keys = one_value; describe.tag_values = one_null;
    list = SENTINEL;
    EXPECT_FAIL_NULL(slbcert_client_describe(&list, client, &describe), SLBCERT_EINVAL, list,
                     "client_describe(a NULL tag value)");

    /* Rename and delete. */
    expect_fail(slbcert_client_rename(NULL, "id-1", "name"), SLBCERT_EINVAL, "client_rename(client NULL)");
    expect_fail(slbcert_client_rename(client, NULL, "name"), SLBCERT_EINVAL, "client_rename(id NULL)");
    expect_fail(slbcert_client_rename(client, "id-1", NULL), SLBCERT_EINVAL, "client_rename(name NULL)");
    expect_fail(slbcert_client_rename(client, "", "name"), SLBCERT_EINVAL, "client_rename(id \"\")");
    expect_fail(slbcert_client_rename(client, "id-1", "bad name"), SLBCERT_EINVAL, "client_rename(name \"bad name\")");
    expect_fail(slbcert_client_rename(client, "id-1", ""), SLBCERT_EINVAL, "client_rename(name \"\")");
    expect_fail(slbcert_client_delete(NULL, "id-1"), SLBCERT_EINVAL, "client_delete(client NULL)");
    expect_fail(slbcert_client_delete(client, NULL), SLBCERT_EINVAL, "client_delete(id NULL)");
    expect_fail(slbcert_client_delete(client, ""), SLBCERT_EINVAL, "client_delete(id \"\")");
    expect_fail(slbcert_client_delete(client, "id with spaces"), SLBCERT_EINVAL, "client_delete(id with spaces)");

    /* NULL handles of the result types. */
    slbcert_upload_result_free(NULL);
    slbcert_certificate_list_free(NULL);
    CHECK(1, "upload_result_free(NULL) and certificate_list_free(NULL) are no-ops");
    make_last_error();
    CHECK(slbcert_upload_result_certificate(NULL) == NULL, "upload_result_certificate(NULL) is NULL");
    CHECK(slbcert_upload_result_uploaded(NULL) == -1, "upload_result_uploaded(NULL) is -1");
    CHECK(slbcert_upload_result_region_certificates(NULL) == NULL, "upload_result_region_certificates(NULL) is NULL");
    CHECK(slbcert_certificate_list_count(NULL) == 0, "certificate_list_count(NULL) is 0");
    CHECK(slbcert_certificate_list_get(NULL, 0) == NULL, "certificate_list_get(NULL, 0) is NULL");
    CHECK(slbcert_certificate_list_request_id(NULL) == NULL, "certificate_list_request_id(NULL) is NULL");
    const slbcert_server_certificate *none = NULL;
    CHECK(slbcert_server_certificate_id(none) == NULL, "server_certificate_id(NULL) is NULL");
    CHECK(slbcert_server_certificate_name(none) == NULL, "server_certificate_name(NULL) is NULL");
    CHECK(slbcert_server_certificate_fingerprint(none) == NULL, "server_certificate_fingerprint(NULL) is NULL");
    CHECK(slbcert_server_certificate_common_name(none) == NULL, "server_certificate_common_name(NULL) is NULL");
    CHECK(slbcert_server_certificate_san_count(none) == 0, "server_certificate_san_count(NULL) is 0");
    CHECK(slbcert_server_certificate_san(none, 0) == NULL, "server_certificate_san(NULL, 0) is NULL");
    CHECK(slbcert_server_certificate_create_time(none) == NULL, "server_certificate_create_time(NULL) is NULL");
    CHECK(slbcert_server_certificate_create_time_ms(none) == 0, "server_certificate_create_time_ms(NULL) is 0");
    CHECK(slbcert_server_certificate_expire_time(none) == NULL, "server_certificate_expire_time(NULL) is NULL");
    CHECK(slbcert_server_certificate_expire_time_ms(none) == 0, "server_certificate_expire_time_ms(NULL) is 0");
    CHECK(slbcert_server_certificate_is_alicloud(none) == -1, "server_certificate_is_alicloud(NULL) is -1");
    CHECK(slbcert_server_certificate_alicloud_id(none) == NULL, "server_certificate_alicloud_id(NULL) is NULL");
    CHECK(slbcert_server_certificate_alicloud_name(none) == NULL, "server_certificate_alicloud_name(NULL) is NULL");
    CHECK(slbcert_server_certificate_region_id(none) == NULL, "server_certificate_region_id(NULL) is NULL");
    CHECK(slbcert_server_certificate_region_id_alias(none) == NULL, "server_certificate_region_id_alias(NULL) is NULL");
    CHECK(slbcert_server_certificate_resource_group_id(none) == NULL, "server_certificate_resource_group_id(NULL) is NULL");
    CHECK(slbcert_server_certificate_request_id(none) == NULL, "server_certificate_request_id(NULL) is NULL");
    CHECK(slbcert_server_certificate_tag_count(none) == 0, "server_certificate_tag_count(NULL) is 0");
    CHECK(slbcert_last_error_status() == SLBCERT_EINVAL, "NULL-handle getters leave the last error alone");
    const char *key = "untouched", *value = "untouched";
    expect_fail(slbcert_server_certificate_tag(none, 0, &key, &value), SLBCERT_EINVAL, "server_certificate_tag(NULL)");
    CHECK(str_eq(key, "untouched") && str_eq(value, "untouched"), "server_certificate_tag(NULL) leaves the outs alone");

    slbcert_bundle_free(bundle);
    slbcert_bundle_free(keyless);
    slbcert_bundle_free(mismatched);
    slbcert_client_free(client);
    slbcert_credentials_free(credentials);
    restore_environment();
}

/* Runs a probe of run_probe() in a child process (defined with the probes below). */
static const char *spawn_probe_at(const char *name, const char *url, const char *ca);

/* ------------------------------------------------------------------------------- the emulator */

/* The launcher `serve`, started by popen() with its standard input on our pipe: closing the pipe
 * (pclose, or this program's death) stops it, and it stops the emulator (SIGTERM, then SIGKILL). */
static FILE *emulator_lifeline;
static char emulator_url[256];

static void sleep_ms(long milliseconds) {
    struct timespec pause = { milliseconds / 1000, (milliseconds % 1000) * 1000000L };
    while (nanosleep(&pause, &pause) != 0 && errno == EINTR) { /* the rest */ }
}

/* Closes the lifeline and waits for the launcher. Returns its wait status (-1 if none ran). */
static int stop_emulator(void) {
    if (emulator_lifeline == NULL) return -1;
    int status = pclose(emulator_lifeline);
    emulator_lifeline = NULL;
    return status;
}

static void stop_emulator_at_exit(void) { (void)stop_emulator(); }

/* The value of NAME=value in the environment file the launcher writes, into `value`; 0 when found. */
static int env_file_value(const char *name, char *value, size_t size) {
    FILE *file = fopen(path_of("emulator.env"), "r");
    if (file == NULL) return -1;
    char line[1024];
    int found = -1;
    size_t length = strlen(name);
    while (found != 0 && fgets(line, sizeof line, file) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, name, length) == 0 && line[length] == '=') {
            snprintf(value, size, "%s", line + length + 1);
            found = 0;
        }
    }
    fclose(file);
    return found;
}

/* The emulator on 127.0.0.1 with a free port and HTTPS (its test CA in tls/); its URL in emulator_url. */
static int start_emulator(void) {
    char command[2048];
    snprintf(command, sizeof command,
             "cd '%s' && exec '%s' -m slbcert_emulator.testing serve --data-dir emulator-data --tls-dir tls "
             "--access-key '" CLIENT_ACCESS_KEY_ID ":" CLIENT_SECRET "' --env-file emulator.env --stop-on-eof "
             ">/dev/null 2>emulator.err", workdir, test_python);
    fflush(stdout);
    fflush(stderr);
    emulator_lifeline = popen(command, "w");
    if (emulator_lifeline == NULL) return -1;
    atexit(stop_emulator_at_exit);
    /* The file appears (written whole) once the emulator answers; the launcher's own wait is 30 s. */
    for (int waited = 0; waited < 40000; waited += 50) {
        if (env_file_value("SLBCERT_ENDPOINT", emulator_url, sizeof emulator_url) == 0) return 0;
        sleep_ms(50);
    }
    fprintf(stderr, "the emulator did not start within 40 s; its launcher's stderr:\n");
    run("tail -n 20 emulator.err >&2");
    return -1;
}

/* The emulator package's admin client, run with SLBCERT_TEST_PYTHON: `admin.py URL CA COMMAND [ARGS]`;
 * prints one line (a count, or the answer as JSON). */
static int write_admin_script(void) {
    return write_file("admin.py",
                      "import json, sys\n"
                      "from slbcert_emulator.testing import AdminClient\n"
                      "url, ca, command, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]\n"
                      "admin = AdminClient(url, ca)\n"
                      "if command == 'cas':\n"
                      "    with open(args[3]) as pem:\n"
                      "        print(json.dumps(admin.register_cas(args[0], args[1], pem.read(), args[2]), sort_keys=True))\n"
                      "elif command == 'bind':\n"
                      "    print(json.dumps(admin.bind(args[0]), sort_keys=True))\n"
                      "elif command == 'faults':\n"
                      "    print(json.dumps(admin.set_faults(json.loads(args[0])), sort_keys=True))\n"
                      "elif command == 'certificates':\n"
                      "    print(len(admin.certificates()))\n"
                      "elif command == 'copies':\n"
                      "    print(sum(1 for c in admin.certificates() if c['Fingerprint'] == args[0]))\n"
                      "elif command == 'uploads':\n"
                      "    print(admin.requests().get('UploadServerCertificate', 0))\n"
                      "elif command == 'requests':\n"
                      "    print(sum(admin.requests().values()))\n"
                      "else:\n"
                      "    print(json.dumps(admin.stats(), sort_keys=True))\n");
}

static const char *admin(const char *command, const char *arguments) {
    return run_line("'%s' admin.py '%s' tls/ca.pem %s %s 2>>admin.err", test_python, emulator_url, command,
                    arguments ? arguments : "");
}

static long admin_number(const char *command) {
    const char *line = admin(command, NULL);
    return line[0] != '\0' ? strtol(line, NULL, 10) : -1;
}

/* ------------------------------------------------------------------------- log lines received */

typedef struct {
    int lines, info, null_lines, leaked;
    int upload_lines, describe_lines, skipped_lines;
    const char *key_fragment;
} log_sink;

static void collect_log(void *user_data, int level, const char *line) {
    log_sink *sink = user_data;
    sink->lines++;
    if (level == SLBCERT_LOG_INFO) sink->info++;
    if (line == NULL) {
        sink->null_lines++;
        return;
    }
    for (size_t i = 0; client_secrets[i] != NULL; i++) {
        if (strstr(line, client_secrets[i]) != NULL) sink->leaked++;
    }
    if (sink->key_fragment != NULL && sink->key_fragment[0] != '\0' && strstr(line, sink->key_fragment) != NULL) sink->leaked++;
    if (strstr(line, "action=UploadServerCertificate") != NULL) sink->upload_lines++;
    if (strstr(line, "action=DescribeServerCertificates") != NULL) sink->describe_lines++;
    if (strstr(line, "UploadServerCertificate: ") != NULL && strstr(line, "already holds fingerprint") != NULL) sink->skipped_lines++;
    printf("   # log %d: %s\n", level, line);
}

/* ------------------------------------------------------------------------ server certificates */

/* The service's error: status, code, RequestId, HTTP status and no secret in the message. */
static void expect_service_error(int rc, const char *code, int http_status, const char *what) {
    CHECK(rc == SLBCERT_ESERVICE, "%s: returns SLBCERT_ESERVICE (got %d %s: %s)", what, rc, slbcert_error_name(rc),
          show(slbcert_last_error_message()));
    CHECK(slbcert_last_error_status() == SLBCERT_ESERVICE, "%s: last_error_status is SLBCERT_ESERVICE", what);
    CHECK(str_eq(slbcert_last_error_service_code(), code), "%s: last_error_service_code is \"%s\" (got \"%s\")", what, code,
          show(slbcert_last_error_service_code()));
    const char *request_id = slbcert_last_error_request_id();
    CHECK(request_id != NULL && request_id[0] != '\0', "%s: last_error_request_id is \"%s\"", what, show(request_id));
    CHECK(slbcert_last_error_http_status() == http_status, "%s: last_error_http_status is %d (got %d)", what, http_status,
          slbcert_last_error_http_status());
    CHECK(slbcert_last_error_transport_code() == 0, "%s: last_error_transport_code is 0", what);
    const char *message = slbcert_last_error_message();
    CHECK(message != NULL && message[0] != '\0', "%s: last_error_message says why: \"%s\"", what, show(message));
    CHECK(slbcert_last_error_hint() != NULL && slbcert_last_error_host_id() != NULL && slbcert_last_error_recommend() != NULL,
          "%s: hint, host_id and recommend are strings", what);
    expect_no_secret(message, client_secrets, what);
}

static const slbcert_server_certificate *find_certificate(const slbcert_certificate_list *list, const char *id) {
    size_t count = slbcert_certificate_list_count(list);
    for (size_t i = 0; i < count; i++) {
        const slbcert_server_certificate *certificate = slbcert_certificate_list_get(list, i);
        if (str_eq(slbcert_server_certificate_id(certificate), id)) return certificate;
    }
    return NULL;
}

static int has_tag(const slbcert_server_certificate *certificate, const char *key, const char *value) {
    size_t count = slbcert_server_certificate_tag_count(certificate);
    for (size_t i = 0; i < count; i++) {
        const char *k = NULL, *v = NULL;
        if (slbcert_server_certificate_tag(certificate, i, &k, &v) == SLBCERT_OK && str_eq(k, key) && str_eq(v, value)) return 1;
    }
    return 0;
}

/* Every getter of a stored certificate uploaded from `leaf` with the test's name, group and tags. */
static void check_server_certificate(const slbcert_server_certificate *certificate, const slbcert_certificate *leaf,
                                     const char *name, const char *what) {
    const char *id = slbcert_server_certificate_id(certificate);
    CHECK(id != NULL && strlen(id) > 16 && strchr(id, '_') != NULL, "%s: id \"%s\" looks like the service's", what, show(id));
    CHECK(str_eq(slbcert_server_certificate_name(certificate), name), "%s: name is \"%s\" (got \"%s\")", what, name,
          show(slbcert_server_certificate_name(certificate)));
    CHECK(str_eq(slbcert_server_certificate_fingerprint(certificate), slbcert_certificate_fingerprint(leaf)),
          "%s: fingerprint equals the bundle leaf's %s", what, show(slbcert_certificate_fingerprint(leaf)));
    CHECK(str_eq(slbcert_server_certificate_common_name(certificate), "www.example.test"), "%s: common_name", what);
    size_t sans = slbcert_server_certificate_san_count(certificate);
    CHECK(sans == slbcert_certificate_dns_name_count(leaf), "%s: san_count %zu is the leaf's DNS name count", what, sans);
    int same = 1;
    for (size_t i = 0; i < sans; i++) {
        if (!str_eq(slbcert_server_certificate_san(certificate, i), slbcert_certificate_dns_name(leaf, i))) same = 0;
    }
    CHECK(same, "%s: san(0..%zu) are the leaf's DNS names", what, sans);
    CHECK(slbcert_server_certificate_san(certificate, sans) == NULL, "%s: san(san_count) is NULL", what);
    CHECK(slbcert_server_certificate_san(certificate, sans + 1000) == NULL, "%s: san(san_count + 1000) is NULL", what);

    int64_t create_ms = slbcert_server_certificate_create_time_ms(certificate);
    int64_t now_ms = (int64_t)time(NULL) * 1000;
    CHECK(create_ms > now_ms - 600000 && create_ms < now_ms + 600000, "%s: create_time_ms %lld is about now", what,
          (long long)create_ms);
    const char *create_time = slbcert_server_certificate_create_time(certificate);
    CHECK(parse_utc(create_time) == create_ms / 1000 * 1000, "%s: create_time \"%s\" is create_time_ms", what,
          show(create_time));
    int64_t expire_ms = slbcert_server_certificate_expire_time_ms(certificate);
    CHECK(expire_ms == slbcert_certificate_not_after_ms(leaf), "%s: expire_time_ms %lld == the leaf's not_after_ms %lld", what,
          (long long)expire_ms, (long long)slbcert_certificate_not_after_ms(leaf));
    CHECK(str_eq(slbcert_server_certificate_expire_time(certificate), slbcert_certificate_not_after(leaf)),
          "%s: expire_time \"%s\" is the leaf's not_after", what, show(slbcert_server_certificate_expire_time(certificate)));
    CHECK(slbcert_server_certificate_is_alicloud(certificate) == 0, "%s: is_alicloud is 0", what);
    CHECK(str_eq(slbcert_server_certificate_alicloud_id(certificate), "") &&
          str_eq(slbcert_server_certificate_alicloud_name(certificate), ""), "%s: alicloud id and name are \"\"", what);
    CHECK(str_eq(slbcert_server_certificate_region_id(certificate), "cn-hangzhou"), "%s: region_id is cn-hangzhou", what);
    CHECK(str_eq(slbcert_server_certificate_region_id_alias(certificate), "cn-hangzhou"), "%s: region_id_alias is cn-hangzhou",
          what);
    CHECK(str_eq(slbcert_server_certificate_resource_group_id(certificate), "rg-ctest01"), "%s: resource_group_id is rg-ctest01 (got %s)",
          what, show(slbcert_server_certificate_resource_group_id(certificate)));
    const char *request_id = slbcert_server_certificate_request_id(certificate);
    CHECK(request_id != NULL && request_id[0] != '\0', "%s: request_id \"%s\"", what, show(request_id));
    CHECK(slbcert_server_certificate_tag_count(certificate) == 2, "%s: tag_count is 2 (got %zu)", what,
          slbcert_server_certificate_tag_count(certificate));
    CHECK(has_tag(certificate, "env", "ctest") && has_tag(certificate, "team", "slbcert"), "%s: the tags sent: env=ctest, team=slbcert",
          what);
    const char *key = "untouched", *value = "untouched";
    make_last_error();
    expect_fail(slbcert_server_certificate_tag(certificate, 2, &key, &value), SLBCERT_ERANGE, "server_certificate_tag(index 2 of 2)");
    CHECK(str_eq(key, "untouched") && str_eq(value, "untouched"), "server_certificate_tag out of range leaves the outs alone");
    make_last_error();
    expect_ok(slbcert_server_certificate_tag(certificate, 0, NULL, NULL), "server_certificate_tag(0, NULL, NULL)");
}

/* A describe that must succeed; the caller frees the list. */
static slbcert_certificate_list *describe(slbcert_client *client, const slbcert_describe_options *options, const char *what) {
    slbcert_certificate_list *list = SENTINEL;
    make_last_error();
    int rc = slbcert_client_describe(&list, client, options);
    expect_ok(rc, what);
    if (!CHECK(rc == SLBCERT_OK && list != NULL && list != SENTINEL, "%s: a list is returned", what)) return NULL;
    const char *request_id = slbcert_certificate_list_request_id(list);
    CHECK(request_id != NULL && request_id[0] != '\0', "%s: list request_id \"%s\"", what, show(request_id));
    size_t count = slbcert_certificate_list_count(list);
    CHECK(slbcert_certificate_list_get(list, count) == NULL && slbcert_certificate_list_get(list, count + 1000) == NULL,
          "%s: certificate_list_get(count) and (count + 1000) are NULL", what);
    int same_request = 1;
    for (size_t i = 0; i < count; i++) {
        if (!str_eq(slbcert_server_certificate_request_id(slbcert_certificate_list_get(list, i)), request_id)) same_request = 0;
    }
    CHECK(same_request, "%s: each certificate's request_id is the list's", what);
    return list;
}

static size_t describe_count(slbcert_client *client, const slbcert_describe_options *options, const char *what) {
    slbcert_certificate_list *list = describe(client, options, what);
    size_t count = slbcert_certificate_list_count(list);
    slbcert_certificate_list_free(list);
    return count;
}

static slbcert_client *new_client(slbcert_client_options *options, const char *what) {
    slbcert_client *client = SENTINEL;
    make_last_error();
    int rc = slbcert_client_new(&client, options);
    expect_ok(rc, what);
    if (!CHECK(rc == SLBCERT_OK && client != NULL && client != SENTINEL, "%s: a client is returned", what)) return NULL;
    return client;
}

/* One client shared by two threads: each thread describes on its own connection. */
typedef struct {
    slbcert_client *client;
    int calls_ok;
    int counts_ok;
    int own_last_error;
} client_thread_state;

static int describe_from_thread(void *argument) {
    client_thread_state *state = argument;
    for (int i = 0; i < 2; i++) {
        slbcert_certificate_list *list = NULL;
        if (slbcert_client_describe(&list, state->client, NULL) == SLBCERT_OK) state->calls_ok++;
        if (slbcert_certificate_list_count(list) == 1) state->counts_ok++;
        slbcert_certificate_list_free(list);
    }
    state->own_last_error = slbcert_client_delete(state->client, NULL) == SLBCERT_EINVAL &&
                            slbcert_last_error_status() == SLBCERT_EINVAL;
    return 0;
}

/* Eight threads sharing one client upload the same new pair at once (a delay fault makes them
 * overlap): exactly one copy is stored and every thread returns it. */
typedef struct {
    slbcert_client *client;
    const slbcert_bundle *bundle;
    int rc;
    int outcome;
    char id[256];
} upload_thread_state;

static int upload_from_thread(void *argument) {
    upload_thread_state *state = argument;
    slbcert_upload_result *result = NULL;
    state->rc = slbcert_client_upload(&result, state->client, state->bundle, NULL);
    if (state->rc == SLBCERT_OK) {
        state->outcome = slbcert_upload_result_outcome(result);
        snprintf(state->id, sizeof state->id, "%s", show(slbcert_server_certificate_id(slbcert_upload_result_certificate(result))));
    }
    slbcert_upload_result_free(result);
    return 0;
}

static void test_concurrent_uploads(slbcert_client_options *options) {
    buffer key = read_file("threads.key"), leaf2 = read_file("threads.pem");
    buffer chain = concat(&leaf2, &intermediate_pem);
    slbcert_bundle *bundle = parse(&chain, &key, NULL, NULL, "bundle_parse(a second pair, for threads)");
    slbcert_client *client = new_client(options, "client_new(for 8 uploading threads)");
    const char *fingerprint = slbcert_certificate_fingerprint(slbcert_bundle_certificate(bundle, 0));
    /* A delay on every upload, so the threads' requests overlap on the server. */
    admin("faults", "'[{\"action\": \"UploadServerCertificate\", \"fault\": \"delay\", \"delay_ms\": 400, \"times\": 8}]'");
    enum { THREADS = 8 };
    upload_thread_state states[THREADS];
    thrd_t threads[THREADS];
    int started = 0;
    for (int i = 0; i < THREADS && client != NULL && bundle != NULL; i++) {
        states[i] = (upload_thread_state){ client, bundle, -100, 0, "" };
        if (thrd_create(&threads[i], upload_from_thread, &states[i]) == thrd_success) started++;
    }
    for (int i = 0; i < started; i++) thrd_join(threads[i], NULL);
    int ok = 0, uploaded = 0, same = 0;
    for (int i = 0; i < started; i++) {
        if (states[i].rc == SLBCERT_OK) ok++;
        if (states[i].outcome == SLBCERT_UPLOAD_UPLOADED) uploaded++;
        if (str_eq(states[i].id, states[0].id)) same++;
    }
    CHECK(started == THREADS && ok == THREADS, "8 threads upload the same new pair: all succeed (%d of %d)", ok, started);
    CHECK(uploaded == 1 && same == THREADS, "exactly one thread uploaded (%d), all return its id (%d)", uploaded, same);
    char copies[200];
    snprintf(copies, sizeof copies, "%s", admin("copies", fingerprint));
    CHECK(str_eq(copies, "1"), "the emulator stores exactly one copy of it (got %s)", copies);
    admin("faults", "'[]'");
    slbcert_client_free(client);
    slbcert_bundle_free(bundle);
    buffer_free(&chain);
    buffer_free(&key);
    buffer_free(&leaf2);
}

static void run_client_tests(void) {
    char ca[600];
    snprintf(ca, sizeof ca, "%s", path_of("tls/ca.pem"));
    slbcert_credentials *credentials = NULL, *wrong = NULL;
    slbcert_bundle *bundle = NULL, *mismatched = NULL;
    slbcert_client *client = NULL, *wrong_client = NULL, *other = NULL;
    slbcert_upload_result *result = NULL;
    slbcert_certificate_list *list = NULL;
    char first_id[256] = "";
    log_sink sink = { 0, 0, 0, 0, 0, 0, 0, NULL }, wrong_sink = { 0, 0, 0, 0, 0, 0, 0, NULL };

    if (!CHECK(slbcert_credentials_new_static(&credentials, CLIENT_ACCESS_KEY_ID, CLIENT_SECRET, NULL) == SLBCERT_OK &&
               slbcert_credentials_new_static(&wrong, CLIENT_ACCESS_KEY_ID, WRONG_SECRET, NULL) == SLBCERT_OK,
               "credentials for the emulator")) {
        goto done;
    }
    bundle = parse(&chain_pem, &leaf_key, NULL, NULL, "bundle_parse(the chain and key to upload)");
    mismatched = parse(&chain_pem, &stray_key, NULL, NULL, "bundle_parse(a mismatched pair)");
    const slbcert_certificate *leaf = slbcert_bundle_certificate(bundle, 0);
    sink.key_fragment = wrong_sink.key_fragment = key_fragment(slbcert_bundle_normalized_private_key_pem(bundle));
    CHECK(strlen(sink.key_fragment) == 16, "a 16-character fragment of the key to look for in messages and logs");

    slbcert_client_options options = SLBCERT_CLIENT_OPTIONS_INIT;
    options.region_id = "cn-hangzhou";
    options.endpoint = emulator_url;
    options.credentials = credentials;
    options.ca_bundle = ca;
    options.log_fn = collect_log;
    options.log_user_data = &sink;
    options.log_level = SLBCERT_LOG_INFO;
    client = new_client(&options, "client_new(explicit credentials, endpoint, ca_bundle, log_fn)");
    if (client == NULL) goto done;
    CHECK(str_eq(slbcert_client_endpoint(client), emulator_url), "client_endpoint is %s (got %s)", emulator_url,
          show(slbcert_client_endpoint(client)));
    CHECK(str_eq(slbcert_client_region(client), "cn-hangzhou"), "client_region is cn-hangzhou");
    CHECK(describe_count(client, NULL, "client_describe(an empty region)") == 0, "an empty region: count 0");

    /* Upload: a new certificate. */
    static const char *const tag_keys[] = { "env", "team" };
    static const char *const tag_values[] = { "ctest", "slbcert" };
    slbcert_upload_options upload = SLBCERT_UPLOAD_OPTIONS_INIT;
    upload.name = "c-test-cert";
    upload.resource_group_id = "rg-ctest01";
    upload.tag_keys = tag_keys;
    upload.tag_values = tag_values;
    upload.tag_count = 2;
    result = SENTINEL;
    make_last_error();
    int rc = slbcert_client_upload(&result, client, bundle, &upload);
    expect_ok(rc, "client_upload(new)");
    if (!CHECK(rc == SLBCERT_OK && result != NULL && result != SENTINEL, "client_upload(new): a result")) goto done;
    CHECK(slbcert_upload_result_uploaded(result) == 1, "client_upload(new): uploaded is 1");
    CHECK(slbcert_upload_result_outcome(result) == SLBCERT_UPLOAD_UPLOADED, "client_upload(new): outcome UPLOADED");
    CHECK(slbcert_upload_result_removed_count(result) == 0 && slbcert_upload_result_removed(result, 0) == NULL &&
          slbcert_upload_result_duplicate_count(result) == 0 && slbcert_upload_result_duplicate(result, 0) == NULL,
          "client_upload(new): nothing removed, no duplicates");
    const slbcert_server_certificate *stored = slbcert_upload_result_certificate(result);
    CHECK(stored != NULL, "client_upload(new): upload_result_certificate");
    check_server_certificate(stored, leaf, "c-test-cert", "upload result");
    snprintf(first_id, sizeof first_id, "%s", show(slbcert_server_certificate_id(stored)));
    CHECK(str_eq(slbcert_certificate_fingerprint(leaf), openssl_fingerprint("leaf.pem", "sha1")),
          "the leaf's fingerprint is openssl's");
    const slbcert_certificate_list *region = slbcert_upload_result_region_certificates(result);
    CHECK(slbcert_certificate_list_count(region) == 1 && find_certificate(region, first_id) != NULL,
          "client_upload(new): region_certificates holds the new certificate only");
    slbcert_upload_result_free(result);
    result = NULL;
    CHECK(admin_number("certificates") == 1, "the emulator stores 1 certificate");

    /* Indexes of SIZE_MAX, in a child process (a trap must not end this program). */
    static const struct { const char *probe; const char *what; } probes[] = {
        { "list_index_max", "certificate_list_get(index SIZE_MAX) is NULL" },
        { "san_index_max", "server_certificate_san(index SIZE_MAX) is NULL" },
        { "tag_index_max", "server_certificate_tag(index SIZE_MAX) is SLBCERT_ERANGE" },
    };
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        const char *outcome = spawn_probe_at(probes[i].probe, emulator_url, ca);
        CHECK(strcmp(outcome, "ok") == 0, "%s (child: %s)", probes[i].what, outcome);
    }

    /* Upload again: the existing certificate is returned. */
    result = SENTINEL;
    make_last_error();
    rc = slbcert_client_upload(&result, client, bundle, &upload);
    expect_ok(rc, "client_upload(again)");
    if (rc == SLBCERT_OK) {
        CHECK(slbcert_upload_result_uploaded(result) == 0, "client_upload(again): uploaded is 0");
        CHECK(slbcert_upload_result_outcome(result) == SLBCERT_UPLOAD_FOUND, "client_upload(again): outcome FOUND");
        check_server_certificate(slbcert_upload_result_certificate(result), leaf, "c-test-cert", "upload result (again)");
        CHECK(str_eq(slbcert_server_certificate_id(slbcert_upload_result_certificate(result)), first_id),
              "client_upload(again): the first certificate's id");
        region = slbcert_upload_result_region_certificates(result);
        CHECK(slbcert_certificate_list_count(region) == 1, "client_upload(again): region_certificates count is 1");
        slbcert_upload_result_free(result);
    }
    result = NULL;
    CHECK(sink.skipped_lines == 1, "client_upload(again): an INFO line says the upload was skipped");
    /* Expiry monitoring: days left rounded down, and the region's certificates expiring within N days. */
    {
        slbcert_certificate_list *all = describe(client, NULL, "client_describe(for expiry)");
        const slbcert_server_certificate *c = slbcert_certificate_list_get(all, 0);
        int64_t expires = slbcert_server_certificate_expire_time_ms(c), days = 12345;
        const int64_t day = 86400000;
        expect_ok(slbcert_server_certificate_days_left(c, expires - 9 * day - day / 2, &days), "server_certificate_days_left(9.5 days before)");
        CHECK(days == 9, "9.5 days before expiry: 9 days left (got %lld)", (long long)days);
        expect_ok(slbcert_server_certificate_days_left(c, expires + day / 2, &days), "server_certificate_days_left(half a day after)");
        CHECK(days == -1, "half a day after expiry: -1 (got %lld)", (long long)days);
        expect_fail(slbcert_server_certificate_days_left(NULL, 0, &days), SLBCERT_EINVAL, "server_certificate_days_left(NULL)");
        expect_fail(slbcert_server_certificate_days_left(c, 0, NULL), SLBCERT_EINVAL, "server_certificate_days_left(days NULL)");
        expect_fail(slbcert_server_certificate_days_left(c, -5, &days), SLBCERT_EINVAL, "server_certificate_days_left(now_ms -5)");
        slbcert_certificate_list *soon = SENTINEL;
        expect_ok(slbcert_client_expiring(&soon, client, 10, expires - 9 * day), "client_expiring(within 10 days, 9 days before)");
        CHECK(slbcert_certificate_list_count(soon) == 1, "client_expiring: the certificate with 9 days left is within 10");
        slbcert_certificate_list_free(soon);
        soon = SENTINEL;
        expect_ok(slbcert_client_expiring(&soon, client, 9, expires - 9 * day), "client_expiring(within 9 days, 9 days before)");
        CHECK(slbcert_certificate_list_count(soon) == 0, "client_expiring: 9 days left is not within 9");
        slbcert_certificate_list_free(soon);
        soon = SENTINEL;
        EXPECT_FAIL_NULL(slbcert_client_expiring(&soon, client, 36501, 0), SLBCERT_EINVAL, soon, "client_expiring(within 36501)");
        CHECK(str_eq(slbcert_last_error_argument(), "within_days"), "client_expiring(within 36501): argument within_days");
        soon = SENTINEL;
        EXPECT_FAIL_NULL(slbcert_client_expiring(&soon, NULL, 30, 0), SLBCERT_EINVAL, soon, "client_expiring(client NULL)");
        expect_fail(slbcert_client_expiring(NULL, client, 30, 0), SLBCERT_EINVAL, "client_expiring(out NULL)");
        slbcert_certificate_list_free(all);
    }

    CHECK(admin_number("certificates") == 1, "the emulator still stores 1 certificate");

    /* Describe, without and with filters. */
    list = describe(client, NULL, "client_describe(options NULL)");
    CHECK(slbcert_certificate_list_count(list) == 1, "client_describe(all): count 1");
    stored = slbcert_certificate_list_get(list, 0);
    CHECK(str_eq(slbcert_server_certificate_id(stored), first_id), "client_describe(all): get(0) is the uploaded certificate");
    if (stored != NULL) check_server_certificate(stored, leaf, "c-test-cert", "described certificate");
    slbcert_certificate_list_free(list);
    list = NULL;

    slbcert_describe_options filter = SLBCERT_DESCRIBE_OPTIONS_INIT;
    filter.server_certificate_id = first_id;
    CHECK(describe_count(client, &filter, "client_describe(its id)") == 1, "client_describe(its id): count 1");
    filter.server_certificate_id = "1234567890123456_18c0000000_1000000000_100000000";
    CHECK(describe_count(client, &filter, "client_describe(an unknown id)") == 0, "client_describe(an unknown id): count 0");
    filter = (slbcert_describe_options)SLBCERT_DESCRIBE_OPTIONS_INIT;
    filter.resource_group_id = "rg-ctest01";
    CHECK(describe_count(client, &filter, "client_describe(its resource group)") == 1, "client_describe(its resource group): count 1");
    filter.resource_group_id = "rg-other";
    CHECK(describe_count(client, &filter, "client_describe(another resource group)") == 0,
          "client_describe(another resource group): count 0");
    filter = (slbcert_describe_options)SLBCERT_DESCRIBE_OPTIONS_INIT;
    static const char *const env_key[] = { "env" };
    static const char *const env_ctest[] = { "ctest" }, *const env_prod[] = { "prod" }, *const env_any[] = { "" };
    filter.tag_keys = env_key; filter.tag_values = env_ctest; filter.tag_count = 1;
    CHECK(describe_count(client, &filter, "client_describe(tag env=ctest)") == 1, "client_describe(tag env=ctest): count 1");
    filter.tag_values = env_prod;
    CHECK(describe_count(client, &filter, "client_describe(tag env=prod)") == 0, "client_describe(tag env=prod): count 0");
    filter.tag_values = env_any;
    CHECK(describe_count(client, &filter, "client_describe(tag env, any value)") == 1, "client_describe(tag env, any value): count 1");

    /* Rename. */
    make_last_error();
    expect_ok(slbcert_client_rename(client, first_id, "c-test-renamed"), "client_rename(c-test-renamed)");
    filter = (slbcert_describe_options)SLBCERT_DESCRIBE_OPTIONS_INIT;
    filter.server_certificate_id = first_id;
    list = describe(client, &filter, "client_describe(after the rename)");
    CHECK(str_eq(slbcert_server_certificate_name(slbcert_certificate_list_get(list, 0)), "c-test-renamed"),
          "client_describe after the rename shows the new name (got %s)",
          show(slbcert_server_certificate_name(slbcert_certificate_list_get(list, 0))));
    slbcert_certificate_list_free(list);
    list = NULL;
    expect_service_error(slbcert_client_rename(client, "1234567890123456_18c0000000_1000000000_100000000", "c-test-x"),
                         "ServerCertificateId.NotFound", 400, "client_rename(an unknown id)");

    /* A mismatched bundle: refused locally, nothing reaches the emulator. */
    long requests_before = admin_number("requests");
    int lines_before = sink.lines;
    result = SENTINEL;
    rc = slbcert_client_upload(&result, client, mismatched, &upload);
    expect_fail_code(rc, SLBCERT_EVALIDATION, "KEY_MISMATCH", "client_upload(a mismatched bundle)");
    CHECK(result == NULL, "client_upload(a mismatched bundle) sets *out to NULL");
    long requests_after = admin_number("requests");
    CHECK(requests_before > 0 && requests_after == requests_before,
          "client_upload(a mismatched bundle): no request reached the emulator (%ld API requests before, %ld after)",
          requests_before, requests_after);
    CHECK(sink.lines == lines_before, "client_upload(a mismatched bundle): nothing was logged, nothing was sent");
    CHECK(admin_number("certificates") == 1, "client_upload(a mismatched bundle): nothing uploaded");

    /* no_ensure uploads a second copy; bound to a listener, it cannot be deleted. */
    char arguments[700];
    slbcert_upload_options again = upload;
    again.no_ensure = 1;
    again.name = "c-test-bound";
    result = SENTINEL;
    make_last_error();
    rc = slbcert_client_upload(&result, client, bundle, &again);
    expect_ok(rc, "client_upload(no_ensure: a second copy)");
    char bound_id[256] = "";
    if (rc == SLBCERT_OK) {
        CHECK(slbcert_upload_result_uploaded(result) == 1, "client_upload(no_ensure): uploaded is 1");
        CHECK(slbcert_certificate_list_count(slbcert_upload_result_region_certificates(result)) == 0,
              "client_upload(no_ensure): region_certificates is empty (no duplicate check)");
        snprintf(bound_id, sizeof bound_id, "%s", show(slbcert_server_certificate_id(slbcert_upload_result_certificate(result))));
        slbcert_upload_result_free(result);
    }
    result = NULL;
    snprintf(arguments, sizeof arguments, "'%s'", bound_id);
    CHECK(contains(admin("bind", arguments), "\"Bound\": true"), "the emulator binds %s to a listener", bound_id);
    expect_service_error(slbcert_client_delete(client, bound_id), "CertificateAndPrivateKeyIsRefered", 400,
                         "client_delete(a bound certificate)");
    CHECK(strlen(slbcert_last_error_hint()) > 0, "client_delete(a bound certificate): a hint: %s", show(slbcert_last_error_hint()));

    /* Delete, then delete again. */
    make_last_error();
    expect_ok(slbcert_client_delete(client, first_id), "client_delete(the first certificate)");
    expect_service_error(slbcert_client_delete(client, first_id), "ServerCertificateId.NotFound", 400,
                         "client_delete(the same id again)");

    /* A CAS certificate. */
    snprintf(arguments, sizeof arguments, "cas-ctest-1 ctest-cas cn-hangzhou '%s'", path_of("leaf-p256.pem"));
    CHECK(contains(admin("cas", arguments), "cas-ctest-1"), "the emulator registers CAS certificate cas-ctest-1");
    upload = (slbcert_upload_options)SLBCERT_UPLOAD_OPTIONS_INIT;
    upload.name = "c-test-cas";
    result = SENTINEL;
    make_last_error();
    rc = slbcert_client_upload_cas(&result, client, "cas-ctest-1", "ctest-cas", "cn-hangzhou", &upload);
    expect_ok(rc, "client_upload_cas(cas-ctest-1)");
    char cas_id[256] = "";
    if (rc == SLBCERT_OK) {
        stored = slbcert_upload_result_certificate(result);
        CHECK(slbcert_upload_result_uploaded(result) == 1, "client_upload_cas: uploaded is 1");
        CHECK(slbcert_server_certificate_is_alicloud(stored) == 1, "client_upload_cas: is_alicloud is 1");
        CHECK(str_eq(slbcert_server_certificate_alicloud_id(stored), "cas-ctest-1"), "client_upload_cas: alicloud_id");
        CHECK(str_eq(slbcert_server_certificate_alicloud_name(stored), "ctest-cas"), "client_upload_cas: alicloud_name");
        CHECK(str_eq(slbcert_server_certificate_name(stored), "c-test-cas"), "client_upload_cas: name");
        CHECK(str_eq(slbcert_server_certificate_fingerprint(stored), openssl_fingerprint("leaf-p256.pem", "sha1")),
              "client_upload_cas: the registered certificate's fingerprint");
        CHECK(str_eq(slbcert_server_certificate_common_name(stored), "www.example.test"), "client_upload_cas: common_name");
        CHECK(slbcert_certificate_list_count(slbcert_upload_result_region_certificates(result)) == 0,
              "client_upload_cas: region_certificates is empty (no duplicate check)");
        snprintf(cas_id, sizeof cas_id, "%s", show(slbcert_server_certificate_id(stored)));
        slbcert_upload_result_free(result);
    }
    result = SENTINEL;
    rc = slbcert_client_upload_cas(&result, client, "cas-ctest-unknown", NULL, NULL, NULL);
    expect_service_error(rc, "InvalidParameter", 400, "client_upload_cas(an unknown CAS id)");
    CHECK(result == NULL, "client_upload_cas(an unknown CAS id) sets *out to NULL");
    result = NULL;
    if (cas_id[0] != '\0') {
        make_last_error();
        expect_ok(slbcert_client_delete(client, cas_id), "client_delete(the CAS certificate)");
    }

    /* V3 signing, parameters in the query. */
    slbcert_client_options v3 = options;
    v3.signature_version = SLBCERT_SIGNATURE_V3;
    v3.placement = SLBCERT_PLACEMENT_QUERY;
    other = new_client(&v3, "client_new(V3, QUERY)");
    if (other != NULL) {
        CHECK(describe_count(other, NULL, "client_describe(V3, QUERY)") == 1, "client_describe(V3, QUERY): count 1 (the bound copy)");
        slbcert_client_free(other);
        other = NULL;
    }

    /* One client, two threads at once. */
    slbcert_client_options shared = options;
    shared.log_fn = NULL;
    shared.log_user_data = NULL;
    other = new_client(&shared, "client_new(shared by two threads)");
    if (other != NULL) {
        client_thread_state states[2] = { { other, 0, 0, 0 }, { other, 0, 0, 0 } };
        thrd_t threads[2];
        int started = 0;
        slbcert_last_error_clear();
        for (int i = 0; i < 2; i++) {
            if (thrd_create(&threads[i], describe_from_thread, &states[i]) == thrd_success) started++;
        }
        for (int i = 0; i < started; i++) thrd_join(threads[i], NULL);
        CHECK(started == 2, "two threads start");
        CHECK(states[0].calls_ok == 2 && states[1].calls_ok == 2 && states[0].counts_ok == 2 && states[1].counts_ok == 2,
              "a client shared by two threads: each thread's 2 describes succeed with count 1");
        CHECK(states[0].own_last_error && states[1].own_last_error, "each thread records its own last error");
        CHECK(slbcert_last_error_status() == SLBCERT_OK, "the threads' failures leave this thread's last error clear");
        slbcert_client_free(other);
        other = NULL;
    }

    /* The CA bundle from ALIBABA_CLOUD_CA_BUNDLE; none at all (TLS fails); verification off. */
    slbcert_client_options tls = options;
    tls.ca_bundle = NULL;
    tls.max_attempts = 1;
    tls.log_fn = NULL;
    setenv("ALIBABA_CLOUD_CA_BUNDLE", ca, 1);
    other = new_client(&tls, "client_new(ca_bundle NULL, ALIBABA_CLOUD_CA_BUNDLE set)");
    unsetenv("ALIBABA_CLOUD_CA_BUNDLE");
    if (other != NULL) {
        CHECK(describe_count(other, NULL, "client_describe(CA from ALIBABA_CLOUD_CA_BUNDLE)") == 1,
              "client_describe(CA from ALIBABA_CLOUD_CA_BUNDLE): count 1");
        slbcert_client_free(other);
        other = NULL;
    }
    other = new_client(&tls, "client_new(ca_bundle NULL: the system's CAs)");
    if (other != NULL) {
        list = SENTINEL;
        rc = slbcert_client_describe(&list, other, NULL);
        CHECK(rc == SLBCERT_ETLS, "client_describe(an unknown CA): SLBCERT_ETLS (got %s: %s)", slbcert_error_name(rc),
              show(slbcert_last_error_message()));
        CHECK(list == NULL, "client_describe(an unknown CA) sets *out to NULL");
        CHECK(slbcert_last_error_status() == SLBCERT_ETLS && slbcert_last_error_http_status() == 0 &&
              slbcert_last_error_transport_code() != 0, "client_describe(an unknown CA): no HTTP status, libcurl's code %d",
              slbcert_last_error_transport_code());
        list = NULL;
        slbcert_client_free(other);
        other = NULL;
    }
    tls.insecure_skip_tls_verification = 1;
    other = new_client(&tls, "client_new(insecure_skip_tls_verification)");
    if (other != NULL) {
        CHECK(describe_count(other, NULL, "client_describe(verification off)") == 1, "client_describe(verification off): count 1");
        slbcert_client_free(other);
        other = NULL;
    }

    /* A wrong secret: the service's SignatureDoesNotMatch, with a hint and no secret anywhere. */
    slbcert_client_options bad = options;
    bad.credentials = wrong;
    bad.log_user_data = &wrong_sink;
    wrong_client = new_client(&bad, "client_new(a wrong secret)");
    if (wrong_client != NULL) {
        list = SENTINEL;
        rc = slbcert_client_describe(&list, wrong_client, NULL);
        expect_service_error(rc, "SignatureDoesNotMatch", 400, "client_describe(a wrong secret)");
        CHECK(list == NULL, "client_describe(a wrong secret) sets *out to NULL");
        list = NULL;
        CHECK(strlen(show(slbcert_last_error_hint())) > 0, "client_describe(a wrong secret): a hint: %s",
              show(slbcert_last_error_hint()));
        upload = (slbcert_upload_options)SLBCERT_UPLOAD_OPTIONS_INIT;
        upload.no_ensure = 1;
        result = SENTINEL;
        rc = slbcert_client_upload(&result, wrong_client, bundle, &upload);
        expect_service_error(rc, "SignatureDoesNotMatch", 400, "client_upload(a wrong secret)");
        CHECK(result == NULL, "client_upload(a wrong secret) sets *out to NULL");
        result = NULL;
        CHECK(!contains(slbcert_last_error_message(), sink.key_fragment),
              "client_upload(a wrong secret): the message holds no key material");
        CHECK(strlen(show(slbcert_last_error_hint())) > 0, "client_upload(a wrong secret): a hint");
        CHECK(wrong_sink.info > 0 && wrong_sink.leaked == 0, "a wrong secret: %d INFO lines, none with a secret or key",
              wrong_sink.info);
    }
    CHECK(admin_number("certificates") == 1, "the emulator stores only the bound copy at the end");

    /* The log callback. */
    CHECK(sink.lines > 0 && sink.info > 0, "the log callback received %d lines, %d at INFO", sink.lines, sink.info);
    CHECK(sink.info == sink.lines, "log_level INFO: no DEBUG line was passed on");
    CHECK(sink.null_lines == 0, "no log line is NULL");
    CHECK(sink.leaked == 0, "no log line holds a secret, a PEM or key material");
    CHECK(sink.upload_lines > 0 && sink.describe_lines > 0, "log lines name the actions (%d upload, %d describe)",
          sink.upload_lines, sink.describe_lines);

    test_concurrent_uploads(&options);

done:
    slbcert_client_free(client);
    slbcert_client_free(wrong_client);
    slbcert_bundle_free(bundle);
    slbcert_bundle_free(mismatched);
    slbcert_credentials_free(credentials);
    slbcert_credentials_free(wrong);
}

static void test_client(void) {
    if (test_python == NULL || test_python[0] == '\0') {
        CHECK(0, "client: SLBCERT_TEST_PYTHON is not set; it names a python with the emulator installed "
                 "(make test-c: build/venv/bin/python). The client was NOT tested");
        return;
    }
    isolate_environment();
    if (!CHECK(write_admin_script() == 0, "writing the admin API helper")) {
        restore_environment();
        return;
    }
    int started = start_emulator() == 0;
    if (CHECK(started && starts_with(emulator_url, "https://127.0.0.1:"), "the emulator runs at %s (%s)", emulator_url,
              test_python)) {
        run_client_tests();
    }
    int status = stop_emulator();
    if (started) {
        CHECK(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "the emulator stops cleanly when its lifeline closes (launcher exit status 0)");
    }
    restore_environment();
}

/* ------------------------------------------------ probes of the signing and client API (children) */

/* The probes of run_probe() for slbcert_sign and the client: 0 when the call behaved as documented,
 * 1 when not, 3 when the setup failed, -1 for a name that is not one of these. `url` and `ca` name
 * the emulator for the probes that need a stored certificate (NULL otherwise). */
static int run_api_probe(const char *name, const char *leaf_path, const char *url, const char *ca) {
    static const char *const keys[] = { "RegionId" };
    static const char *const values[] = { "cn-hangzhou" };
    static const char *const names[] = { "sign_count_max", "header_index_max", "upload_tag_count_max",
                                         "describe_tag_count_max", "cas_tag_count_max", "list_index_max",
                                         "san_index_max", "tag_index_max" };
    size_t which = 0;
    while (which < sizeof names / sizeof names[0] && strcmp(names[which], name) != 0) which++;
    if (which == sizeof names / sizeof names[0]) return -1;

    slbcert_credentials *credentials = NULL;
    if (slbcert_credentials_new_static(&credentials, CLIENT_ACCESS_KEY_ID, CLIENT_SECRET, NULL) != SLBCERT_OK) return 3;
    int result = 3;
    if (which <= 1) {
        slbcert_signed_request *request = SENTINEL;
        int rc = slbcert_sign(&request, credentials, "A", "1", "h", keys, values, which == 0 ? SIZE_MAX : 1, NULL);
        if (which == 0) {
            result = rc == SLBCERT_EINVAL && request == NULL ? 0 : 1;
        } else if (rc == SLBCERT_OK) {
            const char *header = "untouched", *value = "untouched";
            rc = slbcert_signed_request_header(request, SIZE_MAX, &header, &value);
            result = rc == SLBCERT_ERANGE && str_eq(header, "untouched") && str_eq(value, "untouched") ? 0 : 1;
            slbcert_signed_request_free(request);
        }
        slbcert_credentials_free(credentials);
        return result;
    }

    slbcert_client_options options = SLBCERT_CLIENT_OPTIONS_INIT;
    options.region_id = "cn-hangzhou";
    options.endpoint = url ? url : "https://127.0.0.1:9";
    options.ca_bundle = ca;
    options.credentials = credentials;
    options.max_attempts = 1;
    slbcert_client *client = NULL;
    if (slbcert_client_new(&client, &options) != SLBCERT_OK) {
        slbcert_credentials_free(credentials);
        return 3;
    }
    if (which <= 4) {
        slbcert_upload_options upload = SLBCERT_UPLOAD_OPTIONS_INIT;
        upload.tag_keys = keys;
        upload.tag_values = values;
        upload.tag_count = SIZE_MAX;
        if (which == 2) {
            FILE *file = fopen(leaf_path, "rb");
            char pem[8192];
            size_t length = file ? fread(pem, 1, sizeof pem, file) : 0;
            if (file) fclose(file);
            slbcert_bundle *bundle = NULL;
            if (length > 0 && slbcert_bundle_parse(&bundle, pem, length, NULL, 0, NULL, 0, NULL) == SLBCERT_OK) {
                slbcert_upload_result *uploaded = SENTINEL;
                int rc = slbcert_client_upload(&uploaded, client, bundle, &upload);
                result = rc == SLBCERT_EINVAL && uploaded == NULL ? 0 : 1;
                slbcert_bundle_free(bundle);
            }
        } else if (which == 3) {
            slbcert_describe_options describe = SLBCERT_DESCRIBE_OPTIONS_INIT;
            describe.tag_keys = keys;
            describe.tag_values = values;
            describe.tag_count = SIZE_MAX;
            slbcert_certificate_list *list = SENTINEL;
            int rc = slbcert_client_describe(&list, client, &describe);
            result = rc == SLBCERT_EINVAL && list == NULL ? 0 : 1;
        } else {
            slbcert_upload_result *uploaded = SENTINEL;
            int rc = slbcert_client_upload_cas(&uploaded, client, "cas-1", NULL, NULL, &upload);
            result = rc == SLBCERT_EINVAL && uploaded == NULL ? 0 : 1;
        }
    } else {
        slbcert_certificate_list *list = NULL;
        if (slbcert_client_describe(&list, client, NULL) == SLBCERT_OK && slbcert_certificate_list_count(list) > 0) {
            const slbcert_server_certificate *certificate = slbcert_certificate_list_get(list, 0);
            if (which == 5) {
                result = slbcert_certificate_list_get(list, SIZE_MAX) == NULL ? 0 : 1;
            } else if (which == 6) {
                result = slbcert_server_certificate_san(certificate, SIZE_MAX) == NULL ? 0 : 1;
            } else {
                const char *key = "untouched", *value = "untouched";
                int rc = slbcert_server_certificate_tag(certificate, SIZE_MAX, &key, &value);
                result = rc == SLBCERT_ERANGE && str_eq(key, "untouched") && str_eq(value, "untouched") ? 0 : 1;
            }
        }
        slbcert_certificate_list_free(list);
    }
    slbcert_client_free(client);
    slbcert_credentials_free(credentials);
    return result;
}


/* ----------------------------------------------------------------- probes in a child process */

/* Calls that might crash the process (a Swift trap) run in a child: this program re-executed with
 * "--probe NAME LEAF_PEM_PATH [EMULATOR_URL CA_PATH]". Under valgrind the exec'd child runs natively
 * (no --trace-children). The child exits 0 when the call behaved as documented, 1 when it returned
 * something else. */
static const char *self_path;

static int run_probe(const char *name, const char *leaf_path, const char *url, const char *ca) {
    static const char garbage[] = "hello";
    int api = run_api_probe(name, leaf_path, url, ca);
    if (api >= 0) return api;
    slbcert_bundle *bundle = NULL;
    char *out = NULL;
    int rc;
    if (strcmp(name, "cert_len_max") == 0) {
        rc = slbcert_bundle_parse(&bundle, garbage, SIZE_MAX, NULL, 0, NULL, 0, NULL);
        return rc == SLBCERT_EINVAL && bundle == NULL ? 0 : 1;
    }
    if (strcmp(name, "key_len_max") == 0) {
        rc = slbcert_bundle_parse(&bundle, garbage, 5, garbage, SIZE_MAX, NULL, 0, NULL);
        slbcert_bundle_free(bundle);
        return rc == SLBCERT_EINVAL ? 0 : 1;
    }
    if (strcmp(name, "passphrase_len_max") == 0) {
        rc = slbcert_bundle_parse(&bundle, garbage, 5, garbage, 5, garbage, SIZE_MAX, NULL);
        slbcert_bundle_free(bundle);
        return rc == SLBCERT_EINVAL ? 0 : 1;
    }
    if (strcmp(name, "redact_len_max") == 0) {
        rc = slbcert_redact(&out, garbage, SIZE_MAX);
        slbcert_string_free(out);
        return rc == SLBCERT_EINVAL ? 0 : 1;
    }
    if (strcmp(name, "redact_len_2_63") == 0) {
        rc = slbcert_redact(&out, garbage, (size_t)1 << 63);
        slbcert_string_free(out);
        return rc == SLBCERT_EINVAL ? 0 : 1;
    }
    /* The index probes need a bundle with a certificate. */
    FILE *file = fopen(leaf_path, "rb");
    if (file == NULL) return 3;
    char pem[8192];
    size_t length = fread(pem, 1, sizeof pem, file);
    fclose(file);
    if (slbcert_bundle_parse(&bundle, pem, length, NULL, 0, NULL, 0, NULL) != SLBCERT_OK) return 3;
    const slbcert_certificate *leaf = slbcert_bundle_certificate(bundle, 0);
    int result = 2;
    if (strcmp(name, "finding_index_max") == 0) {
        result = slbcert_bundle_finding(bundle, SIZE_MAX, NULL, NULL, NULL) == SLBCERT_ERANGE ? 0 : 1;
    } else if (strcmp(name, "finding_index_max_out") == 0) {
        int severity = 0;
        const char *code = NULL, *message = NULL;
        result = slbcert_bundle_finding(bundle, SIZE_MAX, &severity, &code, &message) == SLBCERT_ERANGE ? 0 : 1;
    } else if (strcmp(name, "certificate_index_max") == 0) {
        result = slbcert_bundle_certificate(bundle, SIZE_MAX) == NULL ? 0 : 1;
    } else if (strcmp(name, "dns_name_index_max") == 0) {
        result = slbcert_certificate_dns_name(leaf, SIZE_MAX) == NULL ? 0 : 1;
    } else if (strcmp(name, "ip_address_index_max") == 0) {
        result = slbcert_certificate_ip_address(leaf, SIZE_MAX) == NULL ? 0 : 1;
    }
    slbcert_bundle_free(bundle);
    return result;
}

static int open_devnull(void) {
    FILE *null = fopen("/dev/null", "w");
    return null ? fileno(null) : -1;
}

/* Runs one probe in a child; returns a description of how it ended ("ok" when as documented).
 * `url` and `ca` (or NULL) tell the child where the emulator is. */
static const char *spawn_probe_at(const char *name, const char *url, const char *ca) {
    static char outcome[64];
    char leaf_path[600];
    snprintf(leaf_path, sizeof leaf_path, "%s", path_of("leaf.pem"));
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) return "fork failed";
    if (pid == 0) {
        int devnull = open_devnull();
        if (devnull >= 0) { dup2(devnull, 2); }
        if (url != NULL && ca != NULL) {
            execl(self_path, self_path, "--probe", name, leaf_path, url, ca, (char *)NULL);
        } else {
            execl(self_path, self_path, "--probe", name, leaf_path, (char *)NULL);
        }
        _exit(127);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) return "waitpid failed";
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "ok";
    if (WIFEXITED(status)) snprintf(outcome, sizeof outcome, "exit status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status)) snprintf(outcome, sizeof outcome, "crashed with signal %d", WTERMSIG(status));
    else snprintf(outcome, sizeof outcome, "ended oddly");
    return outcome;
}

static const char *spawn_probe(const char *name) { return spawn_probe_at(name, NULL, NULL); }

/* size_t arguments of 2^63 and more reach the Swift implementation as negative Ints. */
static void test_huge_sizes(void) {
    static const struct { const char *probe; const char *what; } probes[] = {
        { "cert_len_max", "bundle_parse(cert_len SIZE_MAX) is SLBCERT_EINVAL" },
        { "key_len_max", "bundle_parse(key_len SIZE_MAX) is SLBCERT_EINVAL" },
        { "passphrase_len_max", "bundle_parse(passphrase_len SIZE_MAX) is SLBCERT_EINVAL" },
        { "redact_len_max", "redact(length SIZE_MAX) is SLBCERT_EINVAL" },
        { "redact_len_2_63", "redact(length 2^63) is SLBCERT_EINVAL" },
        { "finding_index_max", "bundle_finding(index SIZE_MAX, NULL outs) is SLBCERT_ERANGE" },
        { "finding_index_max_out", "bundle_finding(index SIZE_MAX, with outs) is SLBCERT_ERANGE" },
        { "certificate_index_max", "bundle_certificate(index SIZE_MAX) is NULL" },
        { "dns_name_index_max", "certificate_dns_name(index SIZE_MAX) is NULL" },
        { "ip_address_index_max", "certificate_ip_address(index SIZE_MAX) is NULL" },
        { "sign_count_max", "sign(count SIZE_MAX) is SLBCERT_EINVAL" },
        { "header_index_max", "signed_request_header(index SIZE_MAX) is SLBCERT_ERANGE" },
        { "upload_tag_count_max", "client_upload(tag_count SIZE_MAX) is SLBCERT_EINVAL" },
        { "describe_tag_count_max", "client_describe(tag_count SIZE_MAX) is SLBCERT_EINVAL" },
        { "cas_tag_count_max", "client_upload_cas(tag_count SIZE_MAX) is SLBCERT_EINVAL" },
    };
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        const char *outcome = spawn_probe(probes[i].probe);
        CHECK(strcmp(outcome, "ok") == 0, "%s (child: %s)", probes[i].what, outcome);
    }
}

/* ------------------------------------------------------------------------------------------- main */

/* One entry per API group. */
static const struct {
    const char *name;
    void (*run)(void);
    int needs_pki;
} groups[] = {
    { "version", test_version, 0 },
    { "status codes and names", test_status_names, 0 },
    { "last error", test_last_error, 0 },
    { "check options", test_check_options, 0 },
    { "bundle_parse arguments", test_bundle_arguments, 1 },
    { "bundle of a good pair", test_bundle_good, 1 },
    { "bundle findings", test_bundle_findings, 1 },
    { "malformed bundles", test_bundle_malformed, 1 },
    { "NULL handles", test_null_handles, 0 },
    { "redact", test_redact, 0 },
    { "options structs", test_options_init, 0 },
    { "credentials", test_credentials, 0 },
    { "signing (golden vectors)", test_signing, 0 },
    { "client arguments", test_client_arguments, 1 },
    { "lengths and indexes of 2^63 and more", test_huge_sizes, 1 },
    { "client against the emulator", test_client, 1 },
};

int main(int argc, char **argv) {
    if ((argc == 4 || argc == 6) && strcmp(argv[1], "--probe") == 0) {
        return run_probe(argv[2], argv[3], argc == 6 ? argv[4] : NULL, argc == 6 ? argv[5] : NULL);
    }
    self_path = argv[0];
    const char *tmp = getenv("TMPDIR");
    snprintf(workdir, sizeof workdir, "%s/slbcert-test-abi-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (mkdtemp(workdir) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    test_python = getenv("SLBCERT_TEST_PYTHON");
    int pki_ready = make_pki() == 0;
    CHECK(pki_ready, "test certificates written by the emulator package's test PKI in %s", workdir);
    if (pki_ready) load_pki();

    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
        printf("# %s\n", groups[i].name);
        if (groups[i].needs_pki && !pki_ready) {
            CHECK(0, "%s: skipped, no test certificates", groups[i].name);
            continue;
        }
        groups[i].run();
    }

    free_pki();
    remove_pki();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
