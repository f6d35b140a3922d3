// Threads that block on locks, for the blocking frames of offcputime.
// usage: lockwait futex|kmutex [threads=3] [rounds=100] [hold_us=2000]
//
// futex:  threads take turns on one pthread mutex and hold it for hold_us
//         (nanosleep), so the others wait in the kernel's futex wait:
//         main -> lock_round -> take_user_lock -> pthread_mutex_lock.
// kmutex: threads read one byte at a time from the same pseudo-terminal; the
//         kernel's tty reader holds the tty's atomic_read_lock (a struct mutex)
//         while it waits for input, so the other readers sleep in the kernel
//         mutex slow path: main -> lock_round -> read_tty_byte -> read.
//         A writer thread feeds one byte per reader every hold_us.
// Prints lock_rounds=N (rounds completed by all threads) and held_us=N.
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t user_lock = PTHREAD_MUTEX_INITIALIZER;
static long rounds = 100;
static long hold_us = 2000;
static int tty_reader_fd = -1;
static long completed;
static long held_total_us;

static void sleep_us(long us) {
    struct timespec request = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&request, NULL);
}

__attribute__((noinline)) static void take_user_lock(void) {
    pthread_mutex_lock(&user_lock);
}

__attribute__((noinline)) static int read_tty_byte(void) {
    char byte;
    return read(tty_reader_fd, &byte, 1) == 1 ? 0 : -1;
}

__attribute__((noinline)) static int lock_round(int kernel_mutex) {
    if (kernel_mutex)
        return read_tty_byte();
    take_user_lock();
    sleep_us(hold_us);
    held_total_us += hold_us;
    pthread_mutex_unlock(&user_lock);
    return 0;
}

static void* worker(void* arg) {
    int kernel_mutex = *(int*)arg;
    for (long i = 0; i < rounds; i++) {
        if (lock_round(kernel_mutex) != 0)
            break;
        __atomic_fetch_add(&completed, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

int main(int argc, char** argv) {
    if (argc < 2 || (strcmp(argv[1], "futex") != 0 && strcmp(argv[1], "kmutex") != 0)) {
        fprintf(stderr, "usage: lockwait futex|kmutex [threads] [rounds] [hold_us]\n");
        return 2;
    }
    int kernel_mutex = strcmp(argv[1], "kmutex") == 0;
    int threads = argc > 2 ? atoi(argv[2]) : 3;
    rounds = argc > 3 ? atol(argv[3]) : 100;
    hold_us = argc > 4 ? atol(argv[4]) : 2000;
    if (threads < 1 || threads > 64 || rounds < 1 || hold_us < 0)
        return 2;

    int master = -1;
    if (kernel_mutex) {
        master = posix_openpt(O_RDWR | O_NOCTTY);
        if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
            perror("pty");
            return 1;
        }
        tty_reader_fd = open(ptsname(master), O_RDWR | O_NOCTTY);
        struct termios raw;
        if (tty_reader_fd < 0 || tcgetattr(tty_reader_fd, &raw) != 0) {
            perror("pty slave");
            return 1;
        }
        cfmakeraw(&raw);
        raw.c_cc[VMIN] = 1;
        raw.c_cc[VTIME] = 0;
        tcsetattr(tty_reader_fd, TCSANOW, &raw);
    }

    pthread_t ids[64];
    for (int i = 0; i < threads; i++) pthread_create(&ids[i], NULL, worker, &kernel_mutex);
    if (kernel_mutex) {
        // One byte per round per reader; the lock holder takes it and the
        // next waiter gets the mutex and waits for the next byte.
        for (long i = 0; i < rounds * threads; i++) {
            sleep_us(hold_us);
            if (write(master, "x", 1) != 1)
                break;
            held_total_us += hold_us;
        }
    }
    for (int i = 0; i < threads; i++) pthread_join(ids[i], NULL);
    printf("lock_rounds=%ld\nheld_us=%ld\n", completed, held_total_us);
    return 0;
}
