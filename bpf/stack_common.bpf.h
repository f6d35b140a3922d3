/* Small helpers shared by the stack and scheduler tools (offcputime, profile,
 * runqlat). BPF side only. */
#pragma once

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "maps.bpf.h"

#ifndef EFAULT
#define EFAULT 14
#endif

#ifndef PF_KTHREAD
#define PF_KTHREAD 0x00200000
#endif

/* Kernel 5.14 renamed task_struct::state to __state. */
struct task_struct___pre_5_14 {
	long state;
} __attribute__((preserve_access_index));

static __always_inline unsigned int task_state(struct task_struct *task)
{
	if (bpf_core_field_exists(task->__state))
		return BPF_CORE_READ(task, __state);
	return BPF_CORE_READ((struct task_struct___pre_5_14 *)task, state);
}

static __always_inline bool task_is_kthread(struct task_struct *task)
{
	return BPF_CORE_READ(task, flags) & PF_KTHREAD;
}

/* The tool's per-CPU `counters` array of `count` u64 slots (indexed by the
 * tool's counter enum), read and summed by user space for the report. */
#define STACK_COUNTERS_MAP(count)                                             \
	struct {                                                              \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                      \
		__uint(max_entries, count);                                   \
		__type(key, __u32);                                           \
		__type(value, __u64);                                         \
	} counters SEC(".maps")

/* Adds delta to a per-CPU counter array slot (counters the report shows, such as
 * lost stacks); per-CPU so the hot path never contends. */
#define STACK_COUNTER_ADD(map, index, delta)                                  \
	do {                                                                  \
		__u32 __idx = (index);                                        \
		__u64 *__c = bpf_map_lookup_elem(&(map), &__idx);             \
		if (__c)                                                      \
			*__c += (delta);                                      \
	} while (0)

/* FNV-1a style mix of a run of instruction pointers, to name a kernel stack that
 * bpf_get_task_stack() copied into a buffer (the stack-trace map can only be
 * filled for the current task). Never returns 0, which means "no stack". */
static __always_inline __u64 stack_hash_step(__u64 h, __u64 ip)
{
	h ^= ip;
	h *= 0x100000001b3ULL;
	h ^= h >> 29;
	return h;
}

#define STACK_MAX_DEPTH 127

/* Stores `bytes` of frames (leaf first) from ips under a hash of them in a
 * HASH map of u64 -> __u64[STACK_MAX_DEPTH]; returns the hash, or 0 when the
 * map is full. A hash map never refuses a stack because another one landed in
 * the same bucket, as a STACK_TRACE map does (EEXIST). Frames past `bytes`
 * are zeroed so equal stacks compare equal under any depth limit. */
static __always_inline __u64 stack_store(void *stacks_map, __u64 *ips, long bytes)
{
	__u32 frames = bytes / sizeof(__u64);
	__u64 hash = 0xcbf29ce484222325ULL;

	for (__u32 i = 0; i < STACK_MAX_DEPTH; i++) {
		if (i >= frames) {
			ips[i] = 0;
			continue;
		}
		hash = stack_hash_step(hash, ips[i]);
	}
	hash = stack_hash_step(hash, frames);
	if (!hash)
		hash = 1;
	int err = map_update(stacks_map, &hash, ips, BPF_NOEXIST);
	if (err && err != -EEXIST)
		return 0;
	return hash;
}
