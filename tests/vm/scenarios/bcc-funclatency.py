"""funclatency run as its libbpf-tools namesake in the 6.1 guest: their banner, one usec table."""
import re

import vmcheck


def check(r):
    reads = int(vmcheck.key_values(r.text("params"))["reads"])
    out = r.text("funclatency.out")
    r.expect(r.rc("funclatency") == 0, f"funclatency exits 0 ({r.text('funclatency.err')[-300:]!r})")
    lines = out.splitlines()
    r.expect(lines[:1] == ["Tracing memory_stat_show.  Hit Ctrl-C to exit"], f"their banner: {lines[:1]}")
    r.expect(lines[-1:] == ["Exiting trace of memory_stat_show"], f"their last line: {lines[-1:]}")
    r.expect(any(re.fullmatch(r" {5}usec {15} : count    distribution", line) for line in lines),
             "a print_log2_hist header in usec")
    rows = [re.fullmatch(r" *(\d+) -> (\d+) *: (\d+) +\|(\**) *\|", line) for line in lines]
    counts = [int(m.group(3)) for m in rows if m]
    r.expect(counts and int(rows[next(i for i, m in enumerate(rows) if m)].group(1)) == 0,
             "the table starts at slot 0")
    total = sum(counts)
    r.expect(reads <= total <= reads + reads // 100,
             f"memory_stat_show counted once per read: {total} for {reads} reads")
    bpf = vmcheck.key_values(r.text("funclatency.bpf"))
    r.expect(bpf["links_after"] == bpf["links_before"], "nothing left attached")
