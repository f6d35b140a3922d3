// SPDX-License-Identifier: GPL-2.0
/* Off-CPU time by stack.
 *
 * Default design (tp_btf): at switch-out only a timestamp goes into the task's
 * local storage, plus the user stack (which can only be read in the task's own
 * context), reused without a walk while the task blocks from the same user
 * registers. At switch-in the block length is known; only blocks inside
 * [min_ns, max_ns] pay for the kernel stack, read from the now-blocked `next`
 * with bpf_get_task_stack() and also reused while the task blocks from the same
 * kernel stack depth, syscall and user call site.
 *
 * Straightforward design (capture_at_switch_out, and the raw_tp fallback where
 * BTF-typed task pointers are unavailable): both stacks at every switch-out,
 * as libbpf-tools does. It is the reference the default
 * design is checked against. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "filter.bpf.h"
#include "maps.bpf.h"
#include "new_process.bpf.h"
#include "offcputime.h"
#include "stack_common.bpf.h"

#define BPF_F_NO_PREALLOC_FLAG 1

const volatile bool kernel_threads_only = false;
const volatile bool user_threads_only = false;
const volatile int state_filter = -1;       /* -1: any task state */
#define TASK_STATE_BITS 0xff                 /* below TASK_WAKEKILL (0x100) */
const volatile __u64 min_block_ns = 1000;
const volatile __u64 max_block_ns = ~0ULL;
const volatile bool capture_user = true;
const volatile bool capture_kernel = true;
const volatile bool capture_at_switch_out = false;
const volatile bool reuse_stacks = true;    /* fingerprint caches of the default design */
const volatile __u32 max_stack_bytes = OFFCPU_MAX_STACK_DEPTH * sizeof(__u64);
const volatile __u32 this_tgid = 0;         /* the tool itself, never measured */
/* kernel text bounds (_stext, _etext) for the kernel stack fingerprint; 0: no reuse */
const volatile __u64 kernel_text_start = 0;
const volatile __u64 kernel_text_end = 0;
/* scheduler text bounds (__sched_text_start, __sched_text_end): the blocking
 * frames bpf_get_task_stack() leaves out; 0: none recovered */
const volatile __u64 sched_text_start = 0;
const volatile __u64 sched_text_end = 0;
const volatile __u64 thread_stack_size = 16384; /* THREAD_SIZE: bounds the window read */

/* Words of a blocked task's kernel stack, from its saved stack pointer up,
 * whose text addresses make up the kernel stack fingerprint. */
#define OFFCPU_FINGERPRINT_WORDS 24
/* Words read from the saved stack pointer up to find the scheduler's frames
 * (__schedule, schedule, do_nanosleep, the mutex and futex wait paths): their
 * frames lie between the saved stack pointer and the first frame the kernel's
 * unwinder reports. 96 words cover the deepest path measured (a kernel mutex
 * wait: __schedule, schedule, schedule_preempt_disabled, __mutex_lock). */
#define OFFCPU_WINDOW_WORDS 96
/* At most this many scheduler frames are prepended to a kernel stack. */
#define OFFCPU_SCHED_FRAMES_MAX 8

/* A task often blocks at a few sites in turn (a pipe reader's read(), then
 * its write() being preempted on the way out), so each cache has a few ways. */
#define OFFCPU_CACHE_WAYS 4

/* user registers and innermost frame record of a walk, and its result */
struct user_cache_entry {
	__u64 ip, sp, bp, frame_ret;
	__u64 stack;
};

/* kernel text addresses near the stack pointer, syscall and user call site
 * of a walk, and its result */
struct kernel_cache_entry {
	__u64 text_hash, syscall, user_ip;
	__u64 stack;
	__u64 preempted; /* left the CPU runnable: preempted, not blocked */
};

/* What a task carries between its switch-out and its switch-in. */
struct offcpu_task {
	__u64 start_ns;             /* 0: not blocked (or not selected) */
	__u64 user_stack;           /* stacks key of the user stack, 0: none */
	__u64 kernel_stack;         /* switch-out capture only */
	__u64 announced_key;        /* process_exec_key() last announced, 0: none */
	struct user_cache_entry user_cache[OFFCPU_CACHE_WAYS];
	struct kernel_cache_entry kernel_cache[OFFCPU_CACHE_WAYS];
	__u8 user_next_way;
	__u8 kernel_next_way;
	__u8 user_stack_wanted;
	__u8 preempted;             /* left the CPU runnable (switch-out state 0) */
	__u8 pad[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC_FLAG);
	__type(key, int);
	__type(value, struct offcpu_task);
} task_storage SEC(".maps");

/* raw_tp fallback: per-thread state keyed by tid; the idle threads all have tid
 * 0, so they are keyed by CPU instead (idle of CPU n only runs on CPU n). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct offcpu_task);
} task_by_tid SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 20480);
	__type(key, __u64);
	__type(value, struct offcpu_stack);
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct offcpu_stack);
} scratch SEC(".maps");

struct stack_window {
	__u64 words[OFFCPU_WINDOW_WORDS];
	__u32 valid_words; /* read from the stack (the rest is past its top) */
};

/* A kernel stack being assembled: scheduler frames just before ips[SCHED_FRAMES_MAX],
 * where bpf_get_task_stack() writes the rest. */
struct kernel_stack_buf {
	__u64 ips[OFFCPU_SCHED_FRAMES_MAX + OFFCPU_MAX_STACK_DEPTH];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kernel_stack_buf);
} kernel_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stack_window);
} window_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct offcpu_key);
	__type(value, struct offcpu_value);
} blocks SEC(".maps");

STACK_COUNTERS_MAP(OFFCPU_COUNTER_COUNT);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OFFCPU_ERRNO_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} kernel_stack_errors SEC(".maps");

/* A kernel stack that could not be read (result <= 0), by kind of task: idle
 * tasks and kernel threads are expected now and then, a user thread's stack is
 * a genuine failure, counted by errno too. */
static __always_inline void count_missing_kernel_stack(struct task_struct *task, long result)
{
	if (BPF_CORE_READ(task, pid) == 0) {
		STACK_COUNTER_ADD(counters, OFFCPU_KERNEL_STACK_MISSING_IDLE, 1);
		return;
	}
	if (task_is_kthread(task)) {
		STACK_COUNTER_ADD(counters, OFFCPU_KERNEL_STACK_MISSING_KTHREAD, 1);
		return;
	}
	STACK_COUNTER_ADD(counters, OFFCPU_KERNEL_STACK_MISSING, 1);
	__u32 slot = result < 0 ? (__u32)-result : 0;
	if (slot >= OFFCPU_ERRNO_SLOTS)
		slot = OFFCPU_ERRNO_SLOTS - 1;
	STACK_COUNTER_ADD(kernel_stack_errors, slot, 1);
}

static __always_inline struct offcpu_task *task_slot(struct task_struct *task, __u32 tid, bool btf,
						     bool create)
{
	if (btf)
		return bpf_task_storage_get(&task_storage, task, 0,
					    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);

	__u64 key = tid ? tid : ((1ULL << 32) | bpf_get_smp_processor_id());
	if (!create)
		return bpf_map_lookup_elem(&task_by_tid, &key);
	struct offcpu_task zero = {};
	return map_lookup_or_init(&task_by_tid, &key, &zero);
}

static __always_inline bool task_selected(struct task_struct *task, __u32 tgid, __u32 tid)
{
	if (tgid == this_tgid && tgid != 0)
		return false;
	if (!pid_selected(tgid, tid))
		return false;
	if (kernel_threads_only || user_threads_only) {
		bool kthread = task_is_kthread(task);
		if (kernel_threads_only && !kthread)
			return false;
		if (user_threads_only && kthread)
			return false;
	}
	/* Compare the state bits only (R=0, S=1, D=2, ...): since 6.1 a sleep in
	 * nanosleep is TASK_INTERRUPTIBLE|TASK_FREEZABLE (0x2001) and a killable
	 * wait is TASK_UNINTERRUPTIBLE|TASK_WAKEKILL (0x102); both still mean S and D. */
	if (state_filter != -1 && (task_state(task) & TASK_STATE_BITS) != (unsigned int)state_filter)
		return false;
	return true;
}

static __always_inline struct offcpu_stack *scratch_stack(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&scratch, &zero);
}

static __always_inline __u32 stack_bytes(void)
{
	__u32 size = max_stack_bytes;
	if (size > sizeof(((struct offcpu_stack *)0)->ips))
		size = sizeof(((struct offcpu_stack *)0)->ips);
	return size;
}

static __always_inline __u64 store_stack(struct offcpu_stack *buf, long bytes,
					 enum offcpu_counter full_counter)
{
	__u64 hash = stack_store(&stacks, buf->ips, bytes);
	if (!hash)
		STACK_COUNTER_ADD(counters, full_counter, 1);
	return hash;
}

/* A stack of the current task (prev): user (flags = BPF_F_USER_STACK) or kernel. */
static __always_inline __u64 current_stack(void *ctx, __u64 flags, enum offcpu_counter missing,
					   enum offcpu_counter full)
{
	struct offcpu_stack *buf = scratch_stack();
	if (!buf)
		return 0;
	__u32 size = stack_bytes();
	long bytes = bpf_get_stack(ctx, buf->ips, size, flags);
	if (bytes <= 0) {
		STACK_COUNTER_ADD(counters, missing, 1);
		return 0;
	}
	return store_stack(buf, bytes, full);
}

/* The kernel stack of prev (the current task), switch-out capture. */
static __always_inline __u64 current_kernel_stack(void *ctx, struct task_struct *prev)
{
	struct offcpu_stack *buf = scratch_stack();
	if (!buf)
		return 0;
	long bytes = bpf_get_stack(ctx, buf->ips, stack_bytes(), 0);
	if (bytes <= 0) {
		count_missing_kernel_stack(prev, bytes);
		return 0;
	}
	return store_stack(buf, bytes, OFFCPU_KERNEL_STACK_MAP_FULL);
}

/* The user stack of prev (the current task). With reuse_stacks, the walk is
 * skipped while the registers the kernel saved at user->kernel entry and the
 * innermost frame record are those of the last walk: the same call site at the
 * same stack depth, returning into the same caller. */
static __always_inline void record_user_stack(void *ctx, struct task_struct *prev,
					      struct offcpu_task *ts, bool btf)
{
	ts->user_stack_wanted = 1;
	if (!(btf && reuse_stacks)) {
		STACK_COUNTER_ADD(counters, OFFCPU_USER_STACK_WALKS, 1);
		ts->user_stack = current_stack(ctx, BPF_F_USER_STACK, OFFCPU_USER_STACK_MISSING,
					       OFFCPU_USER_STACK_MAP_FULL);
		return;
	}
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(prev);
	__u64 ip = BPF_CORE_READ(regs, ip);
	__u64 sp = BPF_CORE_READ(regs, sp);
	__u64 bp = BPF_CORE_READ(regs, bp);
	__u64 frame[2] = {};

	bpf_probe_read_user(frame, sizeof(frame), (void *)bp);
#pragma unroll
	for (int i = 0; i < OFFCPU_CACHE_WAYS; i++) {
		struct user_cache_entry *e = &ts->user_cache[i];
		if (e->stack && e->ip == ip && e->sp == sp && e->bp == bp && e->frame_ret == frame[1]) {
			STACK_COUNTER_ADD(counters, OFFCPU_USER_STACK_CACHE_HITS, 1);
			ts->user_stack = e->stack;
			return;
		}
	}
	STACK_COUNTER_ADD(counters, OFFCPU_USER_STACK_WALKS, 1);
	__u64 stack = current_stack(ctx, BPF_F_USER_STACK, OFFCPU_USER_STACK_MISSING,
				    OFFCPU_USER_STACK_MAP_FULL);
	ts->user_stack = stack;
	if (!stack)
		return;
	__u32 way = ts->user_next_way & (OFFCPU_CACHE_WAYS - 1);
	ts->user_next_way = way + 1;
	struct user_cache_entry *e = &ts->user_cache[way];
	e->ip = ip;
	e->sp = sp;
	e->bp = bp;
	e->frame_ret = frame[1];
	e->stack = stack;
}

static __always_inline void switch_out(void *ctx, struct task_struct *prev, bool btf, __u64 now)
{
	__u32 tgid = BPF_CORE_READ(prev, tgid);
	__u32 tid = BPF_CORE_READ(prev, pid);

	if (!task_selected(prev, tgid, tid))
		return;
	struct offcpu_task *ts = task_slot(prev, tid, btf, true);
	if (!ts) {
		STACK_COUNTER_ADD(counters, OFFCPU_TASK_STORAGE_FAILED, 1);
		return;
	}
	STACK_COUNTER_ADD(counters, OFFCPU_SWITCHES_OUT, 1);
	bool kthread = task_is_kthread(prev);
	/* ts->announced_key spares the map lookup at every switch-out. */
	if (!kthread) {
		__u64 key = process_exec_key(prev);

		if (key != ts->announced_key) {
			if (announce_process(tgid, tid, key))
				ts->announced_key = key;
			else
				STACK_COUNTER_ADD(counters, OFFCPU_NEW_PID_LOST, 1);
		}
	}

	if (capture_user && !kthread) {
		record_user_stack(ctx, prev, ts, btf);
	} else {
		ts->user_stack_wanted = 0;
		ts->user_stack = 0;
	}
	if (capture_kernel && capture_at_switch_out) {
		STACK_COUNTER_ADD(counters, OFFCPU_KERNEL_STACK_WALKS, 1);
		ts->kernel_stack = current_kernel_stack(ctx, prev);
	} else {
		ts->kernel_stack = 0;
	}
	/* Part of the kernel stack cache key: a task preempted on its way out
	 * of a syscall has the same syscall, user call site and scheduler frames
	 * near its stack pointer as one blocked inside that syscall. */
	ts->preempted = task_state(prev) == 0;
	ts->start_ns = now;
}

/* Reads the top of a blocked task's kernel stack, from its saved stack
 * pointer up to `words` words (at most OFFCPU_WINDOW_WORDS), never past the
 * stack's end. */
static __always_inline struct stack_window *read_stack_window(struct task_struct *task,
							       __u32 words)
{
	__u32 zero = 0;
	struct stack_window *window = bpf_map_lookup_elem(&window_scratch, &zero);
	if (!window)
		return 0;
	__u64 sp = BPF_CORE_READ(task, thread.sp);
	__u64 top = (__u64)BPF_CORE_READ(task, stack) + thread_stack_size;
	if (sp >= top)
		return 0;
	__u64 available = (top - sp) / sizeof(__u64);
	__u32 n = words < available ? words : available;
	window->valid_words = 0;
	if (n == 0 || n > OFFCPU_WINDOW_WORDS)
		return 0;
	if (bpf_probe_read_kernel(window->words, n * sizeof(__u64), (void *)sp))
		return 0;
	window->valid_words = n;
	return window;
}

/* Hash of the kernel text addresses (return addresses, mostly) in the top
 * words of a blocked task's kernel stack, in order. Positions are not hashed:
 * the syscall entry's random stack offset moves them, the chain does not. */
static __always_inline __u64 kernel_text_fingerprint(struct stack_window *window)
{
	__u64 hash = 0xcbf29ce484222325ULL;
	for (int i = 0; i < OFFCPU_FINGERPRINT_WORDS; i++) {
		if (i >= window->valid_words)
			break;
		__u64 w = window->words[i];
		if (w >= kernel_text_start && w < kernel_text_end)
			hash = stack_hash_step(hash, w);
	}
	return hash ? hash : 1;
}

/* State of the scan for scheduler frames (a bpf_loop callback: verified once,
 * not once per word and frame count). */
struct sched_scan {
	struct stack_window *window;
	__u64 first;  /* the first frame the unwinder reported */
	__u64 found[OFFCPU_SCHED_FRAMES_MAX];
	__u32 n;
	bool anchored;
};

static long scan_sched_word(__u32 index, struct sched_scan *scan)
{
	__u64 i = index;

	/* compare and index with the same register (clang may not) */
	asm volatile("" : "+r"(i));
	if (i >= OFFCPU_WINDOW_WORDS || i >= scan->window->valid_words)
		return 1;
	__u64 w = scan->window->words[i];
	if (w == scan->first) {
		scan->anchored = true;
		return 1;
	}
	if (w >= sched_text_start && w < sched_text_end) {
		__u32 n = scan->n;
		if (n >= OFFCPU_SCHED_FRAMES_MAX)
			return 0;
		scan->found[n] = w;
		scan->n = n + 1;
	}
	return 0;
}

/* Prepends the scheduler frames bpf_get_task_stack() skipped: the return
 * addresses into scheduler text between the saved stack pointer and the first
 * frame the unwinder reported (buf->ips[OFFCPU_SCHED_FRAMES_MAX]), innermost
 * first. Every word there belongs to a scheduler function's frame; those that
 * point into scheduler text are its return addresses. Returns the number of
 * frames written just before ips[OFFCPU_SCHED_FRAMES_MAX], 0 when the first
 * frame is not inside the window (counted). */
static __always_inline __u32 prepend_sched_frames(struct stack_window *window,
						  struct kernel_stack_buf *buf)
{
	struct sched_scan scan = {};

	scan.window = window;
	scan.first = buf->ips[OFFCPU_SCHED_FRAMES_MAX];
	bpf_loop(OFFCPU_WINDOW_WORDS, scan_sched_word, &scan, 0);
	__u32 n = scan.n;
	if (!scan.anchored || n == 0 || n > OFFCPU_SCHED_FRAMES_MAX) {
		STACK_COUNTER_ADD(counters, OFFCPU_SCHED_FRAMES_NOT_FOUND, 1);
		return 0;
	}
	for (__u32 j = 0; j < OFFCPU_SCHED_FRAMES_MAX; j++) {
		if (j >= n)
			break;
		buf->ips[(OFFCPU_SCHED_FRAMES_MAX - n + j) & (OFFCPU_SCHED_FRAMES_MAX - 1)] =
			scan.found[j];
	}
	return n;
}

/* The kernel stack of the blocked task `next`, reused while it blocks again
 * with the same kernel text addresses near its stack pointer, in the same
 * syscall, from the same user call site. */
static __always_inline __u64 kernel_stack_of(struct task_struct *next, struct offcpu_task *ts)
{
	__u64 text_hash = 0, syscall = 0, user_ip = 0;
	bool reuse = reuse_stacks && kernel_text_start != 0;
	bool sched_frames = sched_text_start != 0;
	struct stack_window *window = 0;

	/* A cache hit needs the fingerprint words only; a walk reads the rest. */
	if (reuse)
		window = read_stack_window(next, OFFCPU_FINGERPRINT_WORDS);
	if (reuse && window) {
		struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(next);
		text_hash = kernel_text_fingerprint(window);
		syscall = BPF_CORE_READ(regs, orig_ax);
		user_ip = BPF_CORE_READ(regs, ip);
#pragma unroll
		for (int i = 0; i < OFFCPU_CACHE_WAYS; i++) {
			struct kernel_cache_entry *e = &ts->kernel_cache[i];
			if (e->stack && e->text_hash == text_hash && e->syscall == syscall &&
			    e->user_ip == user_ip && e->preempted == ts->preempted) {
				STACK_COUNTER_ADD(counters, OFFCPU_KERNEL_STACK_CACHE_HITS, 1);
				return e->stack;
			}
		}
	}

	__u32 zero = 0;
	struct kernel_stack_buf *buf = bpf_map_lookup_elem(&kernel_scratch, &zero);
	if (!buf)
		return 0;
	__u32 size = stack_bytes();
	STACK_COUNTER_ADD(counters, OFFCPU_KERNEL_STACK_WALKS, 1);
	long bytes = bpf_get_task_stack(next, &buf->ips[OFFCPU_SCHED_FRAMES_MAX], size, 0);
	if (bytes <= 0) {
		count_missing_kernel_stack(next, bytes);
		return 0;
	}
	__u32 n = 0;
	if (sched_frames) {
		window = read_stack_window(next, OFFCPU_WINDOW_WORDS);
		if (window)
			n = prepend_sched_frames(window, buf);
		else
			STACK_COUNTER_ADD(counters, OFFCPU_SCHED_FRAMES_NOT_FOUND, 1);
	}
	if (n > OFFCPU_SCHED_FRAMES_MAX)
		n = OFFCPU_SCHED_FRAMES_MAX;
	/* the depth limit holds for the whole stack, scheduler frames included */
	long total = bytes + n * sizeof(__u64);
	if (total > size)
		total = size;
	__u64 hash = store_stack((struct offcpu_stack *)&buf->ips[OFFCPU_SCHED_FRAMES_MAX - n], total,
				 OFFCPU_KERNEL_STACK_MAP_FULL);
	if (reuse && text_hash && hash) {
		__u32 way = ts->kernel_next_way & (OFFCPU_CACHE_WAYS - 1);
		ts->kernel_next_way = way + 1;
		struct kernel_cache_entry *e = &ts->kernel_cache[way];
		e->text_hash = text_hash;
		e->syscall = syscall;
		e->user_ip = user_ip;
		e->preempted = ts->preempted;
		e->stack = hash;
	}
	return hash;
}

static __always_inline void switch_in(struct task_struct *next, bool btf, __u64 now)
{
	__u32 tid = BPF_CORE_READ(next, pid);
	struct offcpu_task *ts = task_slot(next, tid, btf, false);

	if (!ts || !ts->start_ns)
		return;
	__u64 delta = now - ts->start_ns;
	ts->start_ns = 0;
	if (delta < min_block_ns || delta > max_block_ns) {
		STACK_COUNTER_ADD(counters, OFFCPU_BLOCKS_FILTERED, 1);
		return;
	}

	struct offcpu_key key = {};
	key.tgid = BPF_CORE_READ(next, tgid);
	key.tid = tid;
	key.user_stack_wanted = ts->user_stack_wanted;
	key.user_stack = ts->user_stack;
	key.kernel_stack = ts->kernel_stack;
	if (btf && capture_kernel && !capture_at_switch_out)
		key.kernel_stack = kernel_stack_of(next, ts);
	BPF_CORE_READ_STR_INTO(&key.comm, next, comm);

	struct offcpu_value zero = {};
	struct offcpu_value *value = map_lookup_or_init(&blocks, &key, &zero);
	if (!value) {
		STACK_COUNTER_ADD(counters, OFFCPU_AGGREGATION_FULL, 1);
		STACK_COUNTER_ADD(counters, OFFCPU_AGGREGATION_FULL_NS, delta);
		return;
	}
	__sync_fetch_and_add(&value->total_ns, delta);
	__sync_fetch_and_add(&value->count, 1);
	STACK_COUNTER_ADD(counters, OFFCPU_BLOCKS_RECORDED, 1);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(offcpu_switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	/* One timestamp for both ends: a block ends when the switch happens, not
	 * after this program has walked the stacks of the task switching out. */
	__u64 now = bpf_ktime_get_ns();

	switch_out(ctx, prev, true, now);
	switch_in(next, true, now);
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(offcpu_switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	/* One timestamp for both ends: a block ends when the switch happens, not
	 * after this program has walked the stacks of the task switching out. */
	__u64 now = bpf_ktime_get_ns();

	switch_out(ctx, prev, false, now);
	switch_in(next, false, now);
	return 0;
}

/* After an exec, announce the process again (see forget_process). */
static __always_inline void forget_announcement(struct task_struct *task, bool btf)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct offcpu_task *ts = task_slot(task, (__u32)pid_tgid, btf, false);

	if (ts)
		ts->announced_key = 0;
	forget_process(pid_tgid >> 32);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(offcpu_exec_btf, struct task_struct *task)
{
	forget_announcement(task, true);
	return 0;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(offcpu_exec_raw, struct task_struct *task)
{
	forget_announcement(task, false);
	return 0;
}

/* Does nothing: the benchmark's reference for the cost of merely running a
 * tp_btf program at every context switch (--attach-empty-program). */
SEC("tp_btf/sched_switch")
int BPF_PROG(offcpu_switch_empty)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
