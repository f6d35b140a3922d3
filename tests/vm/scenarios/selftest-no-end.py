"""Harness self-test: a guest that powers off mid-scenario (no END marker) is a failure."""
EXPECT_FAILURE = r"^no END marker"


def check(r):
    r.expect(False, "unreachable: the guest stops before printing results")
