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
	__s32 user_stack_id;    /* < 0: none */
	__s32 kernel_stack_id;  /* < 0: none */
	char comm[PROFILE_COMM_LEN];
};

struct profile_new_pid_event {
	__u32 tgid;
	__u32 tid;
};

enum profile_counter {
	PROFILE_SAMPLES,               /* samples that passed the filters */
	PROFILE_IDLE_SKIPPED,          /* samples of the idle task, without -I */
	PROFILE_USER_STACK_MISSING,    /* -EFAULT on a user thread */
	PROFILE_USER_STACK_COLLISION,  /* -EEXIST */
	PROFILE_KERNEL_STACK_MISSING,
	PROFILE_KERNEL_STACK_COLLISION,
	PROFILE_STACK_MAP_FULL,
	PROFILE_AGGREGATION_FULL,      /* samples dropped: aggregation map full */
	PROFILE_NEW_PID_LOST,
	PROFILE_COUNTER_COUNT,
};
