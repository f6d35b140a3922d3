"""Harness self-test: the runner reports a guest kernel panic as a failure of the scenario that was
running (after its BEGIN marker), with the panic's own message. A panic while booting must not
satisfy this test (selftest-boot-panic shows the runner names that one differently)."""
EXPECT_FAILURE = (r"^guest kernel panicked during scenario 'selftest-panic' \(after its BEGIN marker\): "
                  r"Kernel panic - not syncing: sysrq triggered crash")


def check(r):
    r.expect(False, "unreachable: the guest panicked before printing results")
