/* The floor row of bench/client_bench.py: the HTTP exchanges bench_client.c makes, made by a minimal
 * libcurl client that parses nothing, so that the client rows can be read against what TLS, HTTP and
 * the kernel cost by themselves.
 *
 * Every request is built before the clock starts, with the library's own signer (slbcert_sign), from
 * the same parameters slbcert_client_upload (options.no_ensure = 1) and slbcert_client_describe send:
 * UploadServerCertificate with RegionId, ServerCertificate and PrivateKey (the bundle's normalised
 * PEMs), DescribeServerCertificates with RegionId; body placement, the same headers (the signed ones,
 * "Accept: application/json", no "Expect"), the same User-Agent. Each signed request has its own nonce,
 * so the emulator accepts every one. The timed loops only send: one easy handle (one connection, kept
 * alive), the same TLS settings (the CA file, peer and host verification on), the answer's bytes
 * counted and dropped; a status other than 200 ends the run. The CPU time (getrusage RUSAGE_SELF,
 * user + sys) of each loop is reported as bench_client.c reports it.
 *
 * Usage: bench_curl_floor --endpoint URL --ca FILE --access-key-id ID --region REGION
 *                         --certs DIR --count N --key FILE [--describes M] [--signature v1|v3]
 *   The AccessKeySecret comes from ALIBABA_CLOUD_ACCESS_KEY_SECRET (no secret in argv).
 * Output: one JSON object on stdout (the keys of bench_client.c's). Exit status 0, or 1 at the first failure.
 * Build: cc -O2 -std=c11 bench/bench_curl_floor.c $(pkg-config --cflags --libs slbcert libcurl) -o build/bench/bench_curl_floor */
#define _POSIX_C_SOURCE 200809L
#include <slbcert.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "bench_support.h"

/* One request, ready to send: the URL, the header list and the body (the signed request owns the body). */
struct prepared {
    char *url;
    struct curl_slist *headers;
    slbcert_signed_request *signed_request;
};

static int prepare(struct prepared *out, const slbcert_credentials *credentials, const char *endpoint, const char *host,
                   const char *action, const char *const *keys, const char *const *values, size_t count,
                   const slbcert_sign_options *options) {
    if (slbcert_sign(&out->signed_request, credentials, action, "2014-05-15", host, keys, values, count, options) != SLBCERT_OK) {
        fprintf(stderr, "bench_curl_floor: slbcert_sign: %s\n", slbcert_last_error_message());
        return 1;
    }
    const char *path = slbcert_signed_request_path_and_query(out->signed_request);
    out->url = malloc(strlen(endpoint) + strlen(path) + 1);
    strcpy(out->url, endpoint);
    strcat(out->url, path);
    out->headers = NULL;
    for (size_t i = 0; i < slbcert_signed_request_header_count(out->signed_request); i++) {
        const char *name = NULL, *value = NULL;
        slbcert_signed_request_header(out->signed_request, i, &name, &value);
        char *line = malloc(strlen(name) + strlen(value) + 3);
        sprintf(line, "%s: %s", name, value);
        out->headers = curl_slist_append(out->headers, line);
        free(line);
    }
    out->headers = curl_slist_append(out->headers, "Accept: application/json");
    out->headers = curl_slist_append(out->headers, "Expect:");
    return 0;
}

static void prepared_free(struct prepared *p) {
    free(p->url);
    curl_slist_free_all(p->headers);
    slbcert_signed_request_free(p->signed_request);
}

static size_t count_bytes(char *data, size_t size, size_t n, void *user) {
    (void)data;
    *(size_t *)user += size * n;
    return size * n;
}

static size_t ignore_header(char *data, size_t size, size_t n, void *user) {
    (void)data; (void)user;
    return size * n;
}

/* Sends one prepared request on the shared handle; returns the answer's length, or -1. */
static long send_one(CURL *curl, const struct prepared *p) {
    size_t received = 0;
    curl_easy_setopt(curl, CURLOPT_URL, p->url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, p->headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, slbcert_signed_request_body(p->signed_request));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)slbcert_signed_request_body_length(p->signed_request));
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &received);
    CURLcode code = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (code != CURLE_OK || status != 200) {
        fprintf(stderr, "bench_curl_floor: %s: %s, HTTP %ld\n", p->url, curl_easy_strerror(code), status);
        return -1;
    }
    return (long)received;
}

int main(int argc, char **argv) {
    struct client_args args;
    if (parse_client_args(argc, argv, "bench_curl_floor", 0, &args)) return 2;
    const char *endpoint = args.endpoint, *ca = args.ca, *ak = args.access_key_id, *secret = args.secret;
    const char *region = args.region, *dir = args.certs, *key_path = args.key;
    long count = args.count, describes = args.describes;
    int signature = args.signature;
    const char *host = strstr(endpoint, "://") ? strstr(endpoint, "://") + 3 : endpoint;

    /* The User-Agent slbcert sends: "slbcert/VERSION (SYSNAME; MACHINE)". */
    struct utsname system;
    uname(&system);
    char user_agent[512];
    snprintf(user_agent, sizeof user_agent, "slbcert/%s (%s; %s)", slbcert_version(), system.sysname, system.machine);

    slbcert_credentials *credentials = NULL;
    if (slbcert_credentials_new_static(&credentials, ak, secret, NULL) != SLBCERT_OK) {
        fprintf(stderr, "bench_curl_floor: credentials: %s\n", slbcert_last_error_message());
        return 1;
    }
    slbcert_sign_options options = SLBCERT_SIGN_OPTIONS_INIT;
    options.signature_version = signature;

    /* Before the clock: every request, signed. */
    size_t key_len = 0;
    char *key = read_file(key_path, &key_len);
    struct prepared *uploads = calloc((size_t)count + 1, sizeof *uploads);
    struct prepared *lists = calloc((size_t)describes + 1, sizeof *lists);
    for (long i = 0; i < count; i++) {
        char path[4096];
        size_t cert_len = 0;
        snprintf(path, sizeof path, "%s/leaf-%03ld.pem", dir, i);
        char *cert = read_file(path, &cert_len);
        slbcert_bundle *bundle = NULL;
        if (slbcert_bundle_parse(&bundle, cert, cert_len, key, key_len, NULL, 0, NULL) != SLBCERT_OK
            || slbcert_bundle_has_errors(bundle)) {
            fprintf(stderr, "bench_curl_floor: %s does not parse cleanly\n", path);
            return 1;
        }
        const char *keys[] = {"RegionId", "ServerCertificate", "PrivateKey"};
        const char *values[] = {region, slbcert_bundle_normalized_certificate_pem(bundle),
                                slbcert_bundle_normalized_private_key_pem(bundle)};
        if (prepare(&uploads[i], credentials, endpoint, host, "UploadServerCertificate", keys, values, 3, &options)) return 1;
        slbcert_bundle_free(bundle);
        free(cert);
    }
    for (long i = 0; i < describes; i++) {
        const char *keys[] = {"RegionId"}, *values[] = {region};
        if (prepare(&lists[i], credentials, endpoint, host, "DescribeServerCertificates", keys, values, 1, &options)) return 1;
    }

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return 1;
    CURL *curl = curl_easy_init();
    if (!curl) return 1;
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_CAINFO, ca);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 60000L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, user_agent);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, count_bytes);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, ignore_header);

    struct clock_pair t = now();
    for (long i = 0; i < count; i++) if (send_one(curl, &uploads[i]) < 0) return 1;
    struct clock_pair upload = since(t);
    long received = 0;
    t = now();
    for (long i = 0; i < describes; i++) if ((received = send_one(curl, &lists[i])) < 0) return 1;
    struct clock_pair describe = since(t);

    printf("{\"uploads\": %ld, \"uploaded\": %ld, \"describes\": %ld, \"describe_bytes\": %ld, ",
           count, count, describes, received);
    print_clock("upload", upload);
    print_clock("describe", describe);
    printf("\"signature\": \"%s\", \"ensure\": 0}\n", signature == SLBCERT_SIGNATURE_V3 ? "v3" : "v1");

    curl_easy_cleanup(curl);
    curl_global_cleanup();
    for (long i = 0; i < count; i++) prepared_free(&uploads[i]);
    for (long i = 0; i < describes; i++) prepared_free(&lists[i]);
    free(uploads);
    free(lists);
    free(key);
    slbcert_credentials_free(credentials);
    return 0;
}
