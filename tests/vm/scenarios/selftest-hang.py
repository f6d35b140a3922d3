"""Harness self-test: the runner kills a hung guest at its timeout and reports it as a failure."""
EXPECT_FAILURE = r"^guest hung: no poweroff within 15 s \(during the scenario\)"
TIMEOUT = 15


def check(r):
    r.expect(False, "unreachable: the guest hangs")
