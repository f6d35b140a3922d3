/* Shared between bpf/profile.bpf.c and userspace/tools/profile.cpp. */
#pragma once

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define PROFILE_COMM_LEN 16
#define PROFILE_MAX_STACK_DEPTH 127

struct profile_key {
	__u32 tgid;
	__u32 tid;
	__u32 user_stack_wanted;  /* a user stack was attempted (user thread, not -K) */
	__u32 pad;
	__u64 user_stack;         /* key in the stacks map, 0: none (missing if wanted) */
	__u64 kernel_stack;       /* key in the stacks map, 0: none */
	char comm[PROFILE_COMM_LEN];
};

enum profile_counter {
	PROFILE_SAMPLES,               /* samples that passed the filters */
	PROFILE_IDLE_SKIPPED,          /* samples of the idle task, without -I */
	PROFILE_USER_STACK_MISSING,    /* -EFAULT on a user thread */
	PROFILE_KERNEL_STACK_MISSING,  /* kernel-mode sample without a kernel stack */
	PROFILE_STACK_MAP_FULL,        /* stacks map full */
	PROFILE_AGGREGATION_FULL,      /* samples dropped: aggregation map full */
	PROFILE_NEW_PID_LOST,
	PROFILE_COUNTER_COUNT,
};
