// Guest helper for the funclatency-nested VM scenario: makes the kernel function
// ep_poll_callback() recurse a known number of times.
//
// An eventfd is watched by epoll instance 1, which is watched by epoll instance 2, ... up to
// --depth. Each write to the eventfd wakes its wait queue -> ep_poll_callback() of instance 1,
// which wakes instance 1's poll_wait queue -> ep_poll_callback() of instance 2, and so on: one
// write = --depth nested calls of the same function on the same thread. The eventfd is never
// read (a read would wake the queue again with EPOLLOUT), so the only calls are the nested ones.
//
// Usage: nested_epoll [--depth D] [--count N]   (defaults 3 and 1000; D <= 4, the kernel's
// epoll nesting limit EP_MAX_NESTS)
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

enum { MAX_DEPTH = 4 };

static long parse_option(const char* name, const char* value, long min, long max) {
    char* end = NULL;
    long parsed = value ? strtol(value, &end, 10) : 0;
    if (!value || *end != '\0' || parsed < min || parsed > max) {
        fprintf(stderr, "nested_epoll: %s needs a number in [%ld, %ld]\n", name, min, max);
        exit(2);
    }
    return parsed;
}

int main(int argc, char** argv) {
    long depth = 3;
    long count = 1000;
    for (int i = 1; i < argc; i += 2) {
        if (strcmp(argv[i], "--depth") == 0) {
            depth = parse_option("--depth", argv[i + 1], 1, MAX_DEPTH);
        } else if (strcmp(argv[i], "--count") == 0) {
            count = parse_option("--count", argv[i + 1], 1, 100000000);
        } else {
            fprintf(stderr, "usage: nested_epoll [--depth 1..%d] [--count N]\n", MAX_DEPTH);
            return 2;
        }
    }
    int event_fd = eventfd(0, EFD_CLOEXEC);
    if (event_fd < 0) {
        perror("nested_epoll: eventfd");
        return 1;
    }
    int watched_fd = event_fd;
    int epoll_fds[MAX_DEPTH];
    for (long level = 0; level < depth; ++level) {
        epoll_fds[level] = epoll_create1(EPOLL_CLOEXEC);
        struct epoll_event event = {.events = EPOLLIN, .data = {.fd = watched_fd}};
        if (epoll_fds[level] < 0 ||
            epoll_ctl(epoll_fds[level], EPOLL_CTL_ADD, watched_fd, &event) != 0) {
            fprintf(stderr, "nested_epoll: epoll level %ld: %s\n", level + 1, strerror(errno));
            return 1;
        }
        watched_fd = epoll_fds[level];
    }
    const uint64_t one = 1;
    for (long i = 0; i < count; ++i) {
        if (write(event_fd, &one, sizeof one) != (ssize_t)sizeof one) {
            perror("nested_epoll: write");
            return 1;
        }
    }
    printf("nested_epoll: %ld writes, depth %ld: %ld ep_poll_callback calls expected\n", count,
           depth, count * depth);
    for (long level = 0; level < depth; ++level) {
        close(epoll_fds[level]);
    }
    close(event_fd);
    return 0;
}
