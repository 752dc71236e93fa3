/* A host that dlclose()s the library must survive it: a thread that signed a request exits after the
 * library was closed (its thread-local destructors run then), and the host forks afterwards (the
 * library's fork handlers). Without -z nodelete the thread's exit jumps into unmapped code.
 *
 * Usage: test_unload PATH-TO-libslbcert.so.1 (TAP output; exit 0 when every check passes). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "slbcert.h"

typedef int (*credentials_new_fn)(slbcert_credentials **, const char *, const char *, const char *);
typedef int (*sign_fn)(slbcert_signed_request **, const slbcert_credentials *, const char *, const char *,
                       const char *, const char *const *, const char *const *, size_t, const slbcert_sign_options *);
typedef void (*signed_request_free_fn)(slbcert_signed_request *);
typedef void (*credentials_free_fn)(slbcert_credentials *);

static void *library;
static int signed_status = 1, closed;

static void *sign_then_wait(void *unused) {
    (void)unused;
    credentials_new_fn credentials_new;
    sign_fn sign;
    signed_request_free_fn request_free;
    credentials_free_fn credentials_free;
    /* POSIX's way of turning dlsym's object pointer into a function pointer without a cast ISO C forbids. */
    *(void **)&credentials_new = dlsym(library, "slbcert_credentials_new_static");
    *(void **)&sign = dlsym(library, "slbcert_sign");
    *(void **)&request_free = dlsym(library, "slbcert_signed_request_free");
    *(void **)&credentials_free = dlsym(library, "slbcert_credentials_free");
    int status = -1;
    if (credentials_new && sign && request_free && credentials_free) {
        slbcert_credentials *credentials = NULL;
        slbcert_signed_request *request = NULL;
        const char *keys[] = {"RegionId"}, *values[] = {"cn-hangzhou"};
        slbcert_sign_options options = SLBCERT_SIGN_OPTIONS_INIT;
        status = credentials_new(&credentials, "LTAI-unload-test", "unload-test-secret", NULL);
        if (status == SLBCERT_OK)
            status = sign(&request, credentials, "DescribeServerCertificates", "2014-05-15", "slb.aliyuncs.com",
                          keys, values, 1, &options);
        request_free(request);
        credentials_free(credentials);
    }
    __atomic_store_n(&signed_status, status == SLBCERT_OK ? 0 : 2, __ATOMIC_SEQ_CST);
    for (int waited = 0; !__atomic_load_n(&closed, __ATOMIC_SEQ_CST) && waited < 10000; waited++) usleep(1000);
    return NULL; /* the thread-local destructors run as this thread exits */
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: test_unload PATH-TO-LIBRARY\n"); return 2; }
    printf("1..4\n");
    library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!library) { printf("not ok 1 - dlopen: %s\n", dlerror()); return 1; }
    printf("ok 1 - dlopen\n");

    pthread_t thread;
    if (pthread_create(&thread, NULL, sign_then_wait, NULL) != 0) { printf("not ok 2 - pthread_create\n"); return 1; }
    for (int waited = 0; __atomic_load_n(&signed_status, __ATOMIC_SEQ_CST) == 1 && waited < 10000; waited++) usleep(1000);
    int status = __atomic_load_n(&signed_status, __ATOMIC_SEQ_CST);
    printf("%s 2 - a thread signed a request (status %d)\n", status == 0 ? "ok" : "not ok", status);

    int closed_status = dlclose(library);
    __atomic_store_n(&closed, 1, __ATOMIC_SEQ_CST);
    pthread_join(thread, NULL);
    printf("%s 3 - dlclose, then the signing thread exited\n", closed_status == 0 ? "ok" : "not ok");

    fflush(stdout);
    pid_t child = fork();
    if (child == 0) _exit(0);
    int child_status = -1;
    int forked = child > 0 && waitpid(child, &child_status, 0) == child && WIFEXITED(child_status)
                 && WEXITSTATUS(child_status) == 0;
    printf("%s 4 - fork after dlclose\n", forked ? "ok" : "not ok");
    return status == 0 && closed_status == 0 && forked ? 0 : 1;
}
