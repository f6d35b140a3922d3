// SPDX-License-Identifier: GPL-2.0
/* Test-only: what the running kernel allows, learned without bpfscope's own
 * probing code, so tests can derive what bpfscope must report. Each program is
 * loaded and attached on its own; they do nothing. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("fentry/vfs_read")
int BPF_PROG(facts_fentry) { return 0; }

SEC("fexit/vfs_read")
int BPF_PROG(facts_fexit) { return 0; }

SEC("kprobe/vfs_read")
int BPF_KPROBE(facts_kprobe) { return 0; }

SEC("kretprobe/vfs_read")
int BPF_KRETPROBE(facts_kretprobe) { return 0; }

char LICENSE[] SEC("license") = "GPL";
