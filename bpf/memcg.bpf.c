// SPDX-License-Identifier: GPL-2.0
/* memcg flush accounting from tracepoints: how many flush attempts a
 * memory.stat read triggers, how many really flush (force || needs_flush),
 * the pending stats_updates they see, and rstat lock acquisitions. Time
 * brackets (lock hold, lock wait, read syscall) come from the latency engine. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "bits.bpf.h"
#include "memcg.h"

const volatile __u32 reader_tgid = 0; /* the memory.stat reader; 0: everything is "other" */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MEMCG_CONTEXTS);
	__type(key, __u32);
	__type(value, struct memcg_flush_counters);
} memcg_counters SEC(".maps");

static __always_inline struct memcg_flush_counters *current_counters(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u32 context = reader_tgid && tgid == reader_tgid ? MEMCG_CONTEXT_READER : MEMCG_CONTEXT_OTHER;

	return bpf_map_lookup_elem(&memcg_counters, &context);
}

SEC("tracepoint/memcg/memcg_flush_stats")
int memcg_flush_stats(struct trace_event_raw_memcg_flush_stats *ctx)
{
	struct memcg_flush_counters *counters = current_counters();
	bool force = false, needs_flush = false;
	__s64 updates = 0;
	__u32 slot;

	if (!counters)
		return 0;
	/* CO-RE: the field set of this tracepoint differs across versions. */
	if (bpf_core_field_exists(ctx->force))
		force = BPF_CORE_READ(ctx, force);
	if (bpf_core_field_exists(ctx->needs_flush))
		needs_flush = BPF_CORE_READ(ctx, needs_flush);
	if (bpf_core_field_exists(ctx->stats_updates))
		updates = BPF_CORE_READ(ctx, stats_updates);
	if (updates < 0)
		updates = 0;
	counters->flush_attempts++;
	if (force || needs_flush)
		counters->real_flushes++;
	if (force)
		counters->forced++;
	counters->stats_updates_sum += (__u64)updates;
	slot = log2_slot((__u64)updates);
	if (slot >= MEMCG_SLOTS)
		slot = MEMCG_SLOTS - 1;
	counters->stats_updates_slots[slot]++;
	return 0;
}

SEC("tracepoint/cgroup/cgroup_rstat_locked")
int cgroup_rstat_locked(struct trace_event_raw_cgroup_rstat *ctx)
{
	struct memcg_flush_counters *counters = current_counters();

	if (!counters)
		return 0;
	counters->rstat_locked++;
	if (bpf_core_field_exists(ctx->contended) && BPF_CORE_READ(ctx, contended))
		counters->rstat_contended++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
