/* Signatures per second through the public C API, for bench/sign_bench.py --extra.
 *
 * Signs an UploadServerCertificate request (4 KB chain, 2 KB key, body placement, fresh nonce and
 * time each call, one thread) with slbcert_sign(), V1 and V3, and measures the native floor: the bare
 * cryptography over the very strings slbcert produced, through OpenSSL's libcrypto (the copy the
 * library itself uses; it is dlopen()ed so this file needs no -lcrypto on its command line):
 *   V1 floor: HMAC-SHA1(secret + "&", string-to-sign) + base64 of the 20-byte MAC;
 *   V3 floor: SHA-256(body) + SHA-256(canonical request) + HMAC-SHA256(secret,
 *             "ACS3-HMAC-SHA256\n" + hex) + hex of the MAC (what ACS3-HMAC-SHA256 cannot avoid).
 * Rates are per second of this process's CPU time (getrusage RUSAGE_SELF, user + sys), so load from
 * other processes distorts them less than wall time would.
 *
 * Output: "<label> <rate>" lines; lines starting with '#' are facts (sizes), not rates.
 * Usage: bench_sign [--seconds S] [--chain FILE --key FILE] [--profile v1|v3 N]
 *        (default 2 s per row; without files the chain and key are random base64 PEM blocks of the same
 *        sizes as sign_bench.py's). --profile v1|v3 N makes exactly N slbcert_sign calls of that version
 *        (and frees each result) and prints nothing else, for:
 *          valgrind --tool=callgrind --toggle-collect=slbcert_sign --toggle-collect=slbcert_signed_request_free \
 *                   bench_sign --profile v1 200
 *        --profile floor-v1|floor-v3 N runs N floor steps instead (--toggle-collect=floor_v1_step / floor_v3_step).
 * Build: cc -O2 -std=c11 bench/bench_sign.c $(pkg-config --cflags --libs slbcert) -o build/bench/bench_sign */
#define _POSIX_C_SOURCE 200809L
#include <slbcert.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_support.h"

static const char *AK = "LTAI5tBenchmarkKeyId", *SECRET = "BenchmarkSecretBenchmarkSecret";
static const char *HOST = "slb.aliyuncs.com";

/* ------------------------------------------------------------------------------------ inputs */
static char *pem(const char *label, size_t size, unsigned *seed) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc(size + size / 64 + 128), *p = out;
    p += sprintf(p, "-----BEGIN %s-----\n", label);
    for (size_t i = 0; i < size; i++) {
        *p++ = alphabet[rand_r(seed) % 64];
        if (i % 64 == 63 || i + 1 == size) *p++ = '\n';
    }
    sprintf(p, "-----END %s-----\n", label);
    return out;
}

/* ------------------------------------------------------------------------------------ slbcert */
struct sign_ctx {
    const slbcert_credentials *credentials;
    const char *const *keys, *const *values;
    size_t count;
    slbcert_sign_options options;
};

static int sign_step(void *p) {
    struct sign_ctx *c = p;
    slbcert_signed_request *request = NULL;
    if (slbcert_sign(&request, c->credentials, "UploadServerCertificate", "2014-05-15", HOST,
                     c->keys, c->values, c->count, &c->options) != SLBCERT_OK) {
        fprintf(stderr, "slbcert_sign: %s\n", slbcert_last_error_message());
        return 1;
    }
    slbcert_signed_request_free(request);
    return 0;
}

/* ------------------------------------------------------------------------------------ native floor */
typedef const void *(*md_fn)(void);
typedef unsigned char *(*hmac_fn)(const void *md, const void *key, int key_len, const unsigned char *data,
                                  size_t data_len, unsigned char *out, unsigned int *out_len);
typedef unsigned char *(*sha256_fn)(const unsigned char *data, size_t len, unsigned char *out);
typedef int (*b64_fn)(unsigned char *out, const unsigned char *in, int n);
static md_fn EVP_sha1_, EVP_sha256_;
static hmac_fn HMAC_;
static sha256_fn SHA256_;
static b64_fn EVP_EncodeBlock_;

static int load_libcrypto(void) {
    void *h = dlopen("libcrypto.so.3", RTLD_NOW);
    if (!h) h = dlopen("libcrypto.so", RTLD_NOW);
    if (!h) { fprintf(stderr, "# no libcrypto: %s\n", dlerror()); return 1; }
    *(void **)&EVP_sha1_ = dlsym(h, "EVP_sha1");
    *(void **)&EVP_sha256_ = dlsym(h, "EVP_sha256");
    *(void **)&HMAC_ = dlsym(h, "HMAC");
    *(void **)&SHA256_ = dlsym(h, "SHA256");
    *(void **)&EVP_EncodeBlock_ = dlsym(h, "EVP_EncodeBlock");
    return !(EVP_sha1_ && EVP_sha256_ && HMAC_ && SHA256_ && EVP_EncodeBlock_);
}

static void hex(char *out, const unsigned char *in, size_t n) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) { out[2 * i] = digits[in[i] >> 4]; out[2 * i + 1] = digits[in[i] & 15]; }
    out[2 * n] = '\0';
}

struct floor_ctx {
    const char *key; int key_len;   /* V1: secret + "&"; V3: secret */
    const char *text; size_t text_len; /* V1: the string-to-sign; V3: the canonical request */
    const char *body; size_t body_len; /* V3 only */
    char out[128];
};

static int floor_v1_step(void *p) {
    struct floor_ctx *c = p;
    unsigned char mac[64]; unsigned int n = 0;
    HMAC_(EVP_sha1_(), c->key, c->key_len, (const unsigned char *)c->text, c->text_len, mac, &n);
    EVP_EncodeBlock_((unsigned char *)c->out, mac, (int)n);
    return 0;
}

static int floor_v3_step(void *p) {
    struct floor_ctx *c = p;
    unsigned char digest[32], mac[64]; unsigned int n = 0;
    char sts[17 + 64 + 1] = "ACS3-HMAC-SHA256\n";
    SHA256_((const unsigned char *)c->body, c->body_len, digest);      /* x-acs-content-sha256 */
    hex(c->out, digest, 32);
    SHA256_((const unsigned char *)c->text, c->text_len, digest);      /* hash of the canonical request */
    hex(sts + 17, digest, 32);
    HMAC_(EVP_sha256_(), c->key, c->key_len, (const unsigned char *)sts, 17 + 64, mac, &n);
    hex(c->out, mac, n);
    return 0;
}

/* ------------------------------------------------------------------------------------ main */
int main(int argc, char **argv) {
    double seconds = 2.0;
    const char *chain_path = NULL, *key_path = NULL, *profile = NULL;
    long profile_calls = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--chain") && i + 1 < argc) chain_path = argv[++i];
        else if (!strcmp(argv[i], "--key") && i + 1 < argc) key_path = argv[++i];
        else if (!strcmp(argv[i], "--profile") && i + 2 < argc) { profile = argv[++i]; profile_calls = atol(argv[++i]); }
        else if (argv[i][0] != '-') seconds = atof(argv[i]);
        else { fprintf(stderr, "usage: %s [--seconds S] [--chain FILE --key FILE] [--profile v1|v3|floor-v1|floor-v3 N]\n", argv[0]); return 2; }
    }
    char *chain, *key;
    if (chain_path && key_path) {
        chain = read_file(chain_path, NULL);
        key = read_file(key_path, NULL);
    } else {
        unsigned seed = 7;
        char *a = pem("CERTIFICATE", 3000, &seed), *b = pem("CERTIFICATE", 1000, &seed);
        chain = malloc(strlen(a) + strlen(b) + 1);
        strcpy(chain, a);
        strcat(chain, b);
        free(a); free(b);
        key = pem("RSA PRIVATE KEY", 2000, &seed);
    }
    const char *keys[] = {"RegionId", "ServerCertificate", "PrivateKey", "ServerCertificateName"};
    const char *values[] = {"cn-hangzhou", chain, key, "bench-cert"};
    slbcert_credentials *credentials = NULL;
    if (slbcert_credentials_new_static(&credentials, AK, SECRET, NULL) != SLBCERT_OK) {
        fprintf(stderr, "credentials: %s\n", slbcert_last_error_message());
        return 1;
    }
    struct sign_ctx v1 = {credentials, keys, values, 4, SLBCERT_SIGN_OPTIONS_INIT}, v3 = v1;
    v1.options.signature_version = SLBCERT_SIGNATURE_V1;
    v3.options.signature_version = SLBCERT_SIGNATURE_V3;

    if (profile && (!strcmp(profile, "v1") || !strcmp(profile, "v3"))) {
        struct sign_ctx *c = !strcmp(profile, "v3") ? &v3 : &v1;
        for (long i = 0; i < profile_calls; i++) if (sign_step(c)) return 1;
        slbcert_credentials_free(credentials);
        free(chain); free(key);
        return 0;
    }

    /* One request of each kind, to take the exact strings slbcert signs for the floor rows. */
    slbcert_signed_request *r1 = NULL, *r3 = NULL;
    if (slbcert_sign(&r1, credentials, "UploadServerCertificate", "2014-05-15", HOST, keys, values, 4, &v1.options)
        || slbcert_sign(&r3, credentials, "UploadServerCertificate", "2014-05-15", HOST, keys, values, 4, &v3.options)) {
        fprintf(stderr, "slbcert_sign: %s\n", slbcert_last_error_message());
        return 1;
    }
    if (profile) {
        /* --profile floor-v1|floor-v3 N: N floor steps over these strings, for callgrind --toggle-collect=floor_v1_step. */
        if (load_libcrypto()) return 1;
        size_t secret_len = strlen(SECRET);
        char v1_key[256];
        snprintf(v1_key, sizeof v1_key, "%s&", SECRET);
        const char *s1 = slbcert_signed_request_string_to_sign(r1), *s3 = slbcert_signed_request_string_to_sign(r3);
        struct floor_ctx f1 = {v1_key, (int)secret_len + 1, s1, strlen(s1), NULL, 0, {0}};
        struct floor_ctx f3 = {SECRET, (int)secret_len, s3, strlen(s3), slbcert_signed_request_body(r3),
                               slbcert_signed_request_body_length(r3), {0}};
        int v3_floor = !strcmp(profile, "floor-v3");
        if (!v3_floor && strcmp(profile, "floor-v1")) { fprintf(stderr, "--profile v1|v3|floor-v1|floor-v3\n"); return 2; }
        for (long i = 0; i < profile_calls; i++) v3_floor ? floor_v3_step(&f3) : floor_v1_step(&f1);
        slbcert_signed_request_free(r1);
        slbcert_signed_request_free(r3);
        slbcert_credentials_free(credentials);
        free(chain); free(key);
        return 0;
    }
    printf("# chain %zu bytes, key %zu bytes; slbcert V1 string-to-sign %zu bytes, V3 canonical request %zu bytes, "
           "V3 body %zu bytes\n", strlen(chain), strlen(key), strlen(slbcert_signed_request_string_to_sign(r1)),
           strlen(slbcert_signed_request_string_to_sign(r3)), slbcert_signed_request_body_length(r3));
    fflush(stdout);

    int failed = 0;
    double r;
    if ((r = rate(sign_step, &v1, seconds, 50)) < 0) failed = 1; else printf("slbcert C API V1 (slbcert_sign) %.0f\n", r);
    fflush(stdout);
    if ((r = rate(sign_step, &v3, seconds, 50)) < 0) failed = 1; else printf("slbcert C API V3 (slbcert_sign) %.0f\n", r);
    fflush(stdout);

    if (load_libcrypto() == 0) {
        size_t secret_len = strlen(SECRET);
        char *v1_key = malloc(secret_len + 2);
        memcpy(v1_key, SECRET, secret_len);
        strcpy(v1_key + secret_len, "&");
        const char *s1 = slbcert_signed_request_string_to_sign(r1), *s3 = slbcert_signed_request_string_to_sign(r3);
        struct floor_ctx f1 = {v1_key, (int)secret_len + 1, s1, strlen(s1), NULL, 0, {0}};
        struct floor_ctx f3 = {SECRET, (int)secret_len, s3, strlen(s3), slbcert_signed_request_body(r3),
                               slbcert_signed_request_body_length(r3), {0}};
        printf("native floor V1 (OpenSSL HMAC-SHA1 over the string-to-sign) %.0f\n", rate(floor_v1_step, &f1, seconds, 50));
        printf("native floor V3 (OpenSSL SHA-256 body + canonical request, HMAC-SHA256) %.0f\n",
               rate(floor_v3_step, &f3, seconds, 50));
        free(v1_key);
    } else {
        failed = 1;
    }
    slbcert_signed_request_free(r1);
    slbcert_signed_request_free(r3);
    slbcert_credentials_free(credentials);
    free(chain); free(key);
    return failed;
}
