// SPDX-License-Identifier: GPL-2.0
/* taskstat: per-thread on-CPU time, run-queue wait, off-CPU time by state,
 * context switches and wakeups, from sched_switch/sched_wakeup. Everything
 * accumulates in the thread's local storage: the hot path does no map
 * lookups by key and no atomics. A task iterator reads every thread's figures
 * (with its own fault and migration counters) for user space; a thread that
 * exits leaves its last figures in a hash map. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "maps.bpf.h"
#include "stack_common.bpf.h"
#include "taskstat.h"

#define TASK_RUNNING 0
#define TASK_INTERRUPTIBLE 0x1
#define TASK_UNINTERRUPTIBLE 0x2
#define TASK_NOLOAD 0x400

enum where { UNKNOWN, ON_CPU, RUNNABLE, SLEEPING, BLOCKED, OTHER };

struct task_figures {
	__u64 since_ns; /* when the thread entered `where` */
	__u32 where;
	__u32 pad;
	__u64 oncpu_ns, runq_ns, sleep_ns, blocked_ns;
	__u64 voluntary, involuntary, wakeups;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, 1 /* BPF_F_NO_PREALLOC */);
	__type(key, int);
	__type(value, struct task_figures);
} figures SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct taskstat_record);
} exited SEC(".maps");

STACK_COUNTERS_MAP(TASKSTAT_COUNTER_COUNT);

static __always_inline struct task_figures *figures_of(struct task_struct *task)
{
	struct task_figures *f =
		bpf_task_storage_get(&figures, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!f)
		STACK_COUNTER_ADD(counters, TASKSTAT_STORAGE_FAILED, 1);
	return f;
}

/* Closes the thread's current period at `now`, adding it where it belongs. */
static __always_inline void close_period(struct task_figures *f, __u64 now)
{
	__u64 delta = f->since_ns && now > f->since_ns ? now - f->since_ns : 0;

	switch (f->where) {
	case ON_CPU: f->oncpu_ns += delta; break;
	case RUNNABLE: f->runq_ns += delta; break;
	case SLEEPING: f->sleep_ns += delta; break;
	case BLOCKED: f->blocked_ns += delta; break;
	default: break;
	}
}

static __always_inline void enter(struct task_figures *f, __u32 where, __u64 now)
{
	f->where = where;
	f->since_ns = now;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(taskstat_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	__u64 now = bpf_ktime_get_ns();
	struct task_figures *f;

	if (prev->pid) {
		f = figures_of(prev);
		if (f) {
			close_period(f, now);
			/* As __schedule() counts nvcsw: a switch away that is not a
			 * preemption, by a task that set a sleeping state. */
			if (!preempt && prev_state != TASK_RUNNING) {
				f->voluntary++;
				if (prev_state & TASK_INTERRUPTIBLE)
					enter(f, SLEEPING, now);
				else if ((prev_state & TASK_UNINTERRUPTIBLE) &&
					 !(prev_state & TASK_NOLOAD))
					enter(f, BLOCKED, now);
				else
					enter(f, OTHER, now);
			} else {
				f->involuntary++;
				enter(f, RUNNABLE, now);
			}
		}
	}
	if (next->pid) {
		f = figures_of(next);
		if (f) {
			close_period(f, now);
			enter(f, ON_CPU, now);
		}
	}
	return 0;
}

static __always_inline void woken(struct task_struct *p, bool count)
{
	if (!p->pid)
		return;
	struct task_figures *f = figures_of(p);
	if (!f)
		return;
	__u64 now = bpf_ktime_get_ns();
	close_period(f, now);
	enter(f, RUNNABLE, now);
	if (count)
		f->wakeups++;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(taskstat_wakeup, struct task_struct *p)
{
	woken(p, true);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(taskstat_wakeup_new, struct task_struct *p)
{
	woken(p, false);
	return 0;
}

/* The record of a thread: its figures up to `now` (the period it is in
 * counted so far) and its own counters. */
static __always_inline void fill_record(struct taskstat_record *r, struct task_struct *task,
					struct task_figures *f, __u64 now)
{
	r->tid = task->pid;
	r->tgid = task->tgid;
	BPF_CORE_READ_STR_INTO(&r->comm, task, comm);
	r->migrations = task->se.nr_migrations;
	r->minor_faults = task->min_flt;
	r->major_faults = task->maj_flt;
	r->kernel_thread = (task->flags & PF_KTHREAD) != 0;
	if (!f)
		return;
	r->oncpu_ns = f->oncpu_ns;
	r->runq_ns = f->runq_ns;
	r->sleep_ns = f->sleep_ns;
	r->blocked_ns = f->blocked_ns;
	r->voluntary = f->voluntary;
	r->involuntary = f->involuntary;
	r->wakeups = f->wakeups;
	__u64 delta = f->since_ns && now > f->since_ns ? now - f->since_ns : 0;
	switch (f->where) {
	case ON_CPU: r->oncpu_ns += delta; break;
	case RUNNABLE: r->runq_ns += delta; break;
	case SLEEPING: r->sleep_ns += delta; break;
	case BLOCKED: r->blocked_ns += delta; break;
	default: break;
	}
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(taskstat_exit, struct task_struct *p)
{
	static const struct taskstat_record zero;
	__u32 tid = p->pid;
	struct taskstat_record *r;

	if (map_update(&exited, &tid, &zero, BPF_ANY)) {
		STACK_COUNTER_ADD(counters, TASKSTAT_EXITED_FULL, 1);
		return 0;
	}
	r = bpf_map_lookup_elem(&exited, &tid);
	if (!r)
		return 0;
	fill_record(r, p, bpf_task_storage_get(&figures, p, 0, 0), bpf_ktime_get_ns());
	r->exited = 1;
	return 0;
}

SEC("iter/task")
int taskstat_dump(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct taskstat_record r = {};

	/* A thread that has exited left its record in `exited`; as a zombie it
	 * must not come back here as a new thread. */
	if (!task || !task->pid || task->exit_state)
		return 0;
	fill_record(&r, task, bpf_task_storage_get(&figures, task, 0, 0), bpf_ktime_get_ns());
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
