// SPDX-License-Identifier: GPL-2.0
/* Test-only: capture the kernel stack at sched_switch of one task, from a tp_btf and
 * from a raw_tp program, so the symbolizer's trimming of BPF/tracepoint frames can
 * be checked on real stacks. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

const volatile __u32 target_tgid = 0;

struct {
    __uint(type, BPF_MAP_TYPE_STACK_TRACE);
    __uint(max_entries, 64);
    __uint(key_size, sizeof(__u32));
    __uint(value_size, 127 * sizeof(__u64));
} stacks SEC(".maps");

long tp_btf_stack_id = -1;
long raw_tp_stack_id = -1;

static __always_inline int is_target(void) {
    return (bpf_get_current_pid_tgid() >> 32) == target_tgid;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(stack_tp_btf, bool preempt, struct task_struct *prev, struct task_struct *next) {
    if (is_target() && tp_btf_stack_id < 0)
        tp_btf_stack_id = bpf_get_stackid(ctx, &stacks, 0);
    return 0;
}

SEC("raw_tp/sched_switch")
int stack_raw_tp(struct bpf_raw_tracepoint_args *ctx) {
    if (is_target() && raw_tp_stack_id < 0)
        raw_tp_stack_id = bpf_get_stackid(ctx, &stacks, 0);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
