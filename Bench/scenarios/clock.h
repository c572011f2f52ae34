/* The clocks the C programs of the scenarios share: monotonic seconds and this process's CPU. */
#ifndef SPACES_BENCH_CLOCK_H
#define SPACES_BENCH_CLOCK_H
#include <sys/resource.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* User + system CPU seconds of this process so far. */
static double cpu(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}
#endif
