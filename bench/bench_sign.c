/* Signatures per second through the public C API, for bench/sign_bench.py --extra.
 * Signs the same UploadServerCertificate request as sign_bench.py (4 KB chain, 2 KB key), V1 and V3,
 * body placement, fresh nonce and time each call, one thread. Prints "<label> <rate>" lines.
 * Build: cc -O2 bench/bench_sign.c $(pkg-config --cflags --libs slbcert) -o build/bench/bench_sign */
#include <slbcert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int run(const char *label, int signature_version, const slbcert_credentials *credentials,
               const char *const *keys, const char *const *values, size_t count, double seconds) {
    slbcert_sign_options options = SLBCERT_SIGN_OPTIONS_INIT;
    options.signature_version = signature_version;
    long signatures = 0;
    double start = now_seconds(), elapsed = 0;
    while (elapsed < seconds) {
        for (int i = 0; i < 50; i++) {
            slbcert_signed_request *request = NULL;
            int status = slbcert_sign(&request, credentials, "UploadServerCertificate", "2014-05-15",
                                      "slb.aliyuncs.com", keys, values, count, &options);
            if (status != SLBCERT_OK) {
                fprintf(stderr, "slbcert_sign: %s\n", slbcert_last_error_message());
                return 1;
            }
            slbcert_signed_request_free(request);
        }
        signatures += 50;
        elapsed = now_seconds() - start;
    }
    printf("%s %.0f\n", label, (double)signatures / elapsed);
    return 0;
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 2.0;
    unsigned seed = 7;
    char *chain_a = pem("CERTIFICATE", 3000, &seed), *chain_b = pem("CERTIFICATE", 1000, &seed);
    char *chain = malloc(strlen(chain_a) + strlen(chain_b) + 1);
    strcpy(chain, chain_a);
    strcat(chain, chain_b);
    char *key = pem("RSA PRIVATE KEY", 2000, &seed);
    const char *keys[] = {"RegionId", "ServerCertificate", "PrivateKey", "ServerCertificateName"};
    const char *values[] = {"cn-hangzhou", chain, key, "bench-cert"};
    slbcert_credentials *credentials = NULL;
    if (slbcert_credentials_new_static(&credentials, "LTAI5tBenchmarkKeyId", "BenchmarkSecretBenchmarkSecret", NULL) != SLBCERT_OK) {
        fprintf(stderr, "credentials: %s\n", slbcert_last_error_message());
        return 1;
    }
    int failed = run("slbcert C API V1 (slbcert_sign)", SLBCERT_SIGNATURE_V1, credentials, keys, values, 4, seconds)
              || run("slbcert C API V3 (slbcert_sign)", SLBCERT_SIGNATURE_V3, credentials, keys, values, 4, seconds);
    slbcert_credentials_free(credentials);
    free(chain_a); free(chain_b); free(chain); free(key);
    return failed;
}
