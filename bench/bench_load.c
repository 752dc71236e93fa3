/* How long a C program waits for libslbcert: dlopen(RTLD_NOW) of the library and its first call
 * (slbcert_version), measured in a fresh process each run, since only the first load is cold.
 * Usage: bench_load LIBRARY [runs]   Prints the median and the range over the runs. */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* One cold load in this process: returns the milliseconds, or -1. */
static double load_once(const char *library) {
    double start = now_ms();
    void *handle = dlopen(library, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) { fprintf(stderr, "dlopen: %s\n", dlerror()); return -1; }
    const char *(*version)(void);
    *(void **)&version = dlsym(handle, "slbcert_version");
    if (version == NULL || version()[0] == '\0') return -1;
    return now_ms() - start;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s LIBRARY [runs]\n", argv[0]); return 2; }
    int runs = argc > 2 ? atoi(argv[2]) : 21;
    if (runs < 1 || runs > 1000) runs = 21;
    double *times = calloc((size_t)runs, sizeof *times);
    for (int i = 0; i < runs; i++) {
        int pipe_fds[2];
        if (times == NULL || pipe(pipe_fds) != 0) return 1;
        pid_t child = fork();
        if (child == 0) {
            double ms = load_once(argv[1]);
            ssize_t written = write(pipe_fds[1], &ms, sizeof ms);
            _exit(written == (ssize_t)sizeof ms && ms >= 0 ? 0 : 1);
        }
        close(pipe_fds[1]);
        if (read(pipe_fds[0], &times[i], sizeof times[i]) != (ssize_t)sizeof times[i]) times[i] = -1;
        close(pipe_fds[0]);
        int status = 0;
        waitpid(child, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || times[i] < 0) { fprintf(stderr, "run %d failed\n", i); return 1; }
    }
    qsort(times, (size_t)runs, sizeof *times, compare);
    printf("dlopen + first call of %s: median %.2f ms (min %.2f, max %.2f) over %d fresh processes\n",
           argv[1], times[runs / 2], times[0], times[runs - 1], runs);
    free(times);
    return 0;
}
