/* Shared between bpf/taskstat.bpf.c and userspace/tools/taskstat.cpp. */
#pragma once

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define TASKSTAT_COMM_LEN 16

/* Cumulative figures of one thread since tracing started (the fault and
 * migration counters since the thread started: user space subtracts the
 * first value it saw). User space takes differences between two reads. */
struct taskstat_record {
	__u32 tid;
	__u32 tgid;
	char comm[TASKSTAT_COMM_LEN];
	__u64 oncpu_ns;
	__u64 runq_ns;      /* runnable, waiting for a CPU */
	__u64 sleep_ns;     /* off-CPU, interruptible (S) */
	__u64 blocked_ns;   /* off-CPU, uninterruptible (D) */
	__u64 voluntary;    /* context switches away while going to sleep */
	__u64 involuntary;  /* context switches away while still runnable (preempted) */
	__u64 wakeups;      /* times it was woken up */
	__u64 migrations;   /* task->se.nr_migrations */
	__u64 minor_faults; /* task->min_flt */
	__u64 major_faults; /* task->maj_flt */
	__u32 exited;
	__u32 kernel_thread;
};

enum taskstat_counter {
	TASKSTAT_STORAGE_FAILED, /* events not accounted: task storage unavailable */
	TASKSTAT_EXITED_FULL,    /* exited threads whose last figures were dropped: map full */
	TASKSTAT_COUNTER_COUNT,
};
