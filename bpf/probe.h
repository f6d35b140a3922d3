/* Shared between bpf/probe.bpf.c and userspace/core/probe_session.cpp: the
 * per-attach-point configuration the generic probe programs read, the event
 * record, the aggregation keys and the loss counters. */
#pragma once

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define PROBE_COMM_LEN 16
#define PROBE_MAX_FIELDS 8        /* captured per event */
#define PROBE_MAX_FILTERS 4       /* comparisons joined by && */
#define PROBE_MAX_STEPS 4         /* memory reads of one field (arg1->a->b: 2) */
#define PROBE_MAX_STRINGS 2       /* str() fields per event */
#define PROBE_STRING_MAX 128      /* upper bound of ProbeOptions::string_bytes */
#define PROBE_MAX_STACK_DEPTH 127
#define PROBE_NO_POINT 0xffffffffu

/* Where a field's first value comes from. */
enum probe_field_source {
	PROBE_SOURCE_ARG,      /* function argument `index` (0-based) */
	PROBE_SOURCE_RETVAL,   /* return value (return probes) */
	PROBE_SOURCE_RECORD,   /* tracepoint record at `record_offset` */
	PROBE_SOURCE_DATA_LOC, /* tracepoint __data_loc string: u32 at record_offset */
	PROBE_SOURCE_COMM,
	PROBE_SOURCE_PID,      /* tgid */
	PROBE_SOURCE_TID,
	PROBE_SOURCE_CPU,
	PROBE_SOURCE_UID,
	PROBE_SOURCE_CGROUP,
	PROBE_SOURCE_REGS,     /* pt_regs word at record_offset (USDT arguments) */
};

/* How a field is read: its base value, then `steps` memory reads (member
 * access through pointers: value = *(value + offsets[i])), the last one of
 * `size` bytes; a string field then copies the string the value points to
 * (or, for RECORD with inline_string, the char array in the record). */
struct probe_field {
	__u8 source;
	__u8 index;          /* ARG: argument number, 0-based */
	__u8 size;           /* width of the final value: 1, 2, 4 or 8 */
	__u8 is_signed;      /* sign-extend the final value */
	__u8 string;         /* a string field (str(), comm, char[] or __data_loc) */
	__u8 inline_string;  /* RECORD: the string is the char array in the record */
	__u8 user_memory;    /* pointers are user addresses (uprobes, syscall args) */
	__u8 steps;
	__u8 string_slot;    /* which of the event's strings it fills */
	__u8 pad[3];
	__u32 record_offset; /* RECORD, DATA_LOC */
	__u32 offsets[PROBE_MAX_STEPS];
};

enum probe_compare_op { PROBE_EQ, PROBE_NE, PROBE_LT, PROBE_LE, PROBE_GT, PROBE_GE, PROBE_PREFIX };

struct probe_filter {
	struct probe_field field;
	__u8 op;
	__u8 pad[3];
	__u32 string_len;    /* string comparisons: bytes of `text` to compare */
	__u64 constant;      /* integer comparisons (signed when field.is_signed) */
	char text[PROBE_STRING_MAX];
};

/* One per attach point, in the point_configs array (index: point id). */
struct probe_point_config {
	__u32 field_count;
	__u32 filter_count;
	struct probe_field fields[PROBE_MAX_FIELDS];
	struct probe_filter filters[PROBE_MAX_FILTERS];
};

struct probe_event {
	__u64 timestamp_ns;
	__u64 cgroup_id;
	__u32 point;
	__u32 cpu;
	__u32 tgid;
	__u32 tid;
	__u32 uid;
	__u32 flags;              /* PROBE_EVENT_* */
	__s32 kernel_stack_bytes; /* < 0: the error of bpf_get_stack */
	__s32 user_stack_bytes;
	char comm[PROBE_COMM_LEN];
	__u64 values[PROBE_MAX_FIELDS];
	/* Present when the event has strings (size class 1 and 2). */
	char strings[PROBE_MAX_STRINGS][PROBE_STRING_MAX];
	/* Present in size class 2 (stacks asked for): leaf first. */
	__u64 kernel_ips[PROBE_MAX_STACK_DEPTH];
	__u64 user_ips[PROBE_MAX_STACK_DEPTH];
};

#define PROBE_EVENT_READ_ERROR 1u /* some field read faulted; its value is 0 */

/* The bytes user space receives per size class. */
#define PROBE_EVENT_BASE_SIZE __builtin_offsetof(struct probe_event, strings)
#define PROBE_EVENT_STRINGS_SIZE __builtin_offsetof(struct probe_event, kernel_ips)
#define PROBE_EVENT_FULL_SIZE (sizeof(struct probe_event))

/* Counts per process (count mode with per_process). */
struct probe_process_key {
	__u32 point;
	__u32 tgid;
	char comm[PROBE_COMM_LEN];
};

/* Stack count mode; field names as core/stack_collect.h's raw_stack_from_key reads them. */
struct probe_stack_key {
	__u32 point;
	__u32 tgid;
	__u32 tid;
	__u32 user_stack_wanted;
	__s64 user_stack;   /* id in the stack-trace map, < 0: missing */
	__s64 kernel_stack;
	char comm[PROBE_COMM_LEN];
};

/* Value count mode. */
struct probe_value_key {
	__u64 value;
	char text[PROBE_STRING_MAX];
};

/* The histogram array: log2 slots, then these. */
#define PROBE_HIST_SLOTS 65
enum probe_hist_extra {
	PROBE_HIST_COUNT = PROBE_HIST_SLOTS,
	PROBE_HIST_SUM,
	PROBE_HIST_NEGATIVE,
	PROBE_HIST_MAX,
	PROBE_HIST_MIN_INVERTED, /* max of ~value: the minimum without an initial value */
	PROBE_HIST_ENTRIES,
};

enum probe_mode { PROBE_MODE_EVENTS, PROBE_MODE_COUNT, PROBE_MODE_STACK_COUNT, PROBE_MODE_HISTOGRAM,
		  PROBE_MODE_VALUE_COUNT };

enum probe_counter {
	PROBE_HITS,
	PROBE_FILTERED_OUT,
	PROBE_RINGBUF_LOST,
	PROBE_MAP_FULL,
	PROBE_STACKS_MISSING,
	PROBE_READ_ERRORS,
	PROBE_COUNTER_COUNT,
};
