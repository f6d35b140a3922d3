/* Shared between the latency BPF code (bpf/latency.bpf.h) and user space
 * (userspace/core/latency_session.cpp): per-target statistics and per-thread
 * start stacks. */
#ifndef BPFSCOPE_LATENCY_H
#define BPFSCOPE_LATENCY_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define LATENCY_MAX_TARGETS 64
#define LATENCY_MAX_DEPTH 16
#define LATENCY_SLOTS 65
#define LATENCY_FINE_SLOTS 256

/* One per target, per CPU: summed in user space. */
struct latency_stats {
	__u64 slots[LATENCY_SLOTS]; /* log2 of the latency in the run's unit */
	__u64 fine_ns[LATENCY_FINE_SLOTS]; /* quarter-octave slots of the latency in ns, for percentiles */
	__u64 count;
	__u64 sum_ns;
	__u64 min_ns;
	__u64 max_ns;
	__u64 lost_starts;     /* start seen but the start map was full */
	__u64 unmatched_exits; /* end seen without its start (in flight at attach, or lost) */
	__u64 depth_overflow;  /* nesting deeper than LATENCY_MAX_DEPTH: not timed */
};

struct latency_thread_key {
	__u32 tid;
	__u32 target_id;
};

/* Start times of the calls this thread has open for one target, innermost
 * last. depth counts every open call, including those past the bound. */
struct latency_thread_state {
	__u32 depth;
	__u32 pad;
	__u64 start_ns[LATENCY_MAX_DEPTH];
};

#endif
