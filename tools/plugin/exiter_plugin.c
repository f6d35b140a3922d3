/* Loaded by `exiter` with dlopen after the process was first seen blocking:
 * its code is in no mapping that first look at /proc/PID/maps found. */
#include <time.h>

#include "../stackwork.h"

__attribute__((noinline)) void exiter_plugin_block(long sleep_ms) {
    struct timespec request = {sleep_ms / 1000, (sleep_ms % 1000) * 1000000L};
    STACKWORK_NANOSLEEP(&request);
    __asm__ volatile("" ::: "memory");
}
