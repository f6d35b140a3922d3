// SPDX-License-Identifier: GPL-2.0
/* On-CPU sampling: one perf_event program on a cpu-clock (or cycles) event per
 * CPU counts samples by (thread, user stack, kernel stack). */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "filter.bpf.h"
#include "maps.bpf.h"
#include "new_process.bpf.h"
#include "profile.h"
#include "stack_common.bpf.h"

const volatile bool include_idle = false;
const volatile bool capture_user = true;
const volatile bool capture_kernel = true;

struct profile_stack {
	__u64 ips[STACK_MAX_DEPTH];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 20480);
	__type(key, __u64);
	__type(value, struct profile_stack);
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct profile_stack);
} scratch SEC(".maps");

const volatile __u32 stack_bytes = STACK_MAX_DEPTH * sizeof(__u64);

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct profile_key);
	__type(value, __u64);
} samples SEC(".maps");

STACK_COUNTERS_MAP(PROFILE_COUNTER_COUNT);

static __always_inline __u64 sample_stack(struct bpf_perf_event_data *ctx, __u64 flags,
					  __u32 missing_counter)
{
	__u32 zero = 0;
	struct profile_stack *buf = bpf_map_lookup_elem(&scratch, &zero);
	if (!buf)
		return 0;
	__u32 size = stack_bytes;
	if (size > sizeof(buf->ips))
		size = sizeof(buf->ips);
	long bytes = bpf_get_stack(ctx, buf->ips, size, flags);
	if (bytes <= 0) {
		STACK_COUNTER_ADD(counters, missing_counter, 1);
		return 0;
	}
	__u64 hash = stack_store(&stacks, buf->ips, bytes);
	if (!hash)
		STACK_COUNTER_ADD(counters, PROFILE_STACK_MAP_FULL, 1);
	return hash;
}

/* After an exec, announce the process again (see forget_process). */
SEC("raw_tp/sched_process_exec")
int profile_exec(void *ctx)
{
	forget_process(bpf_get_current_pid_tgid() >> 32);
	return 0;
}

SEC("perf_event")
int profile_sample(struct bpf_perf_event_data *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	__u32 tid = (__u32)pid_tgid;

	if (tid == 0 && !include_idle) {
		STACK_COUNTER_ADD(counters, PROFILE_IDLE_SKIPPED, 1);
		return 0;
	}
	if (!pid_selected(tgid, tid))
		return 0;
	STACK_COUNTER_ADD(counters, PROFILE_SAMPLES, 1);

	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	bool kthread = task_is_kthread(task);
	/* User or kernel mode from the sampled instruction pointer: x86-64 kernel
	 * addresses have the top bit set. Not regs.cs: its type changed (u64 in
	 * 6.1, u16 + padding in 6.18), which breaks the CO-RE context access on
	 * older kernels (found by the VM suite). */
	__u64 ip = *(volatile __u64 *)&ctx->regs.ip;
	bool in_user_mode = (__s64)ip >= 0;
	struct profile_key key = {};

	key.tgid = tgid;
	key.tid = tid;
	bpf_get_current_comm(&key.comm, sizeof(key.comm));
	if (!kthread && tid != 0 && !announce_process(tgid, tid, process_exec_key(task)))
		STACK_COUNTER_ADD(counters, PROFILE_NEW_PID_LOST, 1);

	if (capture_user && !kthread && tid != 0) {
		key.user_stack_wanted = 1;
		key.user_stack = sample_stack(ctx, BPF_F_USER_STACK, PROFILE_USER_STACK_MISSING);
	}
	/* A sample taken in user mode has no kernel stack: that is not a loss. */
	if (capture_kernel && !in_user_mode)
		key.kernel_stack = sample_stack(ctx, 0, PROFILE_KERNEL_STACK_MISSING);

	__u64 zero = 0;
	__u64 *count = map_lookup_or_init(&samples, &key, &zero);
	if (!count) {
		STACK_COUNTER_ADD(counters, PROFILE_AGGREGATION_FULL, 1);
		return 0;
	}
	__sync_fetch_and_add(count, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
