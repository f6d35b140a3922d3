/* Latency aggregation shared by every backend (fentry/fexit, kprobe/kretprobe,
 * uprobe/uretprobe, tracepoint brackets): a histogram means the same thing
 * whichever backend produced it. Include after vmlinux.h and bpf_helpers.h. */
#ifndef BPFSCOPE_LATENCY_BPF_H
#define BPFSCOPE_LATENCY_BPF_H

#include "bits.bpf.h"
#include "latency.h"
#include "maps.bpf.h"

/* Configuration, set before load. */
const volatile __u32 latency_filter_tgid = 0;    /* 0: every process */
const volatile bool latency_filter_cgroup = false; /* match cgroup_filter[0] */
const volatile __u64 latency_unit_divisor = 1;   /* ns -> run's unit for slots */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240); /* resized from user space (--start-map-size) */
	__type(key, struct latency_thread_key);
	__type(value, struct latency_thread_state);
} latency_starts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LATENCY_MAX_TARGETS);
	__type(key, __u32);
	__type(value, struct latency_stats);
} latency_stats_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} latency_cgroup_filter SEC(".maps");

static __always_inline bool latency_wanted(__u64 pid_tgid)
{
	if (latency_filter_tgid && (__u32)(pid_tgid >> 32) != latency_filter_tgid)
		return false;
	if (latency_filter_cgroup && !bpf_current_task_under_cgroup(&latency_cgroup_filter, 0))
		return false;
	return true;
}

static __always_inline void latency_enter(__u32 target_id)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct latency_thread_key key = { .tid = (__u32)pid_tgid, .target_id = target_id };
	struct latency_thread_state fresh = {};
	struct latency_thread_state *state;
	struct latency_stats *stats;
	__u64 now;

	if (!latency_wanted(pid_tgid))
		return;
	now = bpf_ktime_get_ns();
	state = map_lookup_or_init(&latency_starts, &key, &fresh);
	if (!state) {
		stats = bpf_map_lookup_elem(&latency_stats_map, &target_id);
		if (stats)
			stats->lost_starts++;
		return;
	}
	if (state->depth < LATENCY_MAX_DEPTH) {
		__u32 depth = state->depth;

		/* Bounds-checked index for the verifier. */
		if (depth < LATENCY_MAX_DEPTH)
			state->start_ns[depth] = now;
	} else {
		stats = bpf_map_lookup_elem(&latency_stats_map, &target_id);
		if (stats)
			stats->depth_overflow++;
	}
	state->depth++;
}

static __always_inline void latency_record(__u32 target_id, __u64 delta_ns)
{
	struct latency_stats *stats = bpf_map_lookup_elem(&latency_stats_map, &target_id);
	__u32 slot;

	if (!stats)
		return;
	slot = log2_slot(delta_ns / latency_unit_divisor);
	if (slot < LATENCY_SLOTS)
		stats->slots[slot]++;
	slot = fine_slot(delta_ns);
	if (slot < LATENCY_FINE_SLOTS) {
		/* The 6.1 verifier loses the bound through fine_slot's variable
		 * shifts ("R2 unbounded memory access"): hide the value from the
		 * compiler so the mask below stays and proves the bound. */
		asm volatile("" : "+r"(slot));
		stats->fine_ns[slot & (LATENCY_FINE_SLOTS - 1)]++;
	}
	if (stats->count == 0 || delta_ns < stats->min_ns)
		stats->min_ns = delta_ns;
	if (delta_ns > stats->max_ns)
		stats->max_ns = delta_ns;
	stats->count++;
	stats->sum_ns += delta_ns;
}

static __always_inline void latency_exit(__u32 target_id)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct latency_thread_key key = { .tid = (__u32)pid_tgid, .target_id = target_id };
	struct latency_thread_state *state;
	struct latency_stats *stats;
	__u64 now = bpf_ktime_get_ns();
	__u32 depth;

	if (!latency_wanted(pid_tgid))
		return;
	state = bpf_map_lookup_elem(&latency_starts, &key);
	if (!state || state->depth == 0) {
		stats = bpf_map_lookup_elem(&latency_stats_map, &target_id);
		if (stats)
			stats->unmatched_exits++;
		return;
	}
	depth = --state->depth;
	if (depth < LATENCY_MAX_DEPTH)
		latency_record(target_id, now - state->start_ns[depth]);
	/* Depth past the bound: the matching entry was counted as overflow. */
}

#endif
