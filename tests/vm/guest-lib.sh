# Helpers for the guest side of VM scenarios (sourced before tests/vm/scenarios/NAME.sh runs,
# in /tmp, inside the memory cgroup $TEST_CGROUP). A scenario leaves its results as files in
# /results; /init prints them and the host-side check (scenarios/NAME.py) judges them.

# Memory cgroup the scenario runs in, and the memory.stat file of the read path under test.
TEST_CGROUP=/sys/fs/cgroup/bpfscope-test
MEMORY_STAT=$TEST_CGROUP/memory.stat

# run_capture NAME CMD...: runs CMD; its stdout, stderr and exit code become the results
# NAME.out, NAME.err and NAME.rc.
run_capture() {
  name=$1
  shift
  "$@" > "/results/$name.out" 2> "/results/$name.err"
  echo $? > "/results/$name.rc"
}

# note NAME TEXT...: appends a line to the result NAME.
note() {
  name=$1
  shift
  echo "$*" >> "/results/$name"
}
