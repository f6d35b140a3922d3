# vm-batch: c
# vm-ends-guest
# Harness self-test: a guest that stops before printing its results (no END marker) must fail.
echo 1 > /results/started
poweroff -f
