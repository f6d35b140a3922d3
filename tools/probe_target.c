/* probe_target: a workload with known calls for the probe tools (trace,
 * funccount, stackcount, argdist). Everything it does after the start is
 * counted and printed, so a test compares a tracer with these lines.
 *
 * usage: probe_target [--add-calls N] [--site-a N] [--site-b N] [--syscalls N]
 *                     [--wait-signal | --start-delay-ms MS] [--busy N]
 *   --add-calls N (1000): probe_add(a, b) with a = i % 10, b = i, i = 0..N-1;
 *                         it returns a + b.
 *   --site-a N (300):     malloc(24) from malloc_site_a() in run_site_a()
 *                         -> log2 slot [16, 32)
 *   --site-b N (700):     malloc(64 << (i % 4)) from malloc_site_b() in run_site_b():
 *                         64, 128, 256,
 *                         512 bytes in turn -> slots [64,128) .. [512,1024)
 *   --syscalls N (0):     N getppid() syscalls (after the mallocs)
 *   --wait-signal:        print "probe_target: waiting for SIGUSR1" and start when
 *                         it arrives (a tracer attaches to this pid meanwhile).
 *   --start-delay-ms MS:  start after MS milliseconds instead.
 *   --busy N:             only call probe_add N times and print "loop_ns: X"
 *                         (per-event cost benchmarks).
 * Before the start it prints "probe_target: pid P" (so stdout's buffer is
 * allocated before a tracer counts mallocs); between the start and the final
 * lines it makes no malloc calls other than the two sites (malloc itself
 * may call brk or mmap). The allocations are freed after the final lines. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* noinline and an opaque body: the calls and their arguments stay as written. */
__attribute__((noinline)) int probe_add(int a, int b)
{
	__asm__ volatile("" : "+r"(a), "+r"(b));
	return a + b;
}

/* The store after malloc keeps these from being tail calls, so each site
 * keeps its own frame in a stack. */
__attribute__((noinline)) void malloc_site_a(void **slot)
{
	*slot = malloc(24);
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void malloc_site_b(void **slot, size_t size)
{
	*slot = malloc(size);
	__asm__ volatile("" ::: "memory");
}

/* The loops around the sites are functions of their own: a user stack taken
 * at malloc's first instruction by frame pointers misses malloc's caller
 * (its return address is on the stack, not yet in a frame; the kernel adds it
 * only when the function starts with push %rbp or endbr64, and glibc's malloc
 * starts with push %r12), so a stack reads malloc <- run_site_a <- main. */
static int log2_slot(unsigned long value);

__attribute__((noinline)) void run_site_a(void **blocks, long calls, long *size_slots)
{
	for (long i = 0; i < calls; i++) {
		malloc_site_a(&blocks[i]);
		size_slots[log2_slot(24)]++;
	}
}

__attribute__((noinline)) void run_site_b(void **blocks, long calls, long *size_slots)
{
	for (long i = 0; i < calls; i++) {
		size_t size = (size_t)64 << (i % 4);

		malloc_site_b(&blocks[i], size);
		size_slots[log2_slot(size)]++;
	}
}

/* The log2 slot rule of report/histogram.h: 0 -> 0, [2^(i-1), 2^i) -> i. */
static int log2_slot(unsigned long value)
{
	int slot = 0;

	for (; value; value >>= 1)
		slot++;
	return slot;
}

static long option(int argc, char **argv, const char *name, long fallback)
{
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return atol(argv[i + 1]);
	return fallback;
}

static int flag(int argc, char **argv, const char *name)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

static void wait_for_start(int argc, char **argv)
{
	long delay_ms = option(argc, argv, "--start-delay-ms", 0);

	if (flag(argc, argv, "--wait-signal")) {
		sigset_t wanted;
		int signal_number;

		sigemptyset(&wanted);
		sigaddset(&wanted, SIGUSR1);
		sigprocmask(SIG_BLOCK, &wanted, NULL);
		printf("probe_target: waiting for SIGUSR1\n");
		fflush(stdout);
		sigwait(&wanted, &signal_number);
	} else if (delay_ms > 0) {
		struct timespec delay = { delay_ms / 1000, (delay_ms % 1000) * 1000000 };

		while (nanosleep(&delay, &delay) != 0)
			;
	}
}

int main(int argc, char **argv)
{
	long busy = option(argc, argv, "--busy", 0);
	long add_calls = option(argc, argv, "--add-calls", 1000);
	long site_a = option(argc, argv, "--site-a", 300);
	long site_b = option(argc, argv, "--site-b", 700);
	long syscalls = option(argc, argv, "--syscalls", 0);

	printf("probe_target: pid %d\n", getpid());
	fflush(stdout);
	if (busy > 0) {
		long long start = now_ns();
		long long total = 0;

		for (long i = 0; i < busy; i++)
			total += probe_add((int)(i % 10), (int)i);
		printf("busy calls: %ld (%lld)\nloop_ns: %lld\n", busy, total, now_ns() - start);
		return 0;
	}
	void **blocks = calloc((size_t)(site_a + site_b) + 1, sizeof(void *));
	long size_slots[64] = { 0 };

	if (!blocks) {
		perror("probe_target: calloc");
		return 1;
	}
	wait_for_start(argc, argv);

	long long sum_a = 0, sum_b = 0, sum_ret = 0;
	long a_above_5 = 0;

	for (long i = 0; i < add_calls; i++) {
		int a = (int)(i % 10), b = (int)i;

		sum_a += a;
		sum_b += b;
		sum_ret += probe_add(a, b);
		a_above_5 += a > 5;
	}
	run_site_a(blocks, site_a, size_slots);
	run_site_b(blocks + site_a, site_b, size_slots);
	for (long i = 0; i < syscalls; i++)
		syscall(SYS_getppid);

	printf("probe_add calls: %ld sum_a: %lld sum_b: %lld sum_ret: %lld a_above_5: %ld\n",
	       add_calls, sum_a, sum_b, sum_ret, a_above_5);
	printf("malloc site_a: %ld site_b: %ld\nmalloc_size_log2_slots:", site_a, site_b);
	for (int slot = 0; slot < 64; slot++)
		printf(" %ld", size_slots[slot]);
	printf("\ngetppid syscalls: %ld\n", syscalls);
	fflush(stdout);
	for (long i = 0; i < site_a + site_b; i++)
		free(blocks[i]);
	free(blocks);
	return 0;
}
