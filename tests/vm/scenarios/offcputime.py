"""offcputime -f in the guest: the known blocker stack with the time blocker measured itself."""
import vmcheck


def check(r):
    r.expect(r.rc("offcputime") == 0, f"offcputime exits 0 ({r.text('offcputime.err').strip()[-300:]!r})")
    vmcheck.check_attach_lifecycle_loose(r, "offcputime")
    slept_us = vmcheck.key_values(r.text("offcputime.workload")).get("slept_us", 0)
    r.expect(r.rc("offcputime.workload") == 0 and slept_us > 900_000,
             f"blocker slept {slept_us:g} us in 20 x 50 ms")
    stacks = vmcheck.folded(r.text("offcputime.out"))
    blocker = {frames: value for frames, value in stacks.items()
               if frames.startswith("blocker;") and ";main;outer;inner;-;" in frames}
    total = sum(blocker.values())
    r.expect(blocker, f"folded output has blocker;...;main;outer;inner;-;<kernel> "
                      f"({next(iter(blocker), 'none')})")
    r.expect(abs(total - slept_us) <= 0.1 * slept_us,
             f"blocker's off-CPU total {total:g} us within 10% of the {slept_us:g} us it slept")
    kernel_frames = {frame for frames in blocker for frame in frames.split(";-;", 1)[1].split(";")}
    r.expect(any("nanosleep" in frame for frame in kernel_frames),
             f"the kernel part names the nanosleep path ({sorted(kernel_frames)[:6]})")
