/* Shared between bpf/syscount.bpf.c and userspace/tools/syscount.cpp. */
#pragma once

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define SYSCOUNT_FINE_SLOTS 256 /* quarter-octave ns slots, as bits.bpf.h fine_slot() */
#define SYSCOUNT_COMM_LEN 16
#define SYSCOUNT_ARGS 6

/* Aggregation key: one syscall number, of everything (tgid 0) or of one
 * process (-P). */
struct syscount_key {
	__u32 tgid;
	__s32 nr;
};

/* Per-CPU figures of one key; user space sums the CPUs. A call is counted
 * when it returns, or when its task exits inside it (exit, exit_group, a
 * kill): those have a count but no latency. */
struct syscount_stats {
	__u64 count;
	__u64 errors;     /* returned a negative errno */
	__u64 timed;      /* calls whose entry was seen: the latency figures cover these */
	__u64 total_ns;
	__u64 max_ns;
	__u64 fine_ns[SYSCOUNT_FINE_SLOTS];
	char comm[SYSCOUNT_COMM_LEN];
};

/* Errors by errno: key -> number of calls that returned -err. */
struct syscount_error_key {
	__u32 tgid;
	__s32 nr;
	__s32 err;
	__u32 pad;
};

/* One call slower than --slower (ring buffer). */
struct syscount_slow_call {
	__u64 start_ns; /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u64 duration_ns;
	__u64 args[SYSCOUNT_ARGS];
	__s64 ret;
	__u32 tgid;
	__u32 tid;
	__s32 nr;
	__u32 pad;
	char comm[SYSCOUNT_COMM_LEN];
};

enum syscount_counter {
	SYSCOUNT_START_LOST,         /* entry not recorded: task storage/map full */
	SYSCOUNT_STATS_FULL,         /* calls not counted: statistics map full */
	SYSCOUNT_ERRORS_FULL,        /* errors not broken down by errno: map full */
	SYSCOUNT_SLOW_LOST,          /* slow calls not printed: ring buffer full */
	SYSCOUNT_COMPAT_SKIPPED,     /* 32-bit (compat) syscalls, not counted */
	SYSCOUNT_COUNTER_COUNT,
};
