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

# Number of BPF links / programs in the kernel right now.
bpf_link_count() { bpftool link list -j 2> /dev/null | grep -o '"id":' | wc -l; }
bpf_prog_count() { bpftool prog list -j 2> /dev/null | grep -o '"id":' | wc -l; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }
# Kernel functions with an ftrace hook (fentry trampolines, ftrace-based kprobes).
ftrace_hooked_count() { wc -l < /sys/kernel/tracing/enabled_functions; }

# trace_while NAME LINKS WORKLOAD TOOL...: starts TOOL in the background (stdout, stderr, exit code
# -> results NAME.out, NAME.err, NAME.rc), waits until it has attached (LINKS more BPF links
# exist, at most 60 s), runs the shell command WORKLOAD (output -> NAME.workload, exit code ->
# NAME.workload.rc), then sends the tool SIGINT and waits for its report. NAME.bpf records the
# BPF link/program counts before, while attached and after, so checks can prove nothing stayed
# attached. NAME.ftrace is /sys/kernel/tracing/enabled_functions while attached: the kernel's own
# list of hooked functions.
trace_while() {
  name=$1
  links=$2
  workload=$3
  shift 3
  links_before=$(bpf_link_count)
  progs_before=$(bpf_prog_count)
  hooked_before=$(ftrace_hooked_count)
  started=$(uptime_s)
  "$@" > "/results/$name.out" 2> "/results/$name.err" &
  tool_pid=$!
  tries=0
  while [ "$(bpf_link_count)" -lt $((links_before + links)) ] && [ $tries -lt 600 ]; do
    kill -0 $tool_pid 2> /dev/null || break
    sleep 0.1
    tries=$((tries + 1))
  done
  links_attached=$(bpf_link_count)
  progs_attached=$(bpf_prog_count)
  cat /sys/kernel/tracing/enabled_functions > "/results/$name.ftrace"
  attached=$(uptime_s)
  sh -c "$workload" > "/results/$name.workload" 2>&1
  echo $? > "/results/$name.workload.rc"
  kill -INT $tool_pid 2> /dev/null
  wait $tool_pid
  echo $? > "/results/$name.rc"
  # Programs are freed after an RCU grace period: allow a few seconds before calling them leaked.
  tries=0
  while [ "$(bpf_prog_count)" -gt "$progs_before" ] && [ $tries -lt 50 ]; do
    sleep 0.1
    tries=$((tries + 1))
  done
  {
    echo "links_before=$links_before"
    echo "links_attached=$links_attached"
    echo "links_after=$(bpf_link_count)"
    echo "progs_before=$progs_before"
    echo "progs_attached=$progs_attached"
    echo "progs_after=$(bpf_prog_count)"
    echo "hooked_before=$hooked_before"
    echo "hooked_after=$(ftrace_hooked_count)"
    echo "kprobe_events=$(wc -l < /sys/kernel/tracing/kprobe_events)"
    echo "attach_s=$(awk -v a="$started" -v b="$attached" 'BEGIN {print b - a}')"
  } > "/results/$name.bpf"
}
