# vm-batch: b
# Harness self-test: a scenario script that exits non-zero fails, even when its checks pass.
echo 42 > /results/answer
(exit 3)
