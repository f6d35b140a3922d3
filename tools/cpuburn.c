// Burns CPU in two named functions in a known ratio.
// usage: cpuburn [seconds=3] [percent_in_burn_heavy=75] [start_delay_ms=0]
// Prints "rounds=N heavy_percent=P cpu_us=C" (C: its own CPU time, for
// checking a sampler's rate).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static volatile uint64_t sink;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

// Called after each burst so the burners are not leaf functions: leaf functions
// get no frame pointer (-momit-leaf-frame-pointer), which would hide main.
__attribute__((noinline)) void burst_done(uint64_t x) {
    sink = x;
}

// Each unit is the same loop, so time splits as the unit counts do.
__attribute__((noinline)) void burn_heavy(long units) {
    uint64_t x = sink;
    for (long i = 0; i < units * 100000; i++)
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    burst_done(x);
}

__attribute__((noinline)) void burn_light(long units) {
    uint64_t x = sink;
    for (long i = 0; i < units * 100000; i++)
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    burst_done(x);
}

int main(int argc, char** argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 3;
    long heavy = argc > 2 ? atol(argv[2]) : 75;
    long light = 100 - heavy;
    if (argc > 3)
        usleep((useconds_t)atol(argv[3]) * 1000);
    double end = now_s() + seconds;
    long rounds = 0;
    while (now_s() < end) {
        burn_heavy(heavy);
        burn_light(light);
        rounds++;
    }
    struct timespec cpu;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
    printf("rounds=%ld heavy_percent=%ld cpu_us=%lld\n", rounds, heavy,
           (long long)cpu.tv_sec * 1000000 + cpu.tv_nsec / 1000);
    return 0;
}
