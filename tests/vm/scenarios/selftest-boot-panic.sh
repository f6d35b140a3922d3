# vm-batch: boot-panic
# vm-ends-guest
# Harness self-test: the kernel panics while booting (KERNEL_APPEND names an init that does not
# exist), before /init prints any BEGIN marker; this script never runs.
echo 1 > /results/started
