"""profile -f in the guest: cpuburn's two known functions, in about their known ratio."""
import vmcheck


def check(r):
    r.expect(r.rc("profile") == 0, f"profile exits 0 ({r.text('profile.err').strip()[-300:]!r})")
    vmcheck.check_attach_lifecycle_loose(r, "profile")
    r.expect(r.rc("profile.workload") == 0, f"cpuburn ran: {r.text('profile.workload').strip()}")
    stacks = vmcheck.folded(r.text("profile.out"))
    heavy = sum(v for frames, v in stacks.items() if frames.startswith("cpuburn;") and ";main;burn_heavy" in frames)
    light = sum(v for frames, v in stacks.items() if frames.startswith("cpuburn;") and ";main;burn_light" in frames)
    r.expect(heavy + light >= 100, f"{heavy + light} samples in cpuburn;...;main;burn_heavy|burn_light (3 s at 99 Hz)")
    if heavy + light:
        share = heavy / (heavy + light)
        r.expect(0.6 <= share <= 0.9, f"burn_heavy has {share:.0%} of them (cpuburn: 75%)")
