/* Shared between bpf/runqlat.bpf.c and userspace/tools/runqlat.cpp. */
#pragma once

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define RUNQLAT_SLOTS 65
#define RUNQLAT_FINE_SLOTS 256
#define RUNQLAT_COMM_LEN 16

/* One histogram: of everything, of one process (-P) or of one thread (-L).
 * Values are in the unit user space chose (microseconds, or milliseconds
 * with -m); slot rule as report::log2_slot(). */
struct runqlat_hist {
	__u64 slots[RUNQLAT_SLOTS];
	__u64 fine_ns[RUNQLAT_FINE_SLOTS]; /* quarter-octave slots in ns, for percentiles */
	__u64 count;
	__u64 sum;
	__u64 max_ns;
	char comm[RUNQLAT_COMM_LEN];
};

enum runqlat_counter {
	RUNQLAT_ENQUEUES,          /* wakeups and preemptions timestamped */
	RUNQLAT_TASK_STORAGE_FAILED,
	RUNQLAT_HISTOGRAMS_FULL,   /* latencies dropped: histogram map full */
	RUNQLAT_COUNTER_COUNT,
};
