// SPDX-License-Identifier: GPL-2.0
/* syscount: per-syscall counts, errors by errno and latency, aggregated in the
 * kernel from raw_syscalls sys_enter/sys_exit. The entry (time, number and,
 * for --slower, the arguments) waits in the task's local storage (tp_btf) or
 * in a hash keyed by tid (raw_tp fallback); the exit turns it into figures. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bits.bpf.h"
#include "filter.bpf.h"
#include "maps.bpf.h"
#include "stack_common.bpf.h"
#include "syscount.h"

const volatile bool per_process = false;
const volatile bool filter_comm = false;
const volatile char comm_filter[SYSCOUNT_COMM_LEN] = {};
const volatile __u64 slower_ns = 0; /* --slower: 0 = off */

#define TS_COMPAT 0x0002 /* arch/x86/include/asm/thread_info.h */

struct syscall_entry {
	__u64 start_ns;
	__s32 nr;
	__u32 active;
	__u64 args[SYSCOUNT_ARGS];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, 1 /* BPF_F_NO_PREALLOC */);
	__type(key, int);
	__type(value, struct syscall_entry);
} entry_by_task SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct syscall_entry);
} entry_by_tid SEC(".maps");

/* Per-CPU so the hot path adds without atomics; allocated on first use. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, 1 /* BPF_F_NO_PREALLOC */);
	__uint(max_entries, 16384);
	__type(key, struct syscount_key);
	__type(value, struct syscount_stats);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct syscount_error_key);
	__type(value, __u64);
} errors SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} slow_calls SEC(".maps");

STACK_COUNTERS_MAP(SYSCOUNT_COUNTER_COUNT);

static __always_inline bool is_compat(struct task_struct *task)
{
	if (!bpf_core_field_exists(task->thread_info.status))
		return false;
	return BPF_CORE_READ(task, thread_info.status) & TS_COMPAT;
}

static __always_inline bool comm_selected(const char *comm)
{
	if (!filter_comm)
		return true;
	for (int i = 0; i < SYSCOUNT_COMM_LEN; i++) {
		if (comm[i] != comm_filter[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

static __always_inline void on_enter(struct pt_regs *regs, long id, bool btf)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32, tid = (__u32)pid_tgid;
	struct syscall_entry *entry;

	if (!pid_selected(tgid, tid))
		return;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	if (is_compat(task)) {
		STACK_COUNTER_ADD(counters, SYSCOUNT_COMPAT_SKIPPED, 1);
		return;
	}
	if (btf) {
		entry = bpf_task_storage_get(&entry_by_task, bpf_get_current_task_btf(), 0,
					     BPF_LOCAL_STORAGE_GET_F_CREATE);
	} else {
		static const struct syscall_entry zero;
		entry = map_lookup_or_init(&entry_by_tid, &tid, &zero);
	}
	if (!entry) {
		STACK_COUNTER_ADD(counters, SYSCOUNT_START_LOST, 1);
		return;
	}
	entry->nr = id;
	entry->active = 1;
	if (slower_ns) {
		entry->args[0] = PT_REGS_PARM1_CORE_SYSCALL(regs);
		entry->args[1] = PT_REGS_PARM2_CORE_SYSCALL(regs);
		entry->args[2] = PT_REGS_PARM3_CORE_SYSCALL(regs);
		entry->args[3] = PT_REGS_PARM4_CORE_SYSCALL(regs);
		entry->args[4] = PT_REGS_PARM5_CORE_SYSCALL(regs);
#ifdef PT_REGS_PARM6_CORE_SYSCALL
		entry->args[5] = PT_REGS_PARM6_CORE_SYSCALL(regs);
#elif defined(__TARGET_ARCH_x86)
		entry->args[5] = BPF_CORE_READ(regs, r9); /* libbpf 1.1 has no PARM6 */
#endif
	}
	entry->start_ns = bpf_ktime_get_ns(); /* last: the figures exclude our own work */
}

/* Counts one finished call; `returned` is false for a task that exits inside
 * it (no return value, no latency). */
static __always_inline void account(struct syscall_entry *entry, __u64 now, long ret,
				    bool returned)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	char comm[SYSCOUNT_COMM_LEN] = {};

	/* The name only where it is needed: the hot path stays short. */
	if (filter_comm) {
		bpf_get_current_comm(comm, sizeof(comm));
		if (!comm_selected(comm))
			return;
	}
	struct syscount_key key = {.tgid = per_process ? pid_tgid >> 32 : 0, .nr = entry->nr};
	static const struct syscount_stats zero;
	struct syscount_stats *s = map_lookup_or_init(&stats, &key, &zero);
	if (!s) {
		STACK_COUNTER_ADD(counters, SYSCOUNT_STATS_FULL, 1);
		return;
	}
	if (per_process && !s->comm[0]) {
		if (!filter_comm)
			bpf_get_current_comm(comm, sizeof(comm));
		__builtin_memcpy(s->comm, comm, sizeof(comm));
	}
	s->count++;
	if (!returned)
		return;
	__u64 delta = now > entry->start_ns ? now - entry->start_ns : 0;
	s->timed++;
	s->total_ns += delta;
	if (delta > s->max_ns)
		s->max_ns = delta;
	__u32 slot = fine_slot(delta);
	if (slot < SYSCOUNT_FINE_SLOTS) {
		asm volatile("" : "+r"(slot)); /* keep the bound for the 6.1 verifier */
		s->fine_ns[slot & (SYSCOUNT_FINE_SLOTS - 1)]++;
	}
	if (ret < 0 && ret >= -4095) {
		s->errors++;
		struct syscount_error_key ekey = {.tgid = key.tgid, .nr = key.nr, .err = -ret};
		static const __u64 none;
		__u64 *n = map_lookup_or_init(&errors, &ekey, &none);
		if (n)
			__sync_fetch_and_add(n, 1);
		else
			STACK_COUNTER_ADD(counters, SYSCOUNT_ERRORS_FULL, 1);
	}
	if (slower_ns && delta >= slower_ns) {
		struct syscount_slow_call *e = bpf_ringbuf_reserve(&slow_calls, sizeof(*e), 0);
		if (!e) {
			STACK_COUNTER_ADD(counters, SYSCOUNT_SLOW_LOST, 1);
			return;
		}
		e->start_ns = entry->start_ns;
		e->duration_ns = delta;
		for (int i = 0; i < SYSCOUNT_ARGS; i++)
			e->args[i] = entry->args[i];
		e->ret = ret;
		e->tgid = pid_tgid >> 32;
		e->tid = (__u32)pid_tgid;
		e->nr = entry->nr;
		e->pad = 0;
		bpf_get_current_comm(e->comm, sizeof(e->comm));
		bpf_ringbuf_submit(e, 0);
	}
}

static __always_inline void on_exit(long ret, bool btf)
{
	__u64 now = bpf_ktime_get_ns();
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct syscall_entry *entry;

	if (btf)
		entry = bpf_task_storage_get(&entry_by_task, bpf_get_current_task_btf(), 0, 0);
	else
		entry = bpf_map_lookup_elem(&entry_by_tid, &tid);
	if (!entry || !entry->active)
		return; /* entered before tracing started, or not selected */
	entry->active = 0;
	account(entry, now, ret, true);
}

/* A task that exits inside a call (exit, exit_group, killed while blocked):
 * the call counts, without latency. */
static __always_inline void on_task_exit(bool btf)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct syscall_entry *entry;

	if (btf)
		entry = bpf_task_storage_get(&entry_by_task, bpf_get_current_task_btf(), 0, 0);
	else
		entry = bpf_map_lookup_elem(&entry_by_tid, &tid);
	if (!entry)
		return;
	if (entry->active) {
		entry->active = 0;
		account(entry, 0, 0, false);
	}
	if (!btf)
		bpf_map_delete_elem(&entry_by_tid, &tid);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(syscount_enter_btf, struct pt_regs *regs, long id)
{
	on_enter(regs, id, true);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(syscount_exit_btf, struct pt_regs *regs, long ret)
{
	on_exit(ret, true);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(syscount_task_exit_btf)
{
	on_task_exit(true);
	return 0;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(syscount_enter_raw, struct pt_regs *regs, long id)
{
	on_enter(regs, id, false);
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(syscount_exit_raw, struct pt_regs *regs, long ret)
{
	on_exit(ret, false);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(syscount_task_exit_raw)
{
	on_task_exit(false);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
