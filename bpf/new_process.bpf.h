/* Announcing new processes to user space (offcputime, profile): a ring buffer
 * of new_process_event, once per process until it execs. Include after
 * vmlinux.h and bpf_helpers.h. */
#ifndef BPFSCOPE_NEW_PROCESS_BPF_H
#define BPFSCOPE_NEW_PROCESS_BPF_H

#include "maps.bpf.h"
#include "new_process.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u8);
} announced_tgids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} new_pids SEC(".maps");

/* Announces tgid unless it already was (by this or another thread). False
 * only when the event was lost (ring buffer full): the caller counts that,
 * and the process is announced again at its next chance. */
static __always_inline bool announce_process(__u32 tgid, __u32 tid)
{
	__u8 one = 1;

	if (bpf_map_lookup_elem(&announced_tgids, &tgid))
		return true;
	if (map_update(&announced_tgids, &tgid, &one, BPF_NOEXIST) != 0)
		return true; /* another thread got there first */
	struct new_process_event *event = bpf_ringbuf_reserve(&new_pids, sizeof(*event), 0);
	if (!event) {
		bpf_map_delete_elem(&announced_tgids, &tgid);
		return false;
	}
	event->tgid = tgid;
	event->tid = tid;
	bpf_ringbuf_submit(event, 0);
	return true;
}

/* After an exec the process has new mappings: forget that it was announced,
 * so it is announced again and user space re-reads its maps (a stack between
 * fork and exec would otherwise pin the parent's). */
static __always_inline void forget_process(__u32 tgid)
{
	bpf_map_delete_elem(&announced_tgids, &tgid);
}

#endif
