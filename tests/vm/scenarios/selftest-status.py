"""Harness self-test: the END marker's status (the scenario script's exit code) is checked."""
EXPECT_FAILURE = r"^scenario script exited with status 3 "


def check(r):
    r.expect(r.number("answer") == 42, "the guest's answer is 42")
