"""Harness self-test: a failed expectation on a guest result fails the scenario."""
EXPECT_FAILURE = r"^1 of 2 checks failed$"


def check(r):
    r.expect(r.number("answer") > 0, "the guest's answer arrived as a number")
    r.expect(r.number("answer") == 42, f"the guest's answer is 42 (it is {r.number('answer'):g})")
