/*
 * Linked into the C programs of `make test-sanitize` (the ABI suite and the example): the sanitizers'
 * settings, compiled in because examples/c/run-against-emulator.sh runs the example under `env -i`,
 * where ASAN_OPTIONS would not reach it. Every report also goes to a file under SANITIZER_LOG_PREFIX
 * (mk/sanitize.mk sets it), so `make test-sanitize` counts reports whatever a program's exit status is:
 * the example's expected failures exit 1 and 3, which an ASan report (exit status 1 by default) could
 * otherwise pass for. ASan and UBSan share one runtime and its common flags (the exit status and the
 * log file), so both set the same ones: a report of either exits 86 and goes to SANITIZER_LOG_PREFIX
 * "report.<pid>".
 */
#ifndef SANITIZER_LOG_PREFIX
#error "SANITIZER_LOG_PREFIX must name the directory and file prefix of the reports"
#endif

#define COMMON_OPTIONS "exitcode=86:log_path=" SANITIZER_LOG_PREFIX "report"

const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

__attribute__((used, visibility("default"))) const char *__asan_default_options(void) {
    return "detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1:"
           COMMON_OPTIONS;
}

__attribute__((used, visibility("default"))) const char *__ubsan_default_options(void) {
    return "print_stacktrace=1:halt_on_error=1:" COMMON_OPTIONS;
}
