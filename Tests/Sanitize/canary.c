/*
 * The sanitizers' check of themselves, run by `make test-sanitize-c` before the suites: a read past a
 * caller's buffer inside the library must give an ASan report, and a signed overflow in C a UBSan one
 * (each exits 86 and leaves a report file). Without this, "no reports" could mean "no sanitizer".
 *
 *   canary asan | canary ubsan
 */
#include <limits.h>
#include <slbcert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "asan") == 0) {
        char *chain = malloc(16);
        slbcert_bundle *bundle = NULL;
        if (chain == NULL) return 2;
        memset(chain, 'A', 16);
        /* 48 bytes more than the buffer holds: the library's copy of the input reads past its end. */
        slbcert_bundle_parse(&bundle, chain, 64, NULL, 0, NULL, 0, NULL);
        slbcert_bundle_free(bundle);
        free(chain);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "ubsan") == 0) {
        int value = INT_MAX - 1;
        value += argc; /* INT_MAX - 1 + 2 */
        printf("%d\n", value);
        return 0;
    }
    fprintf(stderr, "usage: canary asan|ubsan\n");
    return 2;
}
