# vm-batch: b
# vm-ends-guest
# Harness self-test: a guest that never powers off must fail the test on the runner's timeout. It
# runs last in its batch, well over TIMEOUT seconds after the boot: the timeout must count from
# this scenario's BEGIN marker, not from the start of qemu.
sleep 3600
