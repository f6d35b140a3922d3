/* Process (-p) and thread (-t) filters, set from user space before load:
 * filter_tgid/filter_tid switch them on, the tgids/tids maps hold the selected
 * ids (core/stack_collect.h fills them). Include after vmlinux.h and
 * bpf_helpers.h. */
#ifndef BPFSCOPE_FILTER_BPF_H
#define BPFSCOPE_FILTER_BPF_H

#define BPFSCOPE_FILTER_MAX_IDS 1024

const volatile bool filter_tgid = false;
const volatile bool filter_tid = false;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BPFSCOPE_FILTER_MAX_IDS);
	__type(key, __u32);
	__type(value, __u8);
} tgids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BPFSCOPE_FILTER_MAX_IDS);
	__type(key, __u32);
	__type(value, __u8);
} tids SEC(".maps");

/* Whether the process and thread pass the filters that are switched on. */
static __always_inline bool pid_selected(__u32 tgid, __u32 tid)
{
	if (filter_tgid && !bpf_map_lookup_elem(&tgids, &tgid))
		return false;
	if (filter_tid && !bpf_map_lookup_elem(&tids, &tid))
		return false;
	return true;
}

#endif
