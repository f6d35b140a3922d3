// SPDX-License-Identifier: GPL-2.0
/* Run-queue latency: time from a task becoming runnable (wakeup, new task, or
 * preemption while still runnable) to it running, as log2 histograms. The
 * enqueue timestamp lives in the task's local storage (tp_btf), or in a hash
 * keyed by tid on the raw_tp fallback. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bits.bpf.h"
#include "filter.bpf.h"
#include "maps.bpf.h"
#include "runqlat.h"
#include "stack_common.bpf.h"

#define TASK_RUNNING 0

const volatile bool filter_cgroup = false;
const volatile __u64 cgroup_id = 0;      /* cgroup v2 id (inode number of its directory) */
const volatile __u32 cgroup_level = 0;   /* its depth below the v2 root */
const volatile bool per_process = false;
const volatile bool per_thread = false;
const volatile bool per_pidns = false; /* one histogram per PID namespace (inode number) */
const volatile bool per_cgroup = false; /* key: low 32 bits of the cgroup v2 id (its inode) */
const volatile __u64 unit_ns = 1000;     /* 1000: microseconds, 1000000: milliseconds */

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, 1 /* BPF_F_NO_PREALLOC */);
	__type(key, int);
	__type(value, __u64);
} enqueued_at SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u64);
} enqueued_at_by_tid SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct runqlat_hist);
} hists SEC(".maps");

STACK_COUNTERS_MAP(RUNQLAT_COUNTER_COUNT);

static __always_inline bool in_cgroup(struct task_struct *task)
{
	struct cgroup *cgrp = BPF_CORE_READ(task, cgroups, dfl_cgrp);
	struct cgroup *ancestor = NULL;

	if (!cgrp || BPF_CORE_READ(cgrp, level) < (int)cgroup_level)
		return false;
	bpf_probe_read_kernel(&ancestor, sizeof(ancestor),
			      __builtin_preserve_access_index(&cgrp->ancestors[cgroup_level]));
	return ancestor && BPF_CORE_READ(ancestor, kn, id) == cgroup_id;
}

static __always_inline void enqueue(struct task_struct *task, bool btf)
{
	__u32 tid = BPF_CORE_READ(task, pid);
	__u32 tgid = BPF_CORE_READ(task, tgid);

	if (tid == 0)
		return; /* idle is never queued */
	if (!pid_selected(tgid, tid))
		return;
	if (filter_cgroup && !in_cgroup(task))
		return;
	__u64 now = bpf_ktime_get_ns();
	if (btf) {
		__u64 *slot = bpf_task_storage_get(&enqueued_at, task, 0,
						   BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (!slot) {
			STACK_COUNTER_ADD(counters, RUNQLAT_TASK_STORAGE_FAILED, 1);
			return;
		}
		*slot = now;
	} else if (map_update(&enqueued_at_by_tid, &tid, &now, BPF_ANY)) {
		STACK_COUNTER_ADD(counters, RUNQLAT_TASK_STORAGE_FAILED, 1);
		return;
	}
	STACK_COUNTER_ADD(counters, RUNQLAT_ENQUEUES, 1);
}

static __always_inline void run(struct task_struct *next, bool btf)
{
	__u32 tid = BPF_CORE_READ(next, pid);
	__u64 start = 0;

	if (tid == 0)
		return;
	if (btf) {
		__u64 *slot = bpf_task_storage_get(&enqueued_at, next, 0, 0);
		if (!slot || !*slot)
			return;
		start = *slot;
		*slot = 0;
	} else {
		__u64 *slot = bpf_map_lookup_elem(&enqueued_at_by_tid, &tid);
		if (!slot)
			return;
		start = *slot;
		bpf_map_delete_elem(&enqueued_at_by_tid, &tid);
	}
	__u64 now = bpf_ktime_get_ns();
	if (now < start)
		return;
	__u64 delta_ns = now - start;
	__u64 value = delta_ns / unit_ns;

	__u32 id = 0;
	if (per_thread)
		id = tid;
	else if (per_process)
		id = BPF_CORE_READ(next, tgid);
	else if (per_pidns)
		id = BPF_CORE_READ(next, nsproxy, pid_ns_for_children, ns.inum);
	else if (per_cgroup)
		id = (__u32)BPF_CORE_READ(next, cgroups, dfl_cgrp, kn, id);
	static const struct runqlat_hist zero;
	struct runqlat_hist *hist = map_lookup_or_init(&hists, &id, &zero);
	if (!hist) {
		STACK_COUNTER_ADD(counters, RUNQLAT_HISTOGRAMS_FULL, 1);
		return;
	}
	/* A new histogram has no name yet (racing CPUs write the same one). */
	if ((per_thread || per_process || per_pidns) && !hist->comm[0])
		BPF_CORE_READ_STR_INTO(&hist->comm, next, comm);
	__u32 slot = log2_slot(value);
	if (slot < RUNQLAT_SLOTS)
		__sync_fetch_and_add(&hist->slots[slot], 1);
	slot = fine_slot(delta_ns);
	if (slot < RUNQLAT_FINE_SLOTS) {
		/* Keep the bound visible to the 6.1 verifier (see latency.bpf.h). */
		asm volatile("" : "+r"(slot));
		__sync_fetch_and_add(&hist->fine_ns[slot & (RUNQLAT_FINE_SLOTS - 1)], 1);
	}
	__sync_fetch_and_add(&hist->count, 1);
	__sync_fetch_and_add(&hist->sum, value);
	if (delta_ns > hist->max_ns)
		hist->max_ns = delta_ns; /* racy between CPUs; a lost update only lowers max */
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(runqlat_wakeup_btf, struct task_struct *p)
{
	enqueue(p, true);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(runqlat_wakeup_new_btf, struct task_struct *p)
{
	enqueue(p, true);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(runqlat_switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	if (task_state(prev) == TASK_RUNNING)
		enqueue(prev, true);
	run(next, true);
	return 0;
}

SEC("raw_tp/sched_wakeup")
int BPF_PROG(runqlat_wakeup_raw, struct task_struct *p)
{
	enqueue(p, false);
	return 0;
}

SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(runqlat_wakeup_new_raw, struct task_struct *p)
{
	enqueue(p, false);
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(runqlat_switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	if (task_state(prev) == TASK_RUNNING)
		enqueue(prev, false);
	run(next, false);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
