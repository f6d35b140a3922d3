"""runqlat -j in the guest: at least one wakeup->run latency per pipewait round trip."""
import vmcheck


def check(r):
    rounds = vmcheck.key_values(r.text("params"))["rounds"]
    r.expect(r.rc("runqlat") == 0, f"runqlat exits 0 ({r.text('runqlat.err').strip()[-300:]!r})")
    vmcheck.check_attach_lifecycle_loose(r, "runqlat")
    r.expect(r.rc("runqlat.workload") == 0, f"pipewait ran: {r.text('runqlat.workload').strip()}")
    report = r.json("runqlat.out")
    sections = [s for s in report["sections"] if s.get("histogram")]
    r.expect(sections, f"runqlat reports a histogram ({[s['title'] for s in report['sections']]})")
    if not sections:
        return
    histogram = sections[0]["histogram"]
    buckets = histogram.get("buckets") or []
    count = histogram.get("count", 0)
    r.expect(count >= rounds, f"{count} run-queue latencies >= {rounds:g} round trips")
    r.expect(sum(b["count"] for b in buckets) == count and any(b["count"] for b in buckets),
             f"histogram holds all {count} in {sum(1 for b in buckets if b['count'])} buckets")
