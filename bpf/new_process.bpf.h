/* Announcing new processes to user space (offcputime, profile): a ring buffer
 * of new_process_event, once per process and again when its executable
 * mappings change (exec, libraries loaded). Include after
 * vmlinux.h and bpf_helpers.h. */
#ifndef BPFSCOPE_NEW_PROCESS_BPF_H
#define BPFSCOPE_NEW_PROCESS_BPF_H

#include "maps.bpf.h"
#include "new_process.h"

/* Per process: the announcement key (executable pages + 1, see
 * process_exec_key) user space last heard about. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u64);
} announced_tgids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} new_pids SEC(".maps");

/* What the process's executable mappings look like, as a number that changes
 * when they do: the count of executable pages (mm->exec_vm), plus one so that
 * 0 means "never announced". An exec'ed program first runs with the dynamic
 * loader alone; its libraries are mapped later, and a process announced
 * before that must be announced again, or user space reads maps without
 * libc (then the process exits, and libc frames print as [unknown]). */
static __always_inline __u64 process_exec_key(struct task_struct *task)
{
	return BPF_CORE_READ(task, mm, exec_vm) + 1;
}

/* Announces tgid unless user space already heard of it with these executable
 * mappings (from this or another thread). False only when the event was lost
 * (ring buffer full): the caller counts that, and the process is announced
 * again at its next chance. */
static __always_inline bool announce_process(__u32 tgid, __u32 tid, __u64 exec_key)
{
	__u64 *known = bpf_map_lookup_elem(&announced_tgids, &tgid);

	if (known) {
		if (*known == exec_key)
			return true;
		/* Mappings changed: announce again (two threads may both do so;
		 * user space then re-reads the maps twice, which is harmless). */
		*known = exec_key;
	} else if (map_update(&announced_tgids, &tgid, &exec_key, BPF_NOEXIST) != 0) {
		return true; /* another thread got there first */
	}
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
