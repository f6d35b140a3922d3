"""Harness self-test: the runner kills a hung guest TIMEOUT seconds after the scenario's own BEGIN
marker (whatever the boot and the earlier scenarios of the batch took) and reports it."""
# Killed 10-15 s after its own BEGIN: neither early (a timer started at boot) nor much later.
EXPECT_FAILURE = (r"^guest hung: scenario 'selftest-hang' gave no END marker within 10 s of its BEGIN "
                  r"marker \(killed 1[0-4]\.\d s after it\)$")
TIMEOUT = 10


def check(r):
    r.expect(False, "unreachable: the guest hangs")
