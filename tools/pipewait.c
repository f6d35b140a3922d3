// Two processes ping-pong a byte over a pair of pipes. The parent waits in
// main -> pipe_reader_loop -> wait_for_byte -> read. Lots of wakeups for
// runqlat; a known pipe-wait stack for offcputime.
// usage: pipewait [round_trips=20000] [writer_delay_us=0] [start_delay_ms=0]
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stackwork.h"

__attribute__((noinline)) int wait_for_byte(int fd) {
    char byte;
    return STACKWORK_READ(fd, &byte, 1) == 1 ? 0 : -1;
}

__attribute__((noinline)) long pipe_reader_loop(int in, int out, long rounds) {
    long done = 0;
    for (long i = 0; i < rounds; i++) {
        if (write(out, "x", 1) != 1 || wait_for_byte(in) != 0)
            break;
        done++;
    }
    return done;
}

__attribute__((noinline)) void pipe_echo_loop(int in, int out, long delay_us) {
    char byte;
    while (read(in, &byte, 1) == 1) {
        if (delay_us > 0) {
            struct timespec request = {delay_us / 1000000, (delay_us % 1000000) * 1000};
            nanosleep(&request, NULL);
        }
        if (write(out, &byte, 1) != 1)
            break;
    }
}

int main(int argc, char** argv) {
    long rounds = argc > 1 ? atol(argv[1]) : 20000;
    long delay_us = argc > 2 ? atol(argv[2]) : 0;
    if (argc > 3)
        usleep((useconds_t)atol(argv[3]) * 1000);
    int to_child[2], to_parent[2];
    if (pipe(to_child) || pipe(to_parent))
        return 1;
    pid_t child = fork();
    if (child == 0) {
        close(to_child[1]);
        close(to_parent[0]);
        pipe_echo_loop(to_child[0], to_parent[1], delay_us);
        _exit(0);
    }
    close(to_child[0]);
    close(to_parent[1]);
    long done = pipe_reader_loop(to_parent[0], to_child[1], rounds);
    close(to_child[1]);
    waitpid(child, NULL, 0);
    printf("round_trips=%ld\n", done);
    return done == rounds ? 0 : 1;
}
