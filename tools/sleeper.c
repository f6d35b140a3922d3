/* sleeper: calls sleep_known_time() N times; each call sleeps a known time.
 * A uprobe target with an exact expected latency, for tests and benchmarks.
 * usage: sleeper [CALLS=50] [SLEEP_US=2000] [START_DELAY_MS=0]
 * START_DELAY_MS -1: print "sleeper: waiting for SIGUSR1" and start the calls
 * when that signal arrives (a test starts a tracer for this pid meanwhile; the
 * wait makes no nanosleep call, so libc's nanosleep is called exactly CALLS times).
 * busy_call() is an almost empty function for per-event overhead benchmarks:
 * sleeper --busy CALLS calls it CALLS times; sleeper --syscalls N makes N
 * getppid syscalls. Both print the loop's time as "loop_ns: X". */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

__attribute__((noinline)) void sleep_known_time(long microseconds)
{
	struct timespec ts = { microseconds / 1000000, (microseconds % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) != 0)
		;
}

__attribute__((noinline)) int busy_call(int value)
{
	__asm__ volatile("" : "+r"(value));
	return value + 1;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "--busy") == 0) {
		long calls = atol(argv[2]);
		int value = 0;
		long long start = now_ns();

		for (long i = 0; i < calls; i++)
			value = busy_call(value);
		printf("busy calls: %ld (%d)\nloop_ns: %lld\n", calls, value, now_ns() - start);
		return 0;
	}
	if (argc >= 3 && strcmp(argv[1], "--syscalls") == 0) {
		long calls = atol(argv[2]);
		long long start = now_ns();

		for (long i = 0; i < calls; i++)
			syscall(SYS_getppid);
		printf("syscalls: %ld\nloop_ns: %lld\n", calls, now_ns() - start);
		return 0;
	}
	long calls = argc > 1 ? atol(argv[1]) : 50;
	long sleep_us = argc > 2 ? atol(argv[2]) : 2000;
	long start_delay_ms = argc > 3 ? atol(argv[3]) : 0;

	if (start_delay_ms < 0) {
		sigset_t wanted;
		int signal_number;

		sigemptyset(&wanted);
		sigaddset(&wanted, SIGUSR1);
		sigprocmask(SIG_BLOCK, &wanted, NULL);
		printf("sleeper: waiting for SIGUSR1\n");
		fflush(stdout);
		sigwait(&wanted, &signal_number);
	} else if (start_delay_ms > 0) {
		/* Not through sleep_known_time: the delay must not count as a call. */
		struct timespec delay = { start_delay_ms / 1000, (start_delay_ms % 1000) * 1000000 };

		while (nanosleep(&delay, &delay) != 0)
			;
	}
	long long start = now_ns();
	long ms_slots[64] = { 0 };

	for (long i = 0; i < calls; i++) {
		long long before = now_ns();
		long long ms;
		int slot = 0;

		sleep_known_time(sleep_us);
		/* Log2 slot of the call in whole ms, the rule funclatency -m uses. */
		for (ms = (now_ns() - before) / 1000000; ms; ms >>= 1)
			slot++;
		ms_slots[slot]++;
	}
	/* What the calls really took, measured here: on a loaded machine a 2 ms
	 * sleep wakes late, and a tracer must agree with this, not with 2 ms. */
	printf("calls: %ld sleep_us: %ld\navg_call_ns: %lld\ncall_ms_log2_slots:", calls, sleep_us,
	       calls ? (now_ns() - start) / calls : 0);
	for (int slot = 0; slot < 64; slot++)
		printf(" %ld", ms_slots[slot]);
	printf("\n");
	return 0;
}
