/* What the C benchmarks share: reading an input file, CPU and wall clocks, a rate loop, and the
 * client programs' options.
 * Every figure is CPU time of this process (getrusage RUSAGE_SELF, user + sys), so load from other
 * processes distorts it less than wall time would. Header-only; each program includes it once. */
#ifndef SLBCERT_BENCH_SUPPORT_H
#define SLBCERT_BENCH_SUPPORT_H

#include <slbcert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>

/* The whole file, NUL-terminated; its length into *length when length is not NULL. Exits 2 on failure. */
static inline char *read_file(const char *path, size_t *length) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(2); }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *out = n < 0 ? NULL : malloc((size_t)n + 1);
    if (!out || fread(out, 1, (size_t)n, f) != (size_t)n) { perror(path); exit(2); }
    out[n] = '\0';
    fclose(f);
    if (length) *length = (size_t)n;
    return out;
}

static inline double cpu_seconds(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

/* Calls step() `batch` times to warm up, then in batches until `seconds` of CPU time have passed;
 * returns calls per CPU second, or -1 when a step fails (returns non-zero). */
static inline double rate(int (*step)(void *), void *ctx, double seconds, int batch) {
    for (int i = 0; i < batch; i++) if (step(ctx)) return -1;
    long calls = 0;
    double start = cpu_seconds(), elapsed = 0;
    while (elapsed < seconds) {
        for (int i = 0; i < batch; i++) if (step(ctx)) return -1;
        calls += batch;
        elapsed = cpu_seconds() - start;
    }
    return (double)calls / elapsed;
}

/* CPU (user, sys and their sum) and monotonic wall time, for loops timed as a whole. */
struct clock_pair { double cpu, user, sys, wall; };

static inline struct clock_pair now(void) {
    struct rusage u;
    struct timespec t;
    getrusage(RUSAGE_SELF, &u);
    clock_gettime(CLOCK_MONOTONIC, &t);
    struct clock_pair c;
    c.user = (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec / 1e6;
    c.sys = (double)u.ru_stime.tv_sec + (double)u.ru_stime.tv_usec / 1e6;
    c.cpu = c.user + c.sys;
    c.wall = (double)t.tv_sec + (double)t.tv_nsec / 1e9;
    return c;
}

static inline struct clock_pair since(struct clock_pair start) {
    struct clock_pair end = now(), d;
    d.cpu = end.cpu - start.cpu;
    d.user = end.user - start.user;
    d.sys = end.sys - start.sys;
    d.wall = end.wall - start.wall;
    return d;
}

/* One clock as JSON members: "NAME_cpu_s", "NAME_user_s", "NAME_sys_s", "NAME_wall_s". */
static inline void print_clock(const char *name, struct clock_pair c) {
    printf("\"%s_cpu_s\": %.6f, \"%s_user_s\": %.6f, \"%s_sys_s\": %.6f, \"%s_wall_s\": %.6f, ",
           name, c.cpu, name, c.user, name, c.sys, name, c.wall);
}

/* The options of the two client programs (bench_client.c, bench_curl_floor.c). The AccessKeySecret
 * comes from ALIBABA_CLOUD_ACCESS_KEY_SECRET, never from argv. */
struct client_args {
    const char *endpoint, *ca, *access_key_id, *secret, *region, *certs, *key;
    long count, describes;
    int ensure, signature;
};

#define CLIENT_USAGE "--endpoint URL --ca FILE --access-key-id ID --region R --certs DIR --key FILE --count N " \
                     "[--describes M] [--signature v1|v3] (the secret in ALIBABA_CLOUD_ACCESS_KEY_SECRET)"

/* Fills *args; returns 0, or prints the usage (with `extra`, the program's own flags) and returns 2.
 * --ensure is accepted only when allow_ensure is set. */
static inline int parse_client_args(int argc, char **argv, const char *program, int allow_ensure,
                                    struct client_args *args) {
    memset(args, 0, sizeof *args);
    args->signature = SLBCERT_SIGNATURE_V1;
    args->secret = getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
    int bad = 0;
    for (int i = 1; i < argc && !bad; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (allow_ensure && !strcmp(a, "--ensure")) { args->ensure = 1; continue; }
        if (!v) { bad = 1; break; }
        i++;
        if (!strcmp(a, "--endpoint")) args->endpoint = v;
        else if (!strcmp(a, "--ca")) args->ca = v;
        else if (!strcmp(a, "--access-key-id")) args->access_key_id = v;
        else if (!strcmp(a, "--region")) args->region = v;
        else if (!strcmp(a, "--certs")) args->certs = v;
        else if (!strcmp(a, "--key")) args->key = v;
        else if (!strcmp(a, "--count")) args->count = atol(v);
        else if (!strcmp(a, "--describes")) args->describes = atol(v);
        else if (!strcmp(a, "--signature")) args->signature = !strcmp(v, "v3") ? SLBCERT_SIGNATURE_V3 : SLBCERT_SIGNATURE_V1;
        else bad = 1;
    }
    if (bad || !args->endpoint || !args->ca || !args->access_key_id || !args->secret || !*args->secret || !args->region
        || !args->certs || !args->key || args->count < 0 || args->describes < 0 || args->count + args->describes == 0) {
        fprintf(stderr, "usage: %s %s%s\n", program, CLIENT_USAGE, allow_ensure ? " [--ensure]" : "");
        return 2;
    }
    return 0;
}

#endif
