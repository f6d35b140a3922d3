// SPDX-License-Identifier: GPL-2.0
/* Empty programs: the floor a tracer's per-event cost is compared with in
 * tools/bench (same hooks as funclatency, no work). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("uprobe")
int BPF_KPROBE(empty_uprobe) { return 0; }

SEC("uretprobe")
int BPF_KRETPROBE(empty_uretprobe) { return 0; }

SEC("raw_tp")
int empty_raw_tp_start(void *ctx) { return 0; }

SEC("raw_tp")
int empty_raw_tp_end(void *ctx) { return 0; }

char LICENSE[] SEC("license") = "GPL";
