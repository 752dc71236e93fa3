/* The slbcert side of bench/client_bench.py: uploads and describes through the public C API with one
 * slbcert_client on one thread, and the CPU time (getrusage RUSAGE_SELF, user + sys) of each loop.
 *
 * Usage: bench_client --endpoint URL --ca FILE --access-key-id ID --region REGION
 *                     --certs DIR --count N --key FILE [--describes M] [--ensure] [--signature v1|v3]
 *   The AccessKeySecret comes from ALIBABA_CLOUD_ACCESS_KEY_SECRET (no secret in argv).
 *   DIR holds leaf-000.pem .. leaf-(N-1).pem (each a chain, leaf first); FILE is their shared key.
 *   The bundles are parsed before the clock starts (that CPU is reported apart, as parse_cpu_s).
 *   Without --ensure each upload sets options.no_ensure = 1: one UploadServerCertificate request, as
 *   the SDK sends. With --ensure, the default duplicate-safe upload (a describe, then the upload).
 *   After the uploads, M describes of the whole region (each answer lists the N certificates).
 *   --count 0 --describes M only describes what the region holds (for a profile of describe alone).
 * Output: one JSON object on stdout. Exit status 0, or 1 at the first failed call (the error on stderr).
 * Build: cc -O2 -std=c11 bench/bench_client.c $(pkg-config --cflags --libs slbcert) -o build/bench/bench_client */
#define _POSIX_C_SOURCE 200809L
#include <slbcert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_support.h"

static int failed(const char *what, long index, int status) {
    fprintf(stderr, "bench_client: %s #%ld failed: %s (%s): %s [code %s, http %d, request %s]\n", what, index,
            slbcert_strerror(status), slbcert_error_name(status), slbcert_last_error_message(),
            slbcert_last_error_service_code(), slbcert_last_error_http_status(), slbcert_last_error_request_id());
    return 1;
}

int main(int argc, char **argv) {
    struct client_args args;
    if (parse_client_args(argc, argv, "bench_client", 1, &args)) return 2;
    const char *endpoint = args.endpoint, *ca = args.ca, *ak = args.access_key_id, *secret = args.secret;
    const char *region = args.region, *dir = args.certs, *key_path = args.key;
    long count = args.count, describes = args.describes;
    int signature = args.signature;
    int ensure = args.ensure;

    /* Inputs, before any clock: read and parse every bundle. */
    size_t key_len = 0;
    char *key = read_file(key_path, &key_len);
    slbcert_bundle **bundles = calloc((size_t)count + 1, sizeof *bundles);
    struct clock_pair t = now(), parse;
    for (long i = 0; i < count; i++) {
        char path[4096];
        size_t cert_len = 0;
        snprintf(path, sizeof path, "%s/leaf-%03ld.pem", dir, i);
        char *cert = read_file(path, &cert_len);
        int status = slbcert_bundle_parse(&bundles[i], cert, cert_len, key, key_len, NULL, 0, NULL);
        free(cert);
        if (status != SLBCERT_OK) return failed("slbcert_bundle_parse", i, status);
        if (slbcert_bundle_has_errors(bundles[i])) {
            const char *code = NULL, *message = NULL;
            slbcert_bundle_finding(bundles[i], 0, NULL, &code, &message);
            fprintf(stderr, "bench_client: %s has error findings: %s %s\n", path, code, message);
            return 1;
        }
    }
    parse = since(t);

    slbcert_credentials *credentials = NULL;
    int status = slbcert_credentials_new_static(&credentials, ak, secret, NULL);
    if (status != SLBCERT_OK) return failed("slbcert_credentials_new_static", 0, status);
    slbcert_client_options options = SLBCERT_CLIENT_OPTIONS_INIT;
    options.region_id = region;
    options.endpoint = endpoint;
    options.credentials = credentials;
    options.signature_version = signature;
    options.ca_bundle = ca;
    options.max_attempts = 1; /* a retry would be a second request: the figures are per request */
    slbcert_client *client = NULL;
    t = now();
    status = slbcert_client_new(&client, &options);
    struct clock_pair client_new = since(t);
    if (status != SLBCERT_OK) return failed("slbcert_client_new", 0, status);

    slbcert_upload_options upload_options = SLBCERT_UPLOAD_OPTIONS_INIT;
    upload_options.no_ensure = !ensure;
    long uploaded = 0;
    t = now();
    for (long i = 0; i < count; i++) {
        slbcert_upload_result *result = NULL;
        status = slbcert_client_upload(&result, client, bundles[i], &upload_options);
        if (status != SLBCERT_OK) return failed("slbcert_client_upload", i, status);
        uploaded += slbcert_upload_result_uploaded(result) == 1;
        slbcert_upload_result_free(result);
    }
    struct clock_pair uploads = since(t);

    size_t listed = 0;
    t = now();
    for (long i = 0; i < describes; i++) {
        slbcert_certificate_list *list = NULL;
        status = slbcert_client_describe(&list, client, NULL);
        if (status != SLBCERT_OK) return failed("slbcert_client_describe", i, status);
        listed = slbcert_certificate_list_count(list);
        slbcert_certificate_list_free(list);
    }
    struct clock_pair describe = since(t);

    printf("{\"uploads\": %ld, \"uploaded\": %ld, \"describes\": %ld, \"listed\": %zu, ", count, uploaded, describes, listed);
    print_clock("parse", parse);
    print_clock("client_new", client_new);
    print_clock("upload", uploads);
    print_clock("describe", describe);
    printf("\"signature\": \"%s\", \"ensure\": %d}\n", signature == SLBCERT_SIGNATURE_V3 ? "v3" : "v1", ensure);

    slbcert_client_free(client);
    slbcert_credentials_free(credentials);
    for (long i = 0; i < count; i++) slbcert_bundle_free(bundles[i]);
    free(bundles);
    free(key);
    return 0;
}
