// Blocks once in known functions, then exits at once: its user frames must be
// symbolized from what was pinned while it lived.
// With a PLUGIN (a shared object), it first blocks briefly in its own code (so a
// tracer sees it and reads its maps), then dlopens the plugin and blocks in
// exiter_plugin_block(): the plugin's frames must be symbolized too, though the
// process had other mappings when it was first seen and is gone at report time.
// usage: exiter [sleep_ms=300] [start_delay_ms=0] [PLUGIN]
#include <dlfcn.h>
#include <stdio.h>
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
    long sleep_ms = argc > 1 ? atol(argv[1]) : 300;
    if (argc > 3) {
        exiter_outer(50);
        void* plugin = dlopen(argv[3], RTLD_NOW);
        void (*plugin_block)(long) =
            plugin ? (void (*)(long))dlsym(plugin, "exiter_plugin_block") : NULL;
        if (!plugin_block) {
            fprintf(stderr, "exiter: %s\n", dlerror());
            _exit(1);
        }
        plugin_block(sleep_ms);
        _exit(0);
    }
    exiter_outer(sleep_ms);
    _exit(0);
}
