/*
 * test_abi.c: drives every function libslbcert exports, the way a C user does, including NULL and
 * malformed arguments, and checks return values and the per-thread last error after each call.
 *
 * Built by `make test-c` with -Wall -Wextra -Werror -pedantic -std=c11 against the build tree through
 * pkg-config, and run under valgrind (--leak-check=full --errors-for-leak-kinds=definite).
 *
 * Test certificates and keys are made at run time by the `openssl` command in a mkdtemp directory,
 * so nothing expires. Inputs are handed to the library in buffers of exactly their length, without a
 * terminating NUL, so that valgrind reports any read past the length.
 *
 * Layout: one function per API group, listed in `groups` at the bottom. To cover a new group
 * (credentials, signing, the client), write `static void test_<group>(void)` with CHECK()s and add it
 * to the table; the helpers expect_ok()/expect_fail() check the last-error contract for you.
 *
 * Output: one line per check ("ok N - ..." or "FAIL N - ... (file:line)"), then "N passed, M failed".
 * The exit status is non-zero when any check failed.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* mkdtemp */

#include <slbcert.h>

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <threads.h>
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

/* --------------------------------------------------------------------------- files and openssl */

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

static const char *passphrase = "s3cret passphrase";

/* The test PKI: root -> intermediate -> RSA leaf (SANs incl. IPs), an EC leaf, a stray key, an
 * encrypted PKCS#8 copy of the leaf key, and the leaf as DER. */
static int make_pki(void) {
    if (write_file("openssl.cnf",
                   "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = unused\n"
                   "[ca]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n"
                   "[leaf]\nbasicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature,keyEncipherment\n"
                   "extendedKeyUsage = serverAuth\n"
                   "subjectAltName = DNS:www.example.test,DNS:example.test,IP:192.0.2.10,IP:2001:db8::1\n") != 0) {
        return -1;
    }
    const char *quiet = ">/dev/null 2>&1";
    if (run("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out root.key %s", quiet)) return -1;
    if (run("openssl req -x509 -new -key root.key -subj '/O=slbcert C test/CN=C Test Root' -days 3650 "
            "-config openssl.cnf -extensions ca -out root.pem %s", quiet)) return -1;
    if (run("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out intermediate.key %s", quiet)) return -1;
    if (run("openssl req -new -key intermediate.key -subj '/O=slbcert C test/CN=C Test Intermediate' "
            "-config openssl.cnf -out intermediate.csr %s", quiet)) return -1;
    if (run("openssl x509 -req -in intermediate.csr -CA root.pem -CAkey root.key -days 1825 -sha256 "
            "-extfile openssl.cnf -extensions ca -out intermediate.pem %s", quiet)) return -1;
    if (run("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out leaf.key %s", quiet)) return -1;
    if (run("openssl req -new -key leaf.key -subj '/O=slbcert C test/CN=www.example.test' "
            "-config openssl.cnf -out leaf.csr %s", quiet)) return -1;
    if (run("openssl x509 -req -in leaf.csr -CA intermediate.pem -CAkey intermediate.key -days 365 -sha256 "
            "-extfile openssl.cnf -extensions leaf -out leaf.pem %s", quiet)) return -1;
    if (run("openssl x509 -in leaf.pem -outform DER -out leaf.der %s", quiet)) return -1;
    if (run("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out stray.key %s", quiet)) return -1;
    if (run("openssl pkcs8 -topk8 -v2 aes-256-cbc -in leaf.key -passout 'pass:%s' -out leaf.enc.key %s",
            passphrase, quiet)) return -1;
    if (run("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.key %s", quiet)) return -1;
    if (run("openssl req -new -key ec.key -subj '/CN=ec.example.test' -config openssl.cnf -out ec.csr %s", quiet)) return -1;
    if (run("openssl x509 -req -in ec.csr -CA intermediate.pem -CAkey intermediate.key -days 365 -sha256 "
            "-extfile openssl.cnf -extensions leaf -out ec.pem %s", quiet)) return -1;
    return 0;
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
    encrypted_key = read_file("leaf.enc.key");
    ec_pem = read_file("ec.pem");
    ec_key = read_file("ec.key");
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
    const int unknown[] = { 1, 42, -13, -100, INT_MIN, INT_MAX };
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

    bundle = sentinel;
    rc = slbcert_bundle_parse(&bundle, NULL, 0, NULL, 0, NULL, 0, NULL);
    expect_fail(rc, SLBCERT_EINVAL, "bundle_parse(cert NULL, len 0)");
    CHECK(bundle == NULL, "bundle_parse(cert NULL) sets *out to NULL");

    bundle = sentinel;
    rc = slbcert_bundle_parse(&bundle, cert->data, 0, NULL, 0, NULL, 0, NULL);
    expect_fail(rc, SLBCERT_EINVAL, "bundle_parse(cert len 0)");
    CHECK(bundle == NULL, "bundle_parse(cert len 0) sets *out to NULL");

    bundle = sentinel;
    rc = slbcert_bundle_parse(&bundle, cert->data, cert->length, key->data, 0, NULL, 0, NULL);
    expect_fail(rc, SLBCERT_EINVAL, "bundle_parse(key non-NULL, key_len 0)");
    CHECK(bundle == NULL, "bundle_parse(key_len 0) sets *out to NULL");

    bundle = sentinel;
    rc = slbcert_bundle_parse(&bundle, cert->data, cert->length, NULL, 100, NULL, 0, NULL);
    expect_fail(rc, SLBCERT_EINVAL, "bundle_parse(key NULL, key_len 100)");
    CHECK(bundle == NULL, "bundle_parse(key NULL, key_len 100) sets *out to NULL");

    bundle = sentinel;
    rc = slbcert_bundle_parse(&bundle, cert->data, cert->length, key->data, key->length, passphrase, 0, NULL);
    expect_fail(rc, SLBCERT_EINVAL, "bundle_parse(passphrase non-NULL, passphrase_len 0)");
    CHECK(bundle == NULL, "bundle_parse(passphrase_len 0) sets *out to NULL");

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
    CHECK(str_eq(slbcert_certificate_subject(leaf), "CN=www.example.test,O=slbcert C test"),
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
    CHECK(slbcert_certificate_dns_name_count(leaf) == 2, "dns_name_count is 2");
    CHECK(str_eq(slbcert_certificate_dns_name(leaf, 0), "www.example.test"), "dns_name(0) is www.example.test");
    CHECK(str_eq(slbcert_certificate_dns_name(leaf, 1), "example.test"), "dns_name(1) is example.test");
    CHECK(slbcert_certificate_dns_name(leaf, 2) == NULL, "dns_name(2) is NULL (out of range)");
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
    CHECK(str_eq(slbcert_certificate_common_name(issuer), "C Test Intermediate"), "intermediate common_name");
    CHECK(str_eq(slbcert_certificate_issuer(leaf), slbcert_certificate_subject(issuer)), "leaf issuer == intermediate subject");
    CHECK(str_eq(slbcert_certificate_issuer(issuer), "CN=C Test Root,O=slbcert C test"), "intermediate issuer is the root");
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
          str_eq(slbcert_certificate_common_name(slbcert_bundle_certificate(bundle, 1)), "C Test Intermediate") &&
          str_eq(slbcert_certificate_common_name(slbcert_bundle_certificate(bundle, 2)), "C Test Root"),
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


/* ----------------------------------------------------------------- probes in a child process */

/* Calls that might crash the process (a Swift trap) run in a child: this program re-executed with
 * "--probe NAME LEAF_PEM_PATH". Under valgrind the exec'd child runs natively (no --trace-children).
 * The child exits 0 when the call behaved as documented, 1 when it returned something else. */
static const char *self_path;

static int run_probe(const char *name, const char *leaf_path) {
    static const char garbage[] = "hello";
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

/* Runs one probe in a child; returns a description of how it ended ("ok" when as documented). */
static const char *spawn_probe(const char *name) {
    static char outcome[64];
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) return "fork failed";
    if (pid == 0) {
        int devnull = open_devnull();
        if (devnull >= 0) { dup2(devnull, 2); }
        execl(self_path, self_path, "--probe", name, path_of("leaf.pem"), (char *)NULL);
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
    };
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        const char *outcome = spawn_probe(probes[i].probe);
        CHECK(strcmp(outcome, "ok") == 0, "%s (child: %s)", probes[i].what, outcome);
    }
}

/* ------------------------------------------------------------------------------------------- main */

/* One entry per API group. Add credentials, signing and client groups here as they are implemented. */
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
    { "lengths and indexes of 2^63 and more", test_huge_sizes, 1 },
    /* { "credentials", test_credentials, 0 },  TODO: when slbcert_credentials_* land */
    /* { "signing", test_signing, 0 },          TODO: when slbcert_sign* land (golden vectors) */
    /* { "client", test_client, 1 },            TODO: when slbcert_client_* land (against the emulator) */
};

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "--probe") == 0) return run_probe(argv[2], argv[3]);
    self_path = argv[0];
    const char *tmp = getenv("TMPDIR");
    snprintf(workdir, sizeof workdir, "%s/slbcert-test-abi-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (mkdtemp(workdir) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    int pki_ready = make_pki() == 0;
    CHECK(pki_ready, "test certificates generated with openssl in %s", workdir);
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
