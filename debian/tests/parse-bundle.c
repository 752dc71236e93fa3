/* Parses a certificate chain and its key with the installed libslbcert and prints what a user checks
 * first. Built with `pkg-config --cflags --libs slbcert`, as a user of libslbcert-dev builds. */
#include <slbcert.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_file(const char *path, size_t *length) {
    FILE *file = fopen(path, "rb");
    if (!file) { perror(path); exit(2); }
    char *data = malloc(SLBCERT_MAX_INPUT_BYTES);
    if (!data) { fclose(file); exit(2); }
    *length = fread(data, 1, SLBCERT_MAX_INPUT_BYTES, file);
    fclose(file);
    return data;
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s CHAIN KEY\n", argv[0]); return 2; }
    if (strcmp(slbcert_version(), SLBCERT_VERSION_STRING) != 0 ||
        slbcert_version_number() != SLBCERT_VERSION_NUMBER) {
        fprintf(stderr, "header %s, library %s\n", SLBCERT_VERSION_STRING, slbcert_version());
        return 1;
    }
    size_t cert_len, key_len;
    char *cert = read_file(argv[1], &cert_len);
    char *key = read_file(argv[2], &key_len);
    slbcert_check_options options = SLBCERT_CHECK_OPTIONS_INIT;
    slbcert_bundle *bundle = NULL;
    int status = slbcert_bundle_parse(&bundle, cert, cert_len, key, key_len, NULL, 0, &options);
    free(cert);
    free(key);
    if (status != SLBCERT_OK) {
        fprintf(stderr, "slbcert_bundle_parse: %s: %s\n", slbcert_error_name(status), slbcert_last_error_message());
        return 1;
    }
    for (size_t i = 0; i < slbcert_bundle_finding_count(bundle); i++) {
        int severity = 0;
        const char *code = NULL, *message = NULL;
        if (slbcert_bundle_finding(bundle, i, &severity, &code, &message) == SLBCERT_OK)
            fprintf(stderr, "finding %s: %s\n", code, message);
    }
    const slbcert_certificate *leaf = slbcert_bundle_certificate(bundle, 0);
    printf("fingerprint %s\n", leaf ? slbcert_certificate_fingerprint(leaf) : "-");
    printf("common_name %s\n", leaf ? slbcert_certificate_common_name(leaf) : "-");
    printf("chain_length %zu\n", slbcert_bundle_chain_length(bundle));
    printf("key %s %d\n", slbcert_bundle_has_key(bundle) ? slbcert_bundle_key_algorithm(bundle) : "none",
           slbcert_bundle_key_bits(bundle));
    printf("has_errors %d\n", slbcert_bundle_has_errors(bundle));
    slbcert_bundle_free(bundle);
    return 0;
}
