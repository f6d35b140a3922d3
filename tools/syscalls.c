// Makes a known number of known syscalls, for syscount's tests:
//   getppid        CALLS times (default 1000)
//   openat         FAILS times on a path that does not exist: ENOENT each time
//   clock_nanosleep once, sleeping SLOW_MS (a known slow call), through nanosleep()
// then prints "getppid=N failed_opens=M errno=E slow_ms=S" and exits.
// usage: syscalls [CALLS=1000] [FAILS=7] [SLOW_MS=150]
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
    long calls = argc > 1 ? atol(argv[1]) : 1000;
    long fails = argc > 2 ? atol(argv[2]) : 7;
    long slow_ms = argc > 3 ? atol(argv[3]) : 150;
    for (long i = 0; i < calls; i++) syscall(SYS_getppid);
    int last_errno = 0;
    for (long i = 0; i < fails; i++)
        if (open("/nonexistent/bpfscope-syscalls-workload", O_RDONLY) < 0)
            last_errno = errno;
    struct timespec slow = {slow_ms / 1000, (slow_ms % 1000) * 1000000};
    nanosleep(&slow, NULL);
    printf("getppid=%ld failed_opens=%ld errno=%d slow_ms=%ld\n", calls, fails, last_errno,
           slow_ms);
    return 0;
}
