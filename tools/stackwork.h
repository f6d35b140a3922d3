// Helpers for the known-stack workloads. glibc is built without frame
// pointers, so a frame-pointer unwinder that starts inside a glibc syscall
// wrapper skips the wrapper's caller. These issue the syscall inline, from the
// calling function's own frame, so the user stack is exactly the call chain.
#pragma once
#include <stddef.h>
#include <sys/syscall.h>
#include <time.h>

static inline __attribute__((always_inline)) long inline_syscall3(long nr, long a, long b, long c) {
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a), "S"(b), "d"(c)
                     : "rcx", "r11", "memory");
    return ret;
}

// nanosleep(2) issued from the caller's frame.
#define STACKWORK_NANOSLEEP(request) inline_syscall3(SYS_nanosleep, (long)(request), 0, 0)
// read(2) issued from the caller's frame.
#define STACKWORK_READ(fd, buf, len) inline_syscall3(SYS_read, (long)(fd), (long)(buf), (long)(len))
