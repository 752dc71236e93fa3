/*
 * upload: check a certificate chain and its private key, then upload them to Alibaba Cloud SLB
 * without creating a duplicate.
 *
 *   upload [--region ID] [--endpoint URL] [--ca-bundle FILE] [--name NAME] [--verbose]
 *          CERT_FILE KEY_FILE [PASSPHRASE_FILE]
 *
 * The passphrase of an encrypted key is read from PASSPHRASE_FILE or from the file named by
 * SLBCERT_PASSPHRASE_FILE, never from the command line (other users can read a process's argv).
 * Region, endpoint and CA bundle come from the options, else from ALIBABA_CLOUD_REGION_ID,
 * SLBCERT_ENDPOINT and ALIBABA_CLOUD_CA_BUNDLE. Credentials come from the library's default chain:
 * ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET (and _SECURITY_TOKEN), then the
 * aliyun CLI profile, the credentials file, the ECS instance role.
 *
 * Exit status: 0 uploaded or already present, 1 the upload failed, 2 usage, 3 the bundle has
 * errors (nothing was sent).
 *
 * Build: cc -Wall -Wextra -Werror -std=c11 upload.c $(pkg-config --cflags --libs slbcert) -o upload
 */
#include <slbcert.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { EXIT_UPLOAD_FAILED = 1, EXIT_USAGE = 2, EXIT_INVALID_BUNDLE = 3 };

/* ---------------------------------------------------------------------------------------------- */
/* Secrets: buffers that held a key or passphrase are wiped before they are freed.                */

/* A memset the compiler may not remove because the buffer is freed right after. */
static void wipe(void *memory, size_t length)
{
    volatile unsigned char *bytes = memory;
    while (length--) {
        *bytes++ = 0;
    }
}

struct buffer {
    char *data;
    size_t length;
};

static void buffer_free(struct buffer *buffer, int secret)
{
    if (buffer->data != NULL) {
        if (secret) {
            wipe(buffer->data, buffer->length);
        }
        free(buffer->data);
    }
    buffer->data = NULL;
    buffer->length = 0;
}

/* Reads a whole file (at most `limit` bytes). Growing copies are wiped when `secret`. */
static int read_file(const char *path, size_t limit, int secret, struct buffer *out)
{
    FILE *file = fopen(path, "rb");
    size_t capacity = 4096;
    char *data;

    out->data = NULL;
    out->length = 0;
    if (file == NULL) {
        fprintf(stderr, "upload: cannot open %s\n", path);
        return -1;
    }
    data = malloc(capacity);
    if (data == NULL) {
        fclose(file);
        fprintf(stderr, "upload: out of memory reading %s\n", path);
        return -1;
    }
    for (;;) {
        size_t got = fread(data + out->length, 1, capacity - out->length, file);
        out->length += got;
        if (out->length > limit) {
            fprintf(stderr, "upload: %s is larger than %zu bytes\n", path, limit);
            break;
        }
        if (got == 0) {
            if (ferror(file)) {
                fprintf(stderr, "upload: cannot read %s\n", path);
                break;
            }
            fclose(file);
            out->data = data;
            return 0;
        }
        if (out->length == capacity) {
            /* Grow by copying into a new block, so the old one can be wiped (realloc would not). */
            char *bigger = malloc(capacity * 2);
            if (bigger == NULL) {
                fprintf(stderr, "upload: out of memory reading %s\n", path);
                break;
            }
            memcpy(bigger, data, out->length);
            if (secret) {
                wipe(data, capacity);
            }
            free(data);
            data = bigger;
            capacity *= 2;
        }
    }
    if (secret) {
        wipe(data, capacity);
    }
    free(data);
    fclose(file);
    out->length = 0;
    return -1;
}

/* ---------------------------------------------------------------------------------------------- */
/* Errors, as include/slbcert.h documents them: the status, slbcert_strerror(), then this thread's */
/* last-error details, read right after the failing call (the next slbcert call replaces them).    */

static void report_failure(const char *what, int status)
{
    const char *message = slbcert_last_error_message();
    const char *hint = slbcert_last_error_hint();
    const char *code = slbcert_last_error_service_code();
    const char *request_id = slbcert_last_error_request_id();
    const char *host_id = slbcert_last_error_host_id();
    const char *recommend = slbcert_last_error_recommend();
    int http_status = slbcert_last_error_http_status();
    int transport_code = slbcert_last_error_transport_code();

    fprintf(stderr, "upload: %s failed: %s (%s, %d)\n", what, slbcert_strerror(status),
            slbcert_error_name(status), status);
    if (*message) {
        fprintf(stderr, "  message:    %s\n", message);
    }
    if (*code) {
        fprintf(stderr, "  code:       %s\n", code);
    }
    if (*request_id) {
        fprintf(stderr, "  request id: %s\n", request_id);
    }
    if (http_status != 0) {
        fprintf(stderr, "  http:       %d\n", http_status);
    }
    if (*host_id) {
        fprintf(stderr, "  host id:    %s\n", host_id);
    }
    if (*recommend) {
        fprintf(stderr, "  see:        %s\n", recommend);
    }
    if (transport_code != 0) {
        fprintf(stderr, "  curl code:  %d\n", transport_code);
    }
    if (*hint) {
        fprintf(stderr, "  hint:       %s\n", hint);
    }
}

/* ---------------------------------------------------------------------------------------------- */

static void log_line(void *user_data, int level, const char *line)
{
    static const char *const names[] = { "?", "error", "warning", "info", "debug" };
    (void)user_data;
    fprintf(stderr, "slbcert %s: %s\n", (level >= 1 && level <= 4) ? names[level] : names[0], line);
}

static void usage(FILE *to)
{
    fprintf(to,
            "usage: upload [--region ID] [--endpoint URL] [--ca-bundle FILE] [--name NAME] [--verbose]\n"
            "              CERT_FILE KEY_FILE [PASSPHRASE_FILE]\n"
            "Checks CERT_FILE (the chain, leaf first or in any order) and KEY_FILE, then uploads them to\n"
            "SLB unless a certificate with the same fingerprint is already there.\n"
            "  --region ID       default: ALIBABA_CLOUD_REGION_ID (then the profile's region)\n"
            "  --endpoint URL    default: SLBCERT_ENDPOINT (then the region's public endpoint)\n"
            "  --ca-bundle FILE  default: ALIBABA_CLOUD_CA_BUNDLE (then the system's CAs)\n"
            "  --name NAME       ServerCertificateName (default: the service names it after the CN)\n"
            "  --verbose         log each request (redacted) to stderr\n"
            "The key's passphrase is read from PASSPHRASE_FILE or the file SLBCERT_PASSPHRASE_FILE names.\n"
            "Credentials: ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or a profile.\n");
}

/* An environment variable, or NULL when unset or empty. */
static const char *env(const char *name)
{
    const char *value = getenv(name);
    return (value != NULL && *value != '\0') ? value : NULL;
}

static void print_findings(const slbcert_bundle *bundle)
{
    size_t count = slbcert_bundle_finding_count(bundle);
    size_t index;
    for (index = 0; index < count; index++) {
        int severity = 0;
        const char *code = NULL;
        const char *message = NULL;
        int status = slbcert_bundle_finding(bundle, index, &severity, &code, &message);
        if (status != SLBCERT_OK) {
            report_failure("slbcert_bundle_finding", status);
            return;
        }
        printf("%s %s: %s\n", severity == SLBCERT_SEVERITY_ERROR ? "error" : "warning", code, message);
    }
}

int main(int argc, char **argv)
{
    const char *region = env("ALIBABA_CLOUD_REGION_ID");
    const char *endpoint = env("SLBCERT_ENDPOINT");
    const char *ca_bundle = env("ALIBABA_CLOUD_CA_BUNDLE");
    const char *name = NULL;
    const char *passphrase_path = env("SLBCERT_PASSPHRASE_FILE");
    const char *positional[3] = { NULL, NULL, NULL };
    int positional_count = 0;
    int verbose = 0;
    int exit_status = EXIT_UPLOAD_FAILED;
    int status;
    int index;
    struct buffer cert = { NULL, 0 }, key = { NULL, 0 }, passphrase = { NULL, 0 };
    slbcert_check_options check_options = SLBCERT_CHECK_OPTIONS_INIT;
    slbcert_client_options client_options = SLBCERT_CLIENT_OPTIONS_INIT;
    slbcert_upload_options upload_options = SLBCERT_UPLOAD_OPTIONS_INIT;
    slbcert_bundle *bundle = NULL;
    slbcert_client *client = NULL;
    slbcert_upload_result *result = NULL;
    const slbcert_certificate *leaf;
    const slbcert_server_certificate *stored;

    for (index = 1; index < argc; index++) {
        const char *arg = argv[index];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(arg, "--verbose") == 0) {
            verbose = 1;
        } else if ((strcmp(arg, "--region") == 0 || strcmp(arg, "--endpoint") == 0 ||
                    strcmp(arg, "--ca-bundle") == 0 || strcmp(arg, "--name") == 0) && index + 1 < argc) {
            const char *value = argv[++index];
            if (strcmp(arg, "--region") == 0) {
                region = value;
            } else if (strcmp(arg, "--endpoint") == 0) {
                endpoint = value;
            } else if (strcmp(arg, "--ca-bundle") == 0) {
                ca_bundle = value;
            } else {
                name = value;
            }
        } else if (arg[0] == '-' && arg[1] != '\0') {
            fprintf(stderr, "upload: unknown option or missing value: %s\n", arg);
            usage(stderr);
            return EXIT_USAGE;
        } else if (positional_count < 3) {
            positional[positional_count++] = arg;
        } else {
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (positional_count < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (positional_count == 3) {
        passphrase_path = positional[2];
    }

    /* The header this was compiled with and the library loaded at run time must agree. */
    if (slbcert_version_number() / 10000 != SLBCERT_VERSION_MAJOR ||
        slbcert_version_number() < SLBCERT_VERSION_NUMBER) {
        fprintf(stderr, "upload: built for slbcert %s but libslbcert is %s\n", SLBCERT_VERSION_STRING,
                slbcert_version());
        return EXIT_UPLOAD_FAILED;
    }

    /* 1. Read and check the chain and key. Nothing leaves the machine yet. */
    if (read_file(positional[0], SLBCERT_MAX_INPUT_BYTES, 0, &cert) != 0 ||
        read_file(positional[1], SLBCERT_MAX_INPUT_BYTES, 1, &key) != 0 ||
        (passphrase_path != NULL && read_file(passphrase_path, 4096, 1, &passphrase) != 0)) {
        goto done;
    }
    while (passphrase.length > 0 &&
           (passphrase.data[passphrase.length - 1] == '\n' || passphrase.data[passphrase.length - 1] == '\r')) {
        passphrase.data[--passphrase.length] = '\0'; /* a trailing newline is not part of it */
    }
    if (cert.length == 0 || key.length == 0) {
        fprintf(stderr, "upload: %s is empty\n", cert.length == 0 ? positional[0] : positional[1]);
        goto done;
    }

    status = slbcert_bundle_parse(&bundle, cert.data, cert.length, key.data, key.length,
                                  passphrase.length > 0 ? passphrase.data : NULL, passphrase.length,
                                  &check_options);
    /* The library keeps its own copy of the key: ours is wiped now. */
    buffer_free(&key, 1);
    buffer_free(&passphrase, 1);
    if (status != SLBCERT_OK) {
        report_failure("slbcert_bundle_parse", status);
        goto done;
    }

    leaf = slbcert_bundle_certificate(bundle, 0);
    if (leaf != NULL) {
        printf("certificate: CN=%s, %zu in chain, expires %s\n", slbcert_certificate_common_name(leaf),
               slbcert_bundle_chain_length(bundle), slbcert_certificate_not_after(leaf));
        printf("fingerprint: %s\n", slbcert_certificate_fingerprint(leaf));
    }
    if (slbcert_bundle_has_key(bundle)) {
        printf("key:         %s %d bits\n", slbcert_bundle_key_algorithm(bundle), slbcert_bundle_key_bits(bundle));
    }
    print_findings(bundle);
    if (slbcert_bundle_has_errors(bundle)) {
        fprintf(stderr, "upload: the bundle has errors; nothing was sent\n");
        exit_status = EXIT_INVALID_BUNDLE;
        goto done;
    }

    /* 2. A client; NULL credentials: the library resolves its default chain here. */
    client_options.region_id = region;
    client_options.endpoint = endpoint;
    client_options.ca_bundle = ca_bundle;
    client_options.user_agent_suffix = "upload-example";
    if (verbose) {
        client_options.log_fn = log_line;
        client_options.log_level = SLBCERT_LOG_DEBUG;
    }
    status = slbcert_client_new(&client, &client_options);
    if (status != SLBCERT_OK) {
        report_failure("slbcert_client_new", status);
        goto done;
    }
    printf("endpoint:    %s (region %s)\n", slbcert_client_endpoint(client), slbcert_client_region(client));

    /* 3. The duplicate-safe upload (default options, plus a name when one was given). */
    upload_options.name = name;
    status = slbcert_client_upload(&result, client, bundle, &upload_options);
    if (status != SLBCERT_OK) {
        report_failure("slbcert_client_upload", status);
        if (status == SLBCERT_EVALIDATION) {
            exit_status = EXIT_INVALID_BUNDLE;
        }
        goto done;
    }
    stored = slbcert_upload_result_certificate(result);
    printf("id:          %s\n", slbcert_server_certificate_id(stored));
    printf("name:        %s\n", slbcert_server_certificate_name(stored));
    printf("fingerprint: %s\n", slbcert_server_certificate_fingerprint(stored));
    printf("expires:     %s\n", slbcert_server_certificate_expire_time(stored));
    size_t in_region = slbcert_certificate_list_count(slbcert_upload_result_region_certificates(result));
    switch (slbcert_upload_result_outcome(result)) {
    case SLBCERT_UPLOAD_UPLOADED:
        printf("result:      uploaded (request id %s)\n", slbcert_server_certificate_request_id(stored));
        break;
    case SLBCERT_UPLOAD_CONVERGED:
        printf("result:      another upload stored it first; this run's copy %s was removed\n",
               slbcert_upload_result_removed(result, 0) ? slbcert_upload_result_removed(result, 0) : "");
        break;
    default:
        printf("result:      already present, nothing uploaded (%zu %s in the region)\n", in_region,
               in_region == 1 ? "certificate" : "certificates");
        break;
    }
    exit_status = 0;

done:
    slbcert_upload_result_free(result);
    slbcert_client_free(client);
    slbcert_bundle_free(bundle);
    buffer_free(&cert, 0);
    buffer_free(&key, 1);
    buffer_free(&passphrase, 1);
    return exit_status;
}
