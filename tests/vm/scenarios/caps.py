"""caps in the guest: fentry, fexit, kprobe, kretprobe and tp_btf ok on the stock 6.1 kernel.

The same binary runs on this host first, for contrast (on the development VM: fentry/fexit
refused with EPERM, kprobe/kretprobe unavailable). The host column is shown, not asserted: the
claim is about the guest kernel, and CI hosts differ.
"""

HOST_COMMANDS = {"caps": ["bpfscope", "caps", "-j"]}
MUST_BE_OK = ["fentry", "fexit", "kprobe", "kretprobe", "tp_btf"]
# The stock kernel has everything else as well; a failure there is a bpfscope regression.
ALSO_OK = ["uprobe", "uretprobe", "tracepoint", "raw_tp", "perf_event"]


def capability_table(report):
    return {section["title"]: section["fields"] for section in report["sections"]
            if section.get("kind") == "capability"}


def describe(fields):
    if fields is None:
        return "-"
    if fields["status"] == "ok":
        return "ok"
    return f"{fields['status']} ({fields.get('reason', '')})"


def check(r):
    r.expect(r.rc("caps") == 0, f"bpfscope caps -j exits 0 in the guest ({r.text('caps.err').strip()})")
    report = r.json("caps.out")
    r.expect(report["tool"] == "caps" and report["schema_version"] == 1, "caps JSON schema 1")
    header = report["header"]
    r.expect(header["kernel_release"] == r.kernel_release,
             f"guest caps reports kernel {header['kernel_release']}")
    r.expect(header["btf"] is True, "guest kernel has BTF")
    guest = capability_table(report)

    host = {}
    host_run = r.host["caps"]
    host_release = "?"
    if host_run["rc"] == 0:
        host_report = __import__("json").loads(host_run["out"])
        host = capability_table(host_report)
        host_release = host_report["header"]["kernel_release"]
    else:
        print(f"  (host caps failed, rc={host_run['rc']}: {host_run['err'].strip()})")
    print(f"  {'kind':<11} {'host ' + host_release:<78} guest {r.kernel_release}")
    for kind in sorted(set(guest) | set(host), key=lambda k: list(guest).index(k) if k in guest else 99):
        print(f"  {kind:<11} {describe(host.get(kind)):<78} {describe(guest.get(kind))}")

    for kind in MUST_BE_OK + ALSO_OK:
        fields = guest.get(kind)
        r.expect(fields is not None and fields["status"] == "ok" and fields.get("errno", 0) == 0,
                 f"guest {kind}: {describe(fields)}")
    r.expect(len(guest) == 10, f"guest caps has one section per program kind ({len(guest)})")
    text = r.text("caps-text.out")
    r.expect(r.rc("caps-text") == 0 and "fentry" in text and r.kernel_release in text,
             "text output names the kernel and fentry")
