"""Harness self-test: a kernel panic before /init runs is reported as a boot failure, not as a
panic of the scenario (so a boot panic can never satisfy selftest-panic)."""
EXPECT_FAILURE = r"^guest kernel panicked while booting \(before any BEGIN marker\): Kernel panic - not syncing"
# No init to run: the kernel panics (no working init / no root fs) before any BEGIN marker.
KERNEL_APPEND = "rdinit=/no-such-init init=/no-such-init"
TIMEOUT = 30


def check(r):
    r.expect(False, "unreachable: the guest panicked while booting")
