// SPDX-License-Identifier: GPL-2.0
/* Minimal programs of every kind, loaded (and attached) one at a time by
 * `bpfscope caps` to learn what the running kernel allows. They do nothing. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("fentry")
int BPF_PROG(probe_fentry) { return 0; }

SEC("fexit")
int BPF_PROG(probe_fexit) { return 0; }

SEC("kprobe")
int BPF_KPROBE(probe_kprobe) { return 0; }

SEC("kretprobe")
int BPF_KRETPROBE(probe_kretprobe) { return 0; }

SEC("uprobe")
int BPF_KPROBE(probe_uprobe) { return 0; }

SEC("uretprobe")
int BPF_KRETPROBE(probe_uretprobe) { return 0; }

SEC("tracepoint")
int probe_tracepoint(void *ctx) { return 0; }

SEC("raw_tp")
int probe_raw_tp(void *ctx) { return 0; }

SEC("tp_btf/sched_process_exec")
int probe_tp_btf(void *ctx) { return 0; }

SEC("perf_event")
int probe_perf_event(void *ctx) { return 0; }

char LICENSE[] SEC("license") = "GPL";
