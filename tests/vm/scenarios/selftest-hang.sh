# Harness self-test: a guest that never powers off must fail the test on the runner's timeout.
sleep 3600
