/* Shared between bpf/memcg.bpf.c and userspace/memcg/flush_tracer.cpp: what
 * the memcg flush tracepoints saw, split by context (the memory.stat reader
 * versus everyone else: writers, reclaim, the periodic flush worker). */
#ifndef BPFSCOPE_MEMCG_H
#define BPFSCOPE_MEMCG_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define MEMCG_CONTEXT_READER 0
#define MEMCG_CONTEXT_OTHER 1
#define MEMCG_CONTEXTS 2
#define MEMCG_SLOTS 65

/* One per context, per CPU: summed in user space. */
struct memcg_flush_counters {
	__u64 flush_attempts;  /* memcg:memcg_flush_stats events */
	__u64 real_flushes;    /* attempts with force || needs_flush */
	__u64 forced;          /* attempts with force */
	__u64 stats_updates_sum;                 /* at every attempt */
	__u64 stats_updates_slots[MEMCG_SLOTS];  /* log2 of stats_updates at every attempt */
	__u64 rstat_locked;    /* cgroup:cgroup_rstat_locked events (lock acquisitions) */
	__u64 rstat_contended; /* ... of which found the lock contended */
};

#endif
