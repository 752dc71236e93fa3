/*
 * test_deploy.c: the deploy and rollback API as a C user calls it, against the emulator, under
 * valgrind (`make test-c`): every getter of slbcert_deploy_report, the options struct and its
 * version, NULL and out-of-range arguments, and the outcomes (deployed with the TLS check,
 * already deployed, rolled back after a fault, refused before anything changes, a dry run,
 * nothing to deploy, rollback from the journal, the old certificate deleted).
 *
 * The emulator, the certificates and the load balancers come from deploy_fixture.py (next to this
 * file), run with $SLBCERT_TEST_PYTHON: `serve` keeps the emulator running until this program
 * closes its stdin (or dies); `world` seeds a scenario and prints KEY=VALUE lines.
 *
 * Output: one line per check ("ok N - ..." or "FAIL N - ... (file:line)"), then "N passed, M failed".
 */
#define _POSIX_C_SOURCE 200809L

#include <slbcert.h>

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static int passed;
static int failed;

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int check(int ok, const char *file, int line, const char *format, ...) {
    va_list args;
    va_start(args, format);
    printf("%s %d - ", ok ? "ok" : "FAIL", passed + failed + 1);
    vprintf(format, args);
    va_end(args);
    if (ok) {
        printf("\n");
        passed++;
    } else {
        printf(" (%s:%d)\n", file, line);
        if (slbcert_last_error_status() != SLBCERT_OK)
            printf("    last error: %s: %s\n", slbcert_error_name(slbcert_last_error_status()), slbcert_last_error_message());
        failed++;
    }
    return ok;
}
#define CHECK(ok, ...) check((ok) != 0, __FILE__, __LINE__, __VA_ARGS__)

/* Copies text, cut to fit. */
static void copy_text(char *to, size_t size, const char *from) {
    size_t length = strlen(from);
    if (length >= size) length = size - 1;
    memcpy(to, from, length);
    to[length] = '\0';
}

static int str_eq(const char *a, const char *b) { return a != NULL && b != NULL && strcmp(a, b) == 0; }
static const char *show(const char *text) { return text ? text : "(null)"; }

/* ---------------------------------------------------------------------------------- the fixture */

static const char *python;
static char fixture[1024];
static char workdir[256];
static pid_t server = -1;
static int server_stdin = -1;

/* KEY=VALUE pairs of the fixture's last answer. */
#define MAX_VALUES 64
static char keys[MAX_VALUES][64];
static char values[MAX_VALUES][1024];
static int value_count;

static const char *value(const char *key) {
    for (int i = 0; i < value_count; i++)
        if (strcmp(keys[i], key) == 0) return values[i];
    return "";
}

static void read_values(FILE *stream) {
    char line[2048];
    value_count = 0;
    while (fgets(line, sizeof line, stream) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (strcmp(line, "READY") == 0) break;
        char *equals = strrchr(line, '=');
        if (equals == NULL || value_count == MAX_VALUES) continue;
        *equals = '\0';
        copy_text(keys[value_count], sizeof keys[0], line);
        copy_text(values[value_count], sizeof values[0], equals + 1);
        value_count++;
    }
}

/* Runs `deploy_fixture.py ARGS` and reads its KEY=VALUE lines; returns its exit status. */
#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
static int fixture_run(const char *format, ...) {
    char arguments[4096], command[6144];
    va_list args;
    va_start(args, format);
    vsnprintf(arguments, sizeof arguments, format, args);
    va_end(args);
    snprintf(command, sizeof command, "'%s' '%s' %s", python, fixture, arguments);
    FILE *stream = popen(command, "r");
    if (stream == NULL) return -1;
    read_values(stream);
    return pclose(stream);
}

static int start_server(void) {
    int to_child[2], from_child[2];
    if (pipe(to_child) != 0 || pipe(from_child) != 0) return -1;
    server = fork();
    if (server < 0) return -1;
    if (server == 0) {
        dup2(to_child[0], 0);
        dup2(from_child[1], 1);
        close(to_child[1]);
        close(from_child[0]);
        execl(python, python, fixture, "serve", workdir, (char *)NULL);
        _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    server_stdin = to_child[1];
    FILE *stream = fdopen(from_child[0], "r");
    if (stream == NULL) return -1;
    read_values(stream);
    fclose(stream);
    return value("URL")[0] != '\0' ? 0 : -1;
}

static void stop_server(void) {
    if (server_stdin >= 0) close(server_stdin); /* the fixture stops the emulator when its stdin closes */
    server_stdin = -1;
    if (server > 0) waitpid(server, NULL, 0);
    server = -1;
}

/* The state the emulator holds: "LB:PORT" or "LB:PORT:DOMAIN" -> certificate id. */
static char state_keys[MAX_VALUES][256];
static char state_values[MAX_VALUES][128];
static int state_count;

static void read_state(const char *url, const char *ca) {
    fixture_run("bindings '%s' '%s'", url, ca);
    state_count = value_count;
    for (int i = 0; i < value_count; i++) {
        copy_text(state_keys[i], sizeof state_keys[0], keys[i]);
        copy_text(state_values[i], sizeof state_values[0], values[i]);
    }
}

/* How many of the scenario's five bindings use `id`. */
static int bindings_on(const char *url, const char *ca, const char *lb1, const char *lb2, const char *port1,
                       const char *port2, const char *id) {
    char wanted[5][256];
    snprintf(wanted[0], sizeof wanted[0], "%s:%s", lb1, port1);
    snprintf(wanted[1], sizeof wanted[1], "%s:%s:api.c-deploy.example", lb1, port1);
    snprintf(wanted[2], sizeof wanted[2], "%s:%s:*.shop.c-deploy.example", lb1, port1);
    snprintf(wanted[3], sizeof wanted[3], "%s:%s", lb2, port2);
    snprintf(wanted[4], sizeof wanted[4], "%s:%s:www.c-deploy.example", lb2, port2);
    read_state(url, ca);
    int count = 0;
    for (int w = 0; w < 5; w++)
        for (int i = 0; i < state_count; i++)
            if (strcmp(state_keys[i], wanted[w]) == 0 && strcmp(state_values[i], id) == 0) count++;
    return count;
}

static char *read_file(const char *path, size_t *length) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) return NULL;
    char *data = malloc(1 << 20);
    size_t count = data ? fread(data, 1, (1 << 20) - 1, file) : 0;
    fclose(file);
    if (data) data[count] = '\0';
    *length = count;
    return data;
}

/* ------------------------------------------------------------------------------------ the tests */

static struct {
    char url[256], ca[512], old[128], other[128], lb1[64], lb2[64], port1[16], port2[16], address1[64];
    char old_fingerprint[64], new_fingerprint[64], new_chain[512], new_key[512], unrelated_chain[512], unrelated_key[512];
} world;

static void new_world(void) {
    int status = fixture_run("world '%s' '%s' '%s'", world.url, world.ca, workdir);
    CHECK(status == 0, "the fixture seeded a world");
#define COPY(field, key) snprintf(world.field, sizeof world.field, "%s", value(key))
    COPY(old, "OLD"); COPY(other, "OTHER"); COPY(lb1, "LB1"); COPY(lb2, "LB2"); COPY(port1, "PORT1"); COPY(port2, "PORT2");
    COPY(address1, "ADDRESS1"); COPY(old_fingerprint, "OLD_FINGERPRINT"); COPY(new_fingerprint, "NEW_FINGERPRINT");
    COPY(new_chain, "NEW_CHAIN"); COPY(new_key, "NEW_KEY"); COPY(unrelated_chain, "UNRELATED_CHAIN");
    COPY(unrelated_key, "UNRELATED_KEY");
#undef COPY
}

static int on(const char *id) { return bindings_on(world.url, world.ca, world.lb1, world.lb2, world.port1, world.port2, id); }

static slbcert_bundle *bundle_of(const char *chain_path, const char *key_path) {
    size_t chain_length = 0, key_length = 0;
    char *chain = read_file(chain_path, &chain_length);
    char *key = read_file(key_path, &key_length);
    slbcert_bundle *bundle = NULL;
    int rc = chain && key ? slbcert_bundle_parse(&bundle, chain, chain_length, key, key_length, NULL, 0, NULL) : SLBCERT_EINVAL;
    CHECK(rc == SLBCERT_OK && slbcert_bundle_has_errors(bundle) == 0, "the bundle %s parses without errors", chain_path);
    free(chain);
    free(key);
    return bundle;
}

static slbcert_deploy_options fast_options(void) {
    slbcert_deploy_options options = SLBCERT_DEPLOY_OPTIONS_INIT;
    options.busy_timeout_ms = 1000;
    options.rollback_timeout_ms = 15000;
    options.reference_timeout_ms = 10000;
    options.tls_timeout_ms = 10000;
    return options;
}

static void test_options(void) {
    slbcert_deploy_options from_macro = SLBCERT_DEPLOY_OPTIONS_INIT, from_function;
    memset(&from_function, 0x5a, sizeof from_function);
    CHECK(slbcert_deploy_options_init(&from_function, SLBCERT_DEPLOY_OPTIONS_VERSION) == SLBCERT_OK, "slbcert_deploy_options_init");
    CHECK(memcmp(&from_macro, &from_function, sizeof from_macro) == 0, "the macro and the function agree");
    CHECK(slbcert_deploy_options_init(&from_function, 0) == SLBCERT_EINVAL, "version 0 is refused");
    CHECK(slbcert_deploy_options_init(&from_function, SLBCERT_DEPLOY_OPTIONS_VERSION + 1) == SLBCERT_EINVAL, "a future version is refused");
    CHECK(slbcert_deploy_options_init(NULL, SLBCERT_DEPLOY_OPTIONS_VERSION) == SLBCERT_EINVAL, "NULL options are refused");
    long def = 0, low = 0, high = 0;
    CHECK(slbcert_deploy_option_range("busy_timeout_ms", &def, &low, &high) == SLBCERT_OK && def == 180000 && low == 1 &&
              high == 3600000, "busy_timeout_ms: default %ld, %ld to %ld", def, low, high);
    CHECK(slbcert_deploy_option_range("tls_timeout_ms", &def, NULL, NULL) == SLBCERT_OK && def == 30000, "tls_timeout_ms default");
    CHECK(slbcert_deploy_option_range("deadline_ms", &def, &low, &high) == SLBCERT_EINVAL, "a client option is not a deploy budget");
    CHECK(slbcert_deploy_option_range(NULL, NULL, NULL, NULL) == SLBCERT_EINVAL, "NULL field");
}

static void test_null_handles(void) {
    slbcert_deploy_report *report = (slbcert_deploy_report *)&report;
    CHECK(slbcert_client_deploy(&report, NULL, NULL, NULL) == SLBCERT_EINVAL && report == NULL, "deploy with a NULL client");
    CHECK(slbcert_client_deploy(NULL, NULL, NULL, NULL) == SLBCERT_EINVAL, "deploy with a NULL out");
    CHECK(slbcert_client_rollback(&report, NULL, "x") == SLBCERT_EINVAL && report == NULL, "rollback with a NULL client");
    CHECK(slbcert_deploy_report_outcome(NULL) == -1, "outcome of NULL");
    CHECK(slbcert_deploy_report_outcome_name(NULL) == NULL && slbcert_deploy_report_certificate_id(NULL) == NULL &&
              slbcert_deploy_report_json(NULL) == NULL && slbcert_deploy_report_journal(NULL) == NULL,
          "string getters of NULL are NULL");
    CHECK(slbcert_deploy_report_certificate_uploaded(NULL) == -1, "uploaded of NULL");
    CHECK(slbcert_deploy_report_binding_count(NULL) == 0 && slbcert_deploy_report_verified_count(NULL) == 0 &&
              slbcert_deploy_report_replaced_count(NULL) == 0 && slbcert_deploy_report_deleted_count(NULL) == 0 &&
              slbcert_deploy_report_warning_count(NULL) == 0 && slbcert_deploy_report_drift_count(NULL) == 0,
          "counts of NULL are 0");
    CHECK(slbcert_deploy_report_binding(NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL) == SLBCERT_EINVAL, "binding of NULL");
    CHECK(slbcert_deploy_report_failure_status(NULL) == SLBCERT_OK, "failure status of NULL");
    slbcert_deploy_report_free(NULL);
}

static char access_key_id[128], access_key_secret[128];

static slbcert_client *new_client(void) {
    slbcert_credentials *credentials = NULL;
    slbcert_client *client = NULL;
    CHECK(slbcert_credentials_new_static(&credentials, access_key_id, access_key_secret, NULL) == SLBCERT_OK,
          "static credentials");
    slbcert_client_options options = SLBCERT_CLIENT_OPTIONS_INIT;
    options.region_id = "cn-hangzhou";
    options.endpoint = world.url;
    options.ca_bundle = world.ca;
    options.credentials = credentials;
    options.max_attempts = 2;
    CHECK(slbcert_client_new(&client, &options) == SLBCERT_OK, "a client of the emulator");
    /* The client keeps the credentials alive: the caller may free its handle now. */
    slbcert_credentials_free(credentials);
    return client;
}

static void test_deploy_and_rollback(slbcert_client *client) {
    new_world();
    slbcert_bundle *bundle = bundle_of(world.new_chain, world.new_key);
    slbcert_deploy_options options = fast_options();
    options.verify_tls = 1;
    slbcert_deploy_report *report = NULL;
    CHECK(slbcert_client_deploy(&report, client, bundle, &options) == SLBCERT_OK && report != NULL, "deploy");
    CHECK(slbcert_deploy_report_outcome(report) == SLBCERT_DEPLOY_DEPLOYED, "outcome DEPLOYED");
    CHECK(str_eq(slbcert_deploy_report_outcome_name(report), "deployed"), "outcome name");
    const char *id = slbcert_deploy_report_certificate_id(report);
    CHECK(id != NULL && id[0] != '\0', "the new certificate's id: %s", show(id));
    CHECK(str_eq(slbcert_deploy_report_certificate_fingerprint(report), world.new_fingerprint), "its fingerprint");
    CHECK(slbcert_deploy_report_certificate_uploaded(report) == 1, "uploaded");
    CHECK(slbcert_deploy_report_replaced_count(report) == 1 && str_eq(slbcert_deploy_report_replaced(report, 0), world.old),
          "replaces the old certificate");
    CHECK(slbcert_deploy_report_replaced(report, 1) == NULL && slbcert_deploy_report_replaced(report, (size_t)-1) == NULL,
          "replaced out of range is NULL");
    size_t bindings = slbcert_deploy_report_binding_count(report);
    CHECK(bindings == 5, "five bindings (%zu)", bindings);
    int defaults = 0, switched = 0;
    for (size_t i = 0; i < bindings; i++) {
        const char *lb = NULL, *extension = (const char *)1, *domain = (const char *)1, *from = NULL, *to = NULL;
        long port = 0;
        int result = 0;
        CHECK(slbcert_deploy_report_binding(report, i, &lb, &port, &extension, &domain, &from, &to, &result) == SLBCERT_OK,
              "binding %zu", i);
        if (extension == NULL && domain == NULL) defaults++;
        if (result == SLBCERT_BINDING_SWITCHED && str_eq(from, world.old) && str_eq(to, id) && port > 0 &&
            (str_eq(lb, world.lb1) || str_eq(lb, world.lb2)))
            switched++;
    }
    CHECK(defaults == 2, "two default certificates (no extension id, no domain)");
    CHECK(switched == 5, "every binding switched from the old to the new certificate");
    CHECK(slbcert_deploy_report_binding(report, bindings, NULL, NULL, NULL, NULL, NULL, NULL, NULL) == SLBCERT_ERANGE,
          "binding out of range is SLBCERT_ERANGE");
    size_t checks = slbcert_deploy_report_verified_count(report);
    int good = 0;
    for (size_t i = 0; i < checks; i++) {
        const char *address = NULL, *name = NULL, *fingerprint = NULL;
        long port = 0;
        int ok = 0;
        slbcert_deploy_report_verified(report, i, &address, &port, &name, &fingerprint, &ok);
        if (ok == 1 && str_eq(fingerprint, world.new_fingerprint) && address != NULL && port > 0) good++;
    }
    CHECK(checks == 5 && good == 5, "five TLS checks saw the new certificate (%zu, %d)", checks, good);
    CHECK(slbcert_deploy_report_verified(report, checks, NULL, NULL, NULL, NULL, NULL) == SLBCERT_ERANGE, "check out of range");
    CHECK(slbcert_deploy_report_deleted_count(report) == 0, "nothing deleted without delete_old");
    const char *journal = slbcert_deploy_report_journal(report);
    CHECK(journal != NULL && access(journal, R_OK) == 0, "the journal exists: %s", show(journal));
    CHECK(strstr(slbcert_deploy_report_json(report), "\"Outcome\": \"deployed\"") != NULL, "the JSON report");
    CHECK(slbcert_deploy_report_failure_status(report) == SLBCERT_OK && str_eq(slbcert_deploy_report_failure_message(report), ""),
          "no failure");
    CHECK(on(id) == 5, "the emulator has all five bindings on the new certificate");
    fixture_run("served '%s' '%s' api.c-deploy.example", world.address1, world.port1);
    CHECK(str_eq(value("FINGERPRINT"), world.new_fingerprint), "a handshake of our own sees the new certificate for api");
    char journal_copy[1024];
    snprintf(journal_copy, sizeof journal_copy, "%s", show(journal));
    slbcert_deploy_report_free(report);

    /* Again: nothing to switch, no journal, no Set. */
    CHECK(slbcert_client_deploy(&report, client, bundle, &options) == SLBCERT_OK, "deploy again");
    CHECK(slbcert_deploy_report_outcome(report) == SLBCERT_DEPLOY_ALREADY_DEPLOYED, "ALREADY_DEPLOYED");
    CHECK(slbcert_deploy_report_journal(report) == NULL, "no journal for a run that changed nothing");
    int result = 0;
    slbcert_deploy_report_binding(report, 0, NULL, NULL, NULL, NULL, NULL, NULL, &result);
    CHECK(result == SLBCERT_BINDING_UNCHANGED, "bindings UNCHANGED");
    slbcert_deploy_report_free(report);

    /* Rollback from the journal. */
    CHECK(slbcert_client_rollback(&report, client, journal_copy) == SLBCERT_OK, "rollback");
    CHECK(slbcert_deploy_report_outcome(report) == SLBCERT_DEPLOY_ROLLED_BACK, "ROLLED_BACK");
    slbcert_deploy_report_binding(report, 0, NULL, NULL, NULL, NULL, NULL, NULL, &result);
    CHECK(result == SLBCERT_BINDING_ROLLED_BACK, "bindings ROLLED_BACK");
    CHECK(slbcert_deploy_report_failure_status(report) == SLBCERT_OK, "a complete rollback has no failure");
    CHECK(on(world.old) == 5, "the emulator has all five back on the old certificate");
    slbcert_deploy_report_free(report);

    /* delete_old: the old certificate goes once nothing uses it. */
    options.verify_tls = 0;
    options.delete_old = 1;
    CHECK(slbcert_client_deploy(&report, client, bundle, &options) == SLBCERT_OK, "deploy with delete_old");
    CHECK(slbcert_deploy_report_deleted_count(report) == 1 && str_eq(slbcert_deploy_report_deleted(report, 0), world.old),
          "the old certificate is deleted");
    slbcert_deploy_report_free(report);
    slbcert_bundle_free(bundle);
}

static void test_fault_rolls_back(slbcert_client *client) {
    new_world();
    fixture_run("faults '%s' '%s' '[{\"action\": \"SetDomainExtensionAttribute\", \"fault\": \"internal\", \"times\": 20}]'",
                world.url, world.ca);
    slbcert_bundle *bundle = bundle_of(world.new_chain, world.new_key);
    slbcert_deploy_options options = fast_options();
    slbcert_deploy_report *report = NULL;
    CHECK(slbcert_client_deploy(&report, client, bundle, &options) == SLBCERT_OK, "a deploy that fails returns its report");
    CHECK(slbcert_deploy_report_outcome(report) == SLBCERT_DEPLOY_ROLLED_BACK, "ROLLED_BACK");
    CHECK(slbcert_deploy_report_failure_status(report) == SLBCERT_ESERVICE, "the failure is the service's");
    CHECK(str_eq(slbcert_deploy_report_failure_service_code(report), "InternalError"), "InternalError");
    CHECK(strstr(slbcert_deploy_report_failure_message(report), "Switching") != NULL, "the message names the switch: %s",
          show(slbcert_deploy_report_failure_message(report)));
    int results[7] = { 0 };
    for (size_t i = 0; i < slbcert_deploy_report_binding_count(report); i++) {
        int result = 0;
        slbcert_deploy_report_binding(report, i, NULL, NULL, NULL, NULL, NULL, NULL, &result);
        if (result >= 1 && result <= 7) results[result - 1]++;
    }
    CHECK(results[SLBCERT_BINDING_ROLLED_BACK - 1] == 2 && results[SLBCERT_BINDING_PENDING - 1] == 3, "2 rolled back, 3 pending");
    CHECK(on(world.old) == 5, "everything is on the old certificate");
    slbcert_deploy_report_free(report);
    fixture_run("faults '%s' '%s' '[]'", world.url, world.ca);
    slbcert_bundle_free(bundle);
}

static void test_refused_and_empty(slbcert_client *client) {
    new_world();
    slbcert_bundle *bundle = bundle_of(world.new_chain, world.new_key);
    slbcert_deploy_options options = fast_options();
    slbcert_deploy_report *report = (slbcert_deploy_report *)&options;
    const char *elsewhere[] = { "1111111111111111_18f0000000_1_2" };
    options.replace_ids = elsewhere;
    options.replace_count = 1;
    CHECK(slbcert_client_deploy(&report, client, bundle, &options) == SLBCERT_EREFUSED && report == NULL,
          "a replaced id not in the region is refused");
    CHECK(str_eq(slbcert_last_error_reason(), "CERTIFICATE_NOT_IN_REGION"), "reason %s", slbcert_last_error_reason());
    CHECK(strstr(slbcert_last_error_hint(), "replace_ids") != NULL, "the hint names the C field: %s", slbcert_last_error_hint());
    options.replace_ids = NULL;
    options.replace_count = 0;
    const char *far[] = { "lb-notinthisregion0000000" };
    options.load_balancer_ids = far;
    options.load_balancer_count = 1;
    CHECK(slbcert_client_deploy(&report, client, bundle, &options) == SLBCERT_EREFUSED, "an unknown load balancer is refused");
    CHECK(str_eq(slbcert_last_error_reason(), "LOAD_BALANCER_NOT_IN_REGION"), "reason %s", slbcert_last_error_reason());
    options.load_balancer_ids = NULL;
    options.load_balancer_count = 1;
    CHECK(slbcert_client_deploy(&report, client, bundle, &options) == SLBCERT_EINVAL, "NULL ids with a count");
    CHECK(str_eq(slbcert_last_error_argument(), "load_balancer_ids"), "argument %s", slbcert_last_error_argument());
    options.load_balancer_count = 0;
    options.busy_timeout_ms = -5;
    CHECK(slbcert_client_deploy(&report, client, bundle, &options) == SLBCERT_EINVAL, "a budget out of range");
    CHECK(strstr(slbcert_last_error_message(), "busy_timeout_ms") != NULL, "names busy_timeout_ms: %s", slbcert_last_error_message());
    options.busy_timeout_ms = 1000;
    CHECK(on(world.old) == 5, "nothing changed");

    options.dry_run = 1;
    CHECK(slbcert_client_deploy(&report, client, bundle, &options) == SLBCERT_OK, "a dry run");
    CHECK(slbcert_deploy_report_outcome(report) == SLBCERT_DEPLOY_PLANNED && slbcert_deploy_report_journal(report) == NULL,
          "PLANNED, no journal");
    int result = 0;
    slbcert_deploy_report_binding(report, 4, NULL, NULL, NULL, NULL, NULL, NULL, &result);
    CHECK(result == SLBCERT_BINDING_PLANNED, "bindings PLANNED");
    slbcert_deploy_report_free(report);
    CHECK(on(world.old) == 5, "a dry run changes nothing");
    options.dry_run = 0;

    slbcert_bundle *unrelated = bundle_of(world.unrelated_chain, world.unrelated_key);
    CHECK(slbcert_client_deploy(&report, client, unrelated, &options) == SLBCERT_OK, "a certificate that replaces nothing");
    CHECK(slbcert_deploy_report_outcome(report) == SLBCERT_DEPLOY_NOTHING_TO_DEPLOY, "NOTHING_TO_DEPLOY");
    CHECK(slbcert_deploy_report_binding_count(report) == 0, "no bindings");
    slbcert_deploy_report_free(report);
    slbcert_bundle_free(unrelated);

    char bogus[512];
    snprintf(bogus, sizeof bogus, "%s/not-a-journal.jsonl", workdir);
    FILE *file = fopen(bogus, "w");
    if (file) { fputs("hello\n", file); fclose(file); }
    CHECK(slbcert_client_rollback(&report, client, bogus) == SLBCERT_EINVAL && report == NULL, "rollback of a file that is not a journal");
    CHECK(str_eq(slbcert_last_error_reason(), "JOURNAL_UNUSABLE"), "reason %s", slbcert_last_error_reason());
    CHECK(slbcert_client_rollback(&report, client, NULL) == SLBCERT_EINVAL, "rollback of NULL");
    slbcert_bundle_free(bundle);
}

int main(void) {
    python = getenv("SLBCERT_TEST_PYTHON");
    if (python == NULL) {
        fprintf(stderr, "SLBCERT_TEST_PYTHON is not set (make test-c sets it)\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    const char *here = getenv("SLBCERT_TEST_FIXTURE");
    snprintf(fixture, sizeof fixture, "%s", here ? here : "Tests/c/deploy_fixture.py");
    snprintf(workdir, sizeof workdir, "/tmp/slbcert-c-deploy-XXXXXX");
    if (mkdtemp(workdir) == NULL) return 2;
    setenv("SLBCERT_STATE_DIR", workdir, 1);
    unsetenv("HTTPS_PROXY");
    unsetenv("https_proxy");

    test_options();
    test_null_handles();
    if (CHECK(start_server() == 0, "the emulator started")) {
        snprintf(world.url, sizeof world.url, "%s", value("URL"));
        snprintf(world.ca, sizeof world.ca, "%s", value("CA"));
        snprintf(access_key_id, sizeof access_key_id, "%s", value("ACCESS_KEY_ID"));
        snprintf(access_key_secret, sizeof access_key_secret, "%s", value("ACCESS_KEY_SECRET"));
        slbcert_client *client = new_client();
        test_deploy_and_rollback(client);
        test_fault_rolls_back(client);
        test_refused_and_empty(client);
        slbcert_client_free(client);
    }
    stop_server();
    char command[512];
    snprintf(command, sizeof command, "rm -rf '%s'", workdir);
    if (system(command) != 0) fprintf(stderr, "could not remove %s\n", workdir);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
