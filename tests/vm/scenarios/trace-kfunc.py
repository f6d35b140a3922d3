"""trace on kernel functions in the 6.1 guest, fentry and kprobe: BTF-named entry arguments,
return values, a wildcard and kernel stacks, each exact against dd's 20 reads of 4096 bytes."""
import json

import vmcheck

# Six runs, each loading BTF and attaching under TCG (2.5-6 s per attach, more for the wildcard).
TIMEOUT = 420


def events(r, name):
    out = []
    for line in r.text(f"{name}.out").splitlines():
        line = line.strip()
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


def check(r):
    for backend in ("fentry", "kprobe"):
        entry, ret, wildcard = (f"{kind}-{backend}" for kind in ("entry", "return", "wildcard"))
        for name in (entry, ret, wildcard):
            r.expect(r.rc(name) == 0, f"{name}: exit 0 ({r.text(name + '.err').strip()[-300:]!r})")
            r.expect(f"[{backend}]" in r.text(f"{name}.err"),
                     f"{name}: attached with {backend} ({r.text(name + '.err').strip()[:200]!r})")
            vmcheck.check_attach_lifecycle_loose(r, name)
        reads = [e for e in events(r, entry) if e["fields"].get("count") == 4096]
        r.expect(len(reads) == 20, f"{entry}: 20 vfs_read calls with count=4096 ({len(reads)})")
        r.expect(all(e["comm"] == "dd" and e["fields"]["arg1"] != 0 for e in reads),
                 f"{entry}: comm dd and a non-null struct file * in arg1")
        stacks = [e.get("stack", []) for e in reads]
        r.expect(stacks and all(any("ksys_read" in f or "sys_read" in f for f in s) for s in stacks),
                 f"{entry}: every kernel stack goes through ksys_read ({stacks[0][:6] if stacks else []})")
        returns = [e for e in events(r, ret) if e["fields"].get("retval") == 4096]
        r.expect(len(returns) == 20, f"{ret}: 20 returns of 4096 ({len(returns)})")
        probes = {e["probe"] for e in events(r, wildcard)}
        vfs_read = [e for e in events(r, wildcard) if e["probe"] == "vfs_read"]
        r.expect(len(vfs_read) >= 20, f"{wildcard}: vfs_read among the matches, >= 20 calls "
                                      f"({len(vfs_read)}; probes {sorted(probes)})")
        r.expect(f"point(s)" in r.text(f"{wildcard}.err"), f"{wildcard}: several points")
