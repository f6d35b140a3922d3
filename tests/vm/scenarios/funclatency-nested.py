"""funclatency depth handling on a recursive and a nested kernel path, fentry and kprobe.

Recursion: each eventfd write of nested_epoll runs ep_poll_callback() DEPTH times nested on one
thread (eventfd -> epoll 1 -> epoll 2 -> ...). A start per thread and function without a depth
stack would time only the innermost call and count the others as unmatched exits: the count
would be WRITES, not DEPTH x WRITES. Nesting: memory_stat_show contains exactly one
__mem_cgroup_flush_stats per read (only when enough updates piled up), so the outer time bounds
the inner one.
"""
import vmcheck


def check(r):
    params = vmcheck.key_values(r.text("params"))
    depth, writes, reads = int(params["depth"]), int(params["writes"]), int(params["reads"])
    for backend in ("fentry", "kprobe"):
        report = vmcheck.check_tool_ran(r, backend, f"funclatency ({backend})")
        vmcheck.check_attach_lifecycle(r, backend, links=6)
        r.expect(r.rc(f"{backend}.workload") == 0,
                 f"{backend}: workload ran: {r.text(backend + '.workload').splitlines()[:1]}")
        # Nothing else in the guest uses epoll: the count is exact (a little slack for the tool's
        # own wakeups at exit).
        vmcheck.check_latency_target(r, report, "ep_poll_callback", backend,
                                     depth * writes, depth * writes + 10)
        outer = vmcheck.check_latency_target(r, report, "memory_stat_show", backend, reads, reads + 1)
        # Inner calls outside memory_stat_show come only from the periodic flush worker.
        outside = vmcheck.periodic_flush_bound(report)
        inner = vmcheck.check_latency_target(r, report, "__mem_cgroup_flush_stats", backend, 1,
                                             reads + outside, vmcheck.WORKER_CALLS_IN_ATTACH_WINDOW)
        if not outer or not inner or not inner["count"]:
            continue
        # The inner calls made inside memory_stat_show last at least the inner total minus the
        # outside calls (each at most inner max), and at most the outer total.
        r.expect(outer["total"] >= inner["total"] - outside * inner["max"],
                 f"{backend}: memory_stat_show total {outer['total']:g} ns >= __mem_cgroup_flush_stats "
                 f"total {inner['total']:g} ns minus at most {outside} calls from the flush worker")
