// SPDX-License-Identifier: GPL-2.0
/* The probe engine's one family of generic programs (trace, funccount,
 * stackcount, argdist). What an event captures and which events pass is set
 * up by user space through rodata (mode, pid/comm/cgroup filters, stacks) and
 * the point_configs array (fields and comparisons per attach point); nothing
 * is compiled at run time.
 *
 * The attach point comes from the attach cookie (uprobe, kprobe, kprobe.multi,
 * perf tracepoint), or from `fixed_point` in instances that have one program
 * per point (fentry/fexit, raw_tp), which user space opens once per point
 * sharing this object's maps. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bits.bpf.h"
#include "filter.bpf.h"
#include "maps.bpf.h"
#include "probe.h"

#ifndef PF_KTHREAD
#define PF_KTHREAD 0x00200000
#endif
#ifndef BPF_F_USER_STACK
#define BPF_F_USER_STACK (1ULL << 8)
#endif

const volatile __u32 mode = PROBE_MODE_EVENTS;
const volatile __u32 fixed_point = PROBE_NO_POINT;
const volatile __u32 self_tgid = 0; /* the tool itself is never traced */
const volatile bool filter_comm = false;
const volatile char comm_filter[PROBE_COMM_LEN] = {};
const volatile bool filter_cgroup = false;
const volatile bool per_process = false;
const volatile bool want_kernel_stack = false;
const volatile bool want_user_stack = false;
const volatile bool has_config = true;     /* some point has fields or comparisons */
const volatile __u32 event_size_class = 0; /* 0 base, 1 strings, 2 strings and stacks */
const volatile __u32 string_bytes = 64;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* set to the number of points */
	__type(key, __u32);
	__type(value, struct probe_point_config);
} point_configs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PROBE_COUNTER_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096); /* set from ProbeOptions::ring_buffer_bytes */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1); /* the number of points */
	__type(key, __u32);
	__type(value, __u64);
} point_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, struct probe_process_key);
	__type(value, __u64);
} process_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, struct probe_stack_key);
	__type(value, __u64);
} stack_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, PROBE_MAX_STACK_DEPTH * sizeof(__u64));
} stack_traces SEC(".maps");

struct probe_histogram {
	__u64 entries[PROBE_HIST_ENTRIES];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct probe_histogram);
} histogram SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, struct probe_value_key);
	__type(value, __u64);
} value_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroup_filter SEC(".maps");

/* Room for a string under comparison, and for a value-count key. */
struct probe_scratch {
	char text[PROBE_STRING_MAX];
	struct probe_value_key value_key;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct probe_scratch);
} scratch SEC(".maps");

/* How a program's context holds the arguments. */
enum ctx_kind { CTX_REGS, CTX_FENTRY, CTX_RECORD, CTX_RAW };

static __always_inline void count(__u32 counter)
{
	__u64 *value = bpf_map_lookup_elem(&counters, &counter);

	if (value)
		*value += 1;
}

/* A pt_regs word. Read through the helper: clang folds a switch of direct
 * context loads into one load from a computed offset, which the verifier
 * refuses ("dereference of modified ctx ptr"). */
static __always_inline __u64 register_word(void *regs, __u32 offset)
{
	__u64 value = 0;

	bpf_probe_read_kernel(&value, sizeof(value), (char *)regs + offset);
	return value;
}

static __always_inline __u64 register_arg(struct pt_regs *regs, __u32 index)
{
	__u32 offset;

	switch (index) {
	case 0: offset = __builtin_offsetof(struct pt_regs, di); break;
	case 1: offset = __builtin_offsetof(struct pt_regs, si); break;
	case 2: offset = __builtin_offsetof(struct pt_regs, dx); break;
	case 3: offset = __builtin_offsetof(struct pt_regs, cx); break;
	case 4: offset = __builtin_offsetof(struct pt_regs, r8); break;
	case 5: offset = __builtin_offsetof(struct pt_regs, r9); break;
	default: return 0;
	}
	return register_word(regs, offset);
}

static __always_inline __u64 extend(__u64 value, __u32 size, bool is_signed)
{
	if (size >= 8 || size == 0)
		return value;
	__u32 shift = 64 - size * 8;

	value <<= shift;
	return is_signed ? (__u64)((__s64)value >> shift) : value >> shift;
}

static __always_inline __u64 read_memory(__u64 address, __u32 size, bool is_signed, bool user,
					 bool *fault)
{
	__u64 value = 0;
	__u32 bytes = size;
	long err;

	if (bytes > 8 || bytes == 0)
		bytes = 8;
	if (user)
		err = bpf_probe_read_user(&value, bytes, (const void *)address);
	else
		err = bpf_probe_read_kernel(&value, bytes, (const void *)address);
	if (err) {
		*fault = true;
		return 0;
	}
	return extend(value, bytes, is_signed);
}

/* The field's integer value: its base, then its member reads. For a string
 * field this is the address of the string. */
static __always_inline __u64 field_value(void *ctx, enum ctx_kind kind,
					 const struct probe_field *field, bool *fault)
{
	__u64 value = 0;
	__u32 steps = field->steps;

	switch (field->source) {
	case PROBE_SOURCE_ARG:
		if (kind == CTX_REGS)
			value = register_arg(ctx, field->index);
		else if (kind == CTX_FENTRY)
			bpf_get_func_arg(ctx, field->index, &value);
		if (!steps)
			value = extend(value, field->size, field->is_signed);
		break;
	case PROBE_SOURCE_RETVAL:
		if (kind == CTX_REGS)
			value = register_word(ctx, __builtin_offsetof(struct pt_regs, ax));
		else if (kind == CTX_FENTRY)
			bpf_get_func_ret(ctx, &value);
		if (!steps)
			value = extend(value, field->size, field->is_signed);
		break;
	case PROBE_SOURCE_RECORD:
		if (kind == CTX_RECORD) {
			if (field->inline_string)
				return 0; /* a string in the record: field_string reads it */
			value = read_memory((__u64)ctx + field->record_offset, steps ? 8 : field->size,
					    field->is_signed, false, fault);
		}
		break;
	case PROBE_SOURCE_DATA_LOC:
		return 0; /* a string in the record: field_string reads it */
	case PROBE_SOURCE_REGS:
		if (kind == CTX_REGS)
			value = register_word(ctx, field->record_offset);
		if (!steps)
			value = extend(value, field->size, field->is_signed);
		break;
	case PROBE_SOURCE_PID:
		return bpf_get_current_pid_tgid() >> 32;
	case PROBE_SOURCE_TID:
		return (__u32)bpf_get_current_pid_tgid();
	case PROBE_SOURCE_CPU:
		return bpf_get_smp_processor_id();
	case PROBE_SOURCE_UID:
		return (__u32)bpf_get_current_uid_gid();
	case PROBE_SOURCE_CGROUP:
		return bpf_get_current_cgroup_id();
	}
	for (__u32 i = 0; i < PROBE_MAX_STEPS; i++) {
		if (i >= steps)
			break;
		bool last = i + 1 == steps;

		if (last && field->inline_string) {
			value += field->offsets[i]; /* a char array: its address */
			break;
		}
		value = read_memory(value + field->offsets[i], last ? field->size : 8,
				    last && field->is_signed, field->user_memory, fault);
	}
	return value;
}

/* Copies a string field into `out` (string_bytes at most, NUL-terminated). */
static __always_inline void field_string(void *ctx, enum ctx_kind kind,
					 const struct probe_field *field, char *out, bool *fault)
{
	__u32 bytes = string_bytes;
	long err;

	if (bytes > PROBE_STRING_MAX || bytes == 0)
		bytes = PROBE_STRING_MAX;
	if (field->source == PROBE_SOURCE_COMM) {
		bpf_get_current_comm(out, PROBE_COMM_LEN);
		return;
	}
	if (kind == CTX_RECORD && field->source == PROBE_SOURCE_RECORD && field->inline_string) {
		__u32 size = field->size ? field->size : PROBE_STRING_MAX;

		if (size > bytes)
			size = bytes;
		err = bpf_probe_read_kernel_str(out, size & (2 * PROBE_STRING_MAX - 1),
						(char *)ctx + field->record_offset);
		goto done;
	}
	if (kind == CTX_RECORD && field->source == PROBE_SOURCE_DATA_LOC) {
		__u32 location = 0;

		bpf_probe_read_kernel(&location, sizeof(location), (char *)ctx + field->record_offset);
		err = bpf_probe_read_kernel_str(out, bytes, (char *)ctx + (location & 0xffff));
		goto done;
	}
	__u64 address = field_value(ctx, kind, field, fault);

	if (field->user_memory) {
		err = bpf_probe_read_user_str(out, bytes, (const void *)address);
	} else {
		err = bpf_probe_read_kernel_str(out, bytes, (const void *)address);
		/* Tracepoint and kernel function pointers may hold user addresses
		 * (syscall arguments): the kernel read refuses those. */
		if (err < 0)
			err = bpf_probe_read_user_str(out, bytes, (const void *)address);
	}
done:
	if (err < 0) {
		out[0] = 0;
		*fault = true;
	}
}

static __always_inline bool compare(__u64 value, const struct probe_filter *filter)
{
	__u64 constant = filter->constant;

	if (filter->field.is_signed) {
		__s64 a = value, b = constant;

		switch (filter->op) {
		case PROBE_EQ: return a == b;
		case PROBE_NE: return a != b;
		case PROBE_LT: return a < b;
		case PROBE_LE: return a <= b;
		case PROBE_GT: return a > b;
		case PROBE_GE: return a >= b;
		}
		return false;
	}
	switch (filter->op) {
	case PROBE_EQ: return value == constant;
	case PROBE_NE: return value != constant;
	case PROBE_LT: return value < constant;
	case PROBE_LE: return value <= constant;
	case PROBE_GT: return value > constant;
	case PROBE_GE: return value >= constant;
	}
	return false;
}

static __always_inline bool string_matches(const char *text, const struct probe_filter *filter)
{
	__u32 length = filter->string_len;

	if (length >= PROBE_STRING_MAX)
		return false;
	for (__u32 i = 0; i < PROBE_STRING_MAX; i++) {
		if (i >= length)
			break;
		if (text[i] != filter->text[i])
			return false;
	}
	return filter->op == PROBE_PREFIX || text[length & (PROBE_STRING_MAX - 1)] == 0;
}

static __always_inline bool passes(void *ctx, enum ctx_kind kind,
				   const struct probe_point_config *config, bool *fault)
{
	__u32 zero = 0;

	for (__u32 i = 0; i < PROBE_MAX_FILTERS; i++) {
		if (i >= config->filter_count)
			break;
		const struct probe_filter *filter = &config->filters[i];

		if (filter->field.string) {
			struct probe_scratch *buffer = bpf_map_lookup_elem(&scratch, &zero);

			if (!buffer)
				return false;
			field_string(ctx, kind, &filter->field, buffer->text, fault);
			bool match = string_matches(buffer->text, filter);

			if (filter->op == PROBE_NE ? match : !match)
				return false;
		} else if (!compare(field_value(ctx, kind, &filter->field, fault), filter)) {
			return false;
		}
	}
	return true;
}

static __always_inline bool comm_selected(void)
{
	char comm[PROBE_COMM_LEN];

	bpf_get_current_comm(comm, sizeof(comm));
	for (int i = 0; i < PROBE_COMM_LEN; i++) {
		if (comm[i] != comm_filter[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

static __always_inline bool user_stack_possible(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	return !(BPF_CORE_READ(task, flags) & PF_KTHREAD);
}

static __always_inline void emit_event(void *ctx, enum ctx_kind kind, __u32 point,
				       const struct probe_point_config *config, __u64 pid_tgid,
				       bool *fault)
{
	struct probe_event *event;

	if (event_size_class == 2)
		event = bpf_ringbuf_reserve(&events, PROBE_EVENT_FULL_SIZE, 0);
	else if (event_size_class == 1)
		event = bpf_ringbuf_reserve(&events, PROBE_EVENT_STRINGS_SIZE, 0);
	else
		event = bpf_ringbuf_reserve(&events, PROBE_EVENT_BASE_SIZE, 0);
	if (!event) {
		count(PROBE_RINGBUF_LOST);
		return;
	}
	event->timestamp_ns = bpf_ktime_get_ns();
	event->cgroup_id = bpf_get_current_cgroup_id();
	event->point = point;
	event->cpu = bpf_get_smp_processor_id();
	event->tgid = pid_tgid >> 32;
	event->tid = (__u32)pid_tgid;
	event->uid = (__u32)bpf_get_current_uid_gid();
	event->flags = 0;
	event->kernel_stack_bytes = 0;
	event->user_stack_bytes = 0;
	bpf_get_current_comm(event->comm, sizeof(event->comm));
	for (__u32 i = 0; i < PROBE_MAX_FIELDS; i++) {
		event->values[i] = 0;
		if (!config || i >= config->field_count)
			continue;
		const struct probe_field *field = &config->fields[i];

		if (field->string) {
			if (event_size_class >= 1)
				field_string(ctx, kind, field,
					     event->strings[field->string_slot & (PROBE_MAX_STRINGS - 1)],
					     fault);
		} else {
			event->values[i] = field_value(ctx, kind, field, fault);
		}
	}
	if (event_size_class == 2) {
		if (want_kernel_stack) {
			event->kernel_stack_bytes =
				bpf_get_stack(ctx, event->kernel_ips, sizeof(event->kernel_ips), 0);
			if (event->kernel_stack_bytes <= 0)
				count(PROBE_STACKS_MISSING);
		}
		if (want_user_stack && user_stack_possible()) {
			event->user_stack_bytes = bpf_get_stack(ctx, event->user_ips,
								sizeof(event->user_ips),
								BPF_F_USER_STACK);
			if (event->user_stack_bytes <= 0)
				count(PROBE_STACKS_MISSING);
		}
	}
	if (*fault)
		event->flags |= PROBE_EVENT_READ_ERROR;
	bpf_ringbuf_submit(event, 0);
}

static __always_inline void count_point(__u32 point, __u64 pid_tgid)
{
	if (!per_process) {
		__u64 *value = bpf_map_lookup_elem(&point_counts, &point);

		if (value)
			*value += 1;
		return;
	}
	struct probe_process_key key = {.point = point, .tgid = pid_tgid >> 32};
	__u64 zero = 0;

	bpf_get_current_comm(key.comm, sizeof(key.comm));
	__u64 *value = map_lookup_or_init(&process_counts, &key, &zero);

	if (!value) {
		count(PROBE_MAP_FULL);
		return;
	}
	__sync_fetch_and_add(value, 1);
}

static __always_inline void count_stack(void *ctx, __u32 point, __u64 pid_tgid)
{
	struct probe_stack_key key = {.point = point, .user_stack = -1, .kernel_stack = -1};
	__u64 zero = 0;

	if (per_process || want_user_stack) {
		/* user stacks are symbolized in their process */
		key.tgid = pid_tgid >> 32;
		bpf_get_current_comm(key.comm, sizeof(key.comm));
	}
	if (want_kernel_stack) {
		key.kernel_stack = bpf_get_stackid(ctx, &stack_traces, 0);
		if (key.kernel_stack < 0)
			count(PROBE_STACKS_MISSING);
	}
	if (want_user_stack && user_stack_possible()) {
		key.user_stack_wanted = 1;
		key.user_stack = bpf_get_stackid(ctx, &stack_traces, BPF_F_USER_STACK);
		if (key.user_stack < 0)
			count(PROBE_STACKS_MISSING);
	}
	__u64 *value = map_lookup_or_init(&stack_counts, &key, &zero);

	if (!value) {
		count(PROBE_MAP_FULL);
		return;
	}
	__sync_fetch_and_add(value, 1);
}

static __always_inline void record_value(void *ctx, enum ctx_kind kind,
					 const struct probe_point_config *config, bool *fault)
{
	__u32 zero = 0;

	if (!config || config->field_count == 0)
		return;
	const struct probe_field *field = &config->fields[0];

	if (mode == PROBE_MODE_HISTOGRAM) {
		struct probe_histogram *hist = bpf_map_lookup_elem(&histogram, &zero);

		if (!hist)
			return;
		__u64 value = field_value(ctx, kind, field, fault);
		__u32 slot = 0;

		if (field->is_signed && (__s64)value < 0)
			hist->entries[PROBE_HIST_NEGATIVE] += 1;
		else
			slot = log2_slot(value);
		if (slot >= PROBE_HIST_SLOTS)
			slot = PROBE_HIST_SLOTS - 1;
		hist->entries[slot] += 1;
		hist->entries[PROBE_HIST_COUNT] += 1;
		if (!(field->is_signed && (__s64)value < 0)) {
			hist->entries[PROBE_HIST_SUM] += value;
			if (value > hist->entries[PROBE_HIST_MAX])
				hist->entries[PROBE_HIST_MAX] = value;
			if (~value > hist->entries[PROBE_HIST_MIN_INVERTED])
				hist->entries[PROBE_HIST_MIN_INVERTED] = ~value;
		}
		return;
	}
	struct probe_scratch *buffer = bpf_map_lookup_elem(&scratch, &zero);
	__u64 initial = 0;

	if (!buffer)
		return;
	struct probe_value_key *key = &buffer->value_key;

	__builtin_memset(key, 0, sizeof(*key));
	if (field->string)
		field_string(ctx, kind, field, key->text, fault);
	else
		key->value = field_value(ctx, kind, field, fault);
	__u64 *value = map_lookup_or_init(&value_counts, key, &initial);

	if (!value) {
		count(PROBE_MAP_FULL);
		return;
	}
	__sync_fetch_and_add(value, 1);
}

static __always_inline int handle(void *ctx, enum ctx_kind kind)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	bool fault = false;

	if (self_tgid && tgid == self_tgid)
		return 0;
	count(PROBE_HITS);
	/* raw_tp has no cookie before 6.10; fentry instances are per point anyway */
	__u32 point = kind == CTX_FENTRY || kind == CTX_RAW ? fixed_point
							     : (__u32)bpf_get_attach_cookie(ctx);
	const struct probe_point_config *config = NULL;

	if (has_config)
		config = bpf_map_lookup_elem(&point_configs, &point);
	if (!pid_selected(tgid, (__u32)pid_tgid) || (filter_comm && !comm_selected()) ||
	    (filter_cgroup && !bpf_current_task_under_cgroup(&cgroup_filter, 0)) ||
	    (config && !passes(ctx, kind, config, &fault))) {
		count(PROBE_FILTERED_OUT);
		if (fault)
			count(PROBE_READ_ERRORS);
		return 0;
	}
	switch (mode) {
	case PROBE_MODE_EVENTS:
		emit_event(ctx, kind, point, config, pid_tgid, &fault);
		break;
	case PROBE_MODE_COUNT:
		count_point(point, pid_tgid);
		break;
	case PROBE_MODE_STACK_COUNT:
		count_stack(ctx, point, pid_tgid);
		break;
	default:
		record_value(ctx, kind, config, &fault);
		break;
	}
	if (fault)
		count(PROBE_READ_ERRORS);
	return 0;
}

/* libbpf 1.1 has no BPF_UPROBE: uprobes get the same pt_regs context. */
SEC("uprobe")
int probe_uprobe(struct pt_regs *ctx)
{
	return handle(ctx, CTX_REGS);
}

SEC("uretprobe")
int probe_uretprobe(struct pt_regs *ctx)
{
	return handle(ctx, CTX_REGS);
}

SEC("kprobe")
int probe_kprobe(struct pt_regs *ctx)
{
	return handle(ctx, CTX_REGS);
}

SEC("kretprobe")
int probe_kretprobe(struct pt_regs *ctx)
{
	return handle(ctx, CTX_REGS);
}

SEC("kprobe.multi")
int probe_kprobe_multi(struct pt_regs *ctx)
{
	return handle(ctx, CTX_REGS);
}

SEC("kretprobe.multi")
int probe_kretprobe_multi(struct pt_regs *ctx)
{
	return handle(ctx, CTX_REGS);
}

SEC("fentry")
int probe_fentry(__u64 *ctx)
{
	return handle(ctx, CTX_FENTRY);
}

SEC("fexit")
int probe_fexit(__u64 *ctx)
{
	return handle(ctx, CTX_FENTRY);
}

SEC("tracepoint")
int probe_tracepoint(void *ctx)
{
	handle(ctx, CTX_RECORD);
	/* Not 0: for a tracepoint program 0 also stops the kernel from passing the
	 * event to perf, so `perf stat -e CAT:NAME` beside us would count nothing. */
	return 1;
}

SEC("raw_tp")
int probe_raw_tp(void *ctx)
{
	return handle(ctx, CTX_RAW);
}

char LICENSE[] SEC("license") = "GPL";
