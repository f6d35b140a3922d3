// SPDX-License-Identifier: GPL-2.0
/* funclatency: time between a start and an end hook, per target. User space
 * opens this object once per target (a per-target rodata target_id, only the
 * chosen backend's two programs loaded) and shares the maps between the
 * instances, so each backend needs no attach cookie and works on old kernels. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "latency.bpf.h"

const volatile __u32 target_id = 0;

SEC("fentry")
int BPF_PROG(fentry_start)
{
	latency_enter(target_id);
	return 0;
}

SEC("fexit")
int BPF_PROG(fexit_end)
{
	latency_exit(target_id);
	return 0;
}

SEC("kprobe")
int BPF_KPROBE(kprobe_start)
{
	latency_enter(target_id);
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(kretprobe_end)
{
	latency_exit(target_id);
	return 0;
}

/* libbpf 1.1 has no BPF_UPROBE; BPF_KPROBE gives the same pt_regs context. */
SEC("uprobe")
int BPF_KPROBE(uprobe_start)
{
	latency_enter(target_id);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(uretprobe_end)
{
	latency_exit(target_id);
	return 0;
}

SEC("raw_tp")
int tracepoint_start(void *ctx)
{
	latency_enter(target_id);
	return 0;
}

SEC("raw_tp")
int tracepoint_end(void *ctx)
{
	latency_exit(target_id);
	return 0;
}

/* Events that are not raw tracepoints (e.g. syscalls:sys_enter_read, made
 * from raw_syscalls) attach through perf as classic tracepoints. */
SEC("tracepoint")
int perf_tracepoint_start(void *ctx)
{
	latency_enter(target_id);
	return 0;
}

SEC("tracepoint")
int perf_tracepoint_end(void *ctx)
{
	latency_exit(target_id);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
