// Known off-CPU stack: main -> outer -> inner -> nanosleep(2), repeated (the
// syscall is issued inline in inner, see stackwork.h).
// With SHORT_US > 0, each iteration also blocks SHORTS times for SHORT_US in
// main -> brief_pause -> nanosleep: short and long blocks on different stacks
// (for the -m/-M filters).
// usage: blocker [iterations=20] [sleep_ms=50] [start_delay_ms=0] [short_us=0] [shorts=5]
// (the start delay lets a tracer attach with -p PID first; tests gate the
// start instead, see tests/integration/stack_workload.h)
// Prints "slept_us=N" (the long sleeps as it measured them) and
// "short_total_us=N" (the short ones) so tests can compare.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "stackwork.h"

// Not inlined: the leaf address right after the inline syscall must belong to inner.
__attribute__((noinline)) static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

__attribute__((noinline)) uint64_t inner(long sleep_ms) {
    struct timespec request = {sleep_ms / 1000, (sleep_ms % 1000) * 1000000L};
    uint64_t start = now_ns();
    STACKWORK_NANOSLEEP(&request);
    return now_ns() - start;
}

__attribute__((noinline)) uint64_t outer(long sleep_ms) {
    uint64_t slept = inner(sleep_ms);
    __asm__ volatile("" ::: "memory");  // keep outer a real frame
    return slept;
}

__attribute__((noinline)) uint64_t brief_pause(long sleep_us) {
    struct timespec request = {sleep_us / 1000000, (sleep_us % 1000000) * 1000L};
    uint64_t start = now_ns();
    STACKWORK_NANOSLEEP(&request);
    return now_ns() - start;
}

int main(int argc, char** argv) {
    long iterations = argc > 1 ? atol(argv[1]) : 20;
    long sleep_ms = argc > 2 ? atol(argv[2]) : 50;
    long start_delay_ms = argc > 3 ? atol(argv[3]) : 0;
    long short_us = argc > 4 ? atol(argv[4]) : 0;
    long shorts = argc > 5 ? atol(argv[5]) : 5;
    if (start_delay_ms > 0)
        usleep((useconds_t)start_delay_ms * 1000);
    uint64_t slept = 0, short_total = 0;
    for (long i = 0; i < iterations; i++) {
        slept += outer(sleep_ms);
        for (long j = 0; short_us > 0 && j < shorts; j++) short_total += brief_pause(short_us);
    }
    printf("slept_us=%llu\n", (unsigned long long)(slept / 1000));
    printf("short_total_us=%llu\n", (unsigned long long)(short_total / 1000));
    return 0;
}
