// Known off-CPU stack: main -> outer -> inner -> nanosleep(2), repeated (the
// syscall is issued inline in inner, see stackwork.h).
// usage: blocker [iterations=20] [sleep_ms=50] [start_delay_ms=0]
// (the start delay lets a test attach a tracer with -p PID first)
// Prints "slept_us=N" (the sleep it measured itself) so tests can compare.
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

int main(int argc, char** argv) {
    long iterations = argc > 1 ? atol(argv[1]) : 20;
    long sleep_ms = argc > 2 ? atol(argv[2]) : 50;
    long start_delay_ms = argc > 3 ? atol(argv[3]) : 0;
    if (start_delay_ms > 0)
        usleep((useconds_t)start_delay_ms * 1000);
    uint64_t slept = 0;
    for (long i = 0; i < iterations; i++) slept += outer(sleep_ms);
    printf("slept_us=%llu\n", (unsigned long long)(slept / 1000));
    return 0;
}
