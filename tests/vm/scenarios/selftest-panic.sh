# vm-batch: a
# vm-ends-guest
# Harness self-test: a guest kernel panic mid-scenario must fail the test, never pass it. It runs
# last in its batch, after scenarios that passed: the panic must be pinned on this scenario.
echo 1 > /results/started
echo c > /proc/sysrq-trigger
