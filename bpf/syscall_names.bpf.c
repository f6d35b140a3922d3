// SPDX-License-Identifier: GPL-2.0
/* Learns which syscall number each syscalls:sys_enter_* event stands for, from
 * the running kernel: attached to every such event with the event's tracefs id
 * as its BPF cookie (the record's common_type is out of a program's reach), it
 * records that id under the number the kernel passes (__syscall_nr). User space
 * (core/syscall_names.cpp) names the id from tracefs and detaches the learner
 * of an event once it has spoken, so it costs only the first calls. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

/* The head of every syscalls:sys_enter_* record (see its tracefs format file);
 * a program may not read the first 8 bytes. */
struct syscall_enter_record {
	__u64 common_fields;
	__s32 syscall_nr;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __s32);   /* syscall number */
	__type(value, __u32); /* tracefs event id of its sys_enter_* event */
} event_by_nr SEC(".maps");

SEC("tracepoint")
int syscall_names_learn(struct syscall_enter_record *record)
{
	__s32 nr = record->syscall_nr;
	__u32 id = bpf_get_attach_cookie(record);

	bpf_map_update_elem(&event_by_nr, &nr, &id, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
