// Blocks once in known functions, then exits at once: its user frames must be
// symbolized from what was pinned while it lived.
// usage: exiter [sleep_ms=300] [start_delay_ms=0]
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "stackwork.h"

__attribute__((noinline)) void exiter_block(long sleep_ms) {
    struct timespec request = {sleep_ms / 1000, (sleep_ms % 1000) * 1000000L};
    STACKWORK_NANOSLEEP(&request);
}

__attribute__((noinline)) void exiter_outer(long sleep_ms) {
    exiter_block(sleep_ms);
    __asm__ volatile("" ::: "memory");
}

int main(int argc, char** argv) {
    if (argc > 2)
        usleep((useconds_t)atol(argv[2]) * 1000);
    exiter_outer(argc > 1 ? atol(argv[1]) : 300);
    _exit(0);
}
