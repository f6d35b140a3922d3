# vm-batch: a
# Harness self-test: a result that contradicts its check must fail the test.
echo 41 > /results/answer
