"""Harness self-test: the runner reports a guest kernel panic as a failure."""
EXPECT_FAILURE = r"^guest kernel panicked"


def check(r):
    r.expect(False, "unreachable: the guest panicked before printing results")
