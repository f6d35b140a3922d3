/* Shared between bpf/offcputime.bpf.c and userspace/tools/offcputime.cpp. */
#pragma once

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define OFFCPU_COMM_LEN 16
#define OFFCPU_MAX_STACK_DEPTH 127

/* One aggregation bucket: a thread blocked in one (user, kernel) stack pair. */
struct offcpu_key {
	__u32 tgid;
	__u32 tid;
	__u32 user_stack_wanted;  /* 1: a user stack was attempted (user thread, not -K) */
	__u32 pad;
	__u64 user_stack;         /* key in the stacks map, 0: none (missing if wanted) */
	__u64 kernel_stack;       /* key in the stacks map, 0: none/missing */
	char comm[OFFCPU_COMM_LEN];
};

struct offcpu_value {
	__u64 total_ns;
	__u64 count;
};

/* A stack as bpf_get_stack()/bpf_get_task_stack() wrote it, leaf first, zero
 * padded. Stored under a 64-bit hash of its frames: unlike a STACK_TRACE map's
 * buckets, a hash map never refuses a stack because another one hashed to the
 * same bucket. */
struct offcpu_stack {
	__u64 ips[OFFCPU_MAX_STACK_DEPTH];
};

/* Genuine kernel stack failures by errno (the kernel_stack_errors array);
 * slot 0: an empty stack, the last slot: any errno past it. */
#define OFFCPU_ERRNO_SLOTS 64

/* Indexes of the per-CPU counters array. */
enum offcpu_counter {
	OFFCPU_SWITCHES_OUT,           /* switch-outs that passed the filters */
	OFFCPU_BLOCKS_RECORDED,        /* blocks added to the aggregation */
	OFFCPU_BLOCKS_FILTERED,        /* blocks outside -m/-M */
	OFFCPU_USER_STACK_WALKS,       /* bpf_get_stackid(USER) calls made */
	OFFCPU_USER_STACK_CACHE_HITS,  /* user stack reused, registers unchanged */
	OFFCPU_USER_STACK_MISSING,     /* -EFAULT: no user stack could be read */
	OFFCPU_USER_STACK_MAP_FULL,    /* stacks map full */
	OFFCPU_KERNEL_STACK_WALKS,     /* bpf_get_task_stack() calls made */
	OFFCPU_KERNEL_STACK_CACHE_HITS,
	OFFCPU_KERNEL_STACK_MISSING,   /* no kernel stack of a user thread: genuine failure */
	OFFCPU_KERNEL_STACK_MAP_FULL,  /* kernel_stacks map refused a new stack */
	OFFCPU_AGGREGATION_FULL,       /* blocks dropped: aggregation map full */
	OFFCPU_AGGREGATION_FULL_NS,    /* their off-CPU time */
	OFFCPU_TASK_STORAGE_FAILED,    /* could not attach a timestamp to a task */
	OFFCPU_NEW_PID_LOST,           /* ring buffer full: a pid announced late */
	OFFCPU_KERNEL_STACK_MISSING_IDLE,    /* no kernel stack: an idle task (pid 0) */
	OFFCPU_KERNEL_STACK_MISSING_KTHREAD, /* no kernel stack: a kernel thread */
	OFFCPU_SCHED_FRAMES_NOT_FOUND, /* blocking (scheduler) frames not found near the stack pointer */
	OFFCPU_COUNTER_COUNT,
};
