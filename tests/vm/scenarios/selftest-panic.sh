# Harness self-test: a guest kernel panic mid-scenario must fail the test, never pass it.
echo 1 > /results/started
echo c > /proc/sysrq-trigger
