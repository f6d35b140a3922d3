#!/bin/sh
# /init of the VM-suite initramfs (busybox sh, PID 1). Mounts what bpfscope needs, runs the
# scenarios named by `bpfscope.scenarios=A,B,...` on the kernel command line one after the other,
# prints the files each left in /results between its BEGIN and END markers on the console, then
# powers off. The host runner (tests/vm/run-scenario.py) parses the markers; nothing here
# decides pass or fail.
export PATH=/opt/bpfscope/bin:/opt/bpfscope/vm-helpers:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp
MARK='@@BPFSCOPE-VM@@'

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
mount -t bpf bpf /sys/fs/bpf
mount -t cgroup2 cgroup2 /sys/fs/cgroup
# A child cgroup with the memory controller: its memory.stat is the read path under test.
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p /sys/fs/cgroup/bpfscope-test
# BPF memory is charged to the memcg on >= 5.11; raise the rlimit anyway for older guests.
ulimit -l unlimited 2> /dev/null

# The scenarios to run, in order: bpfscope.scenarios=A,B,C (one boot for several scenarios; the
# host runner groups them into batches, docs/vm.md).
scenarios=""
for word in $(cat /proc/cmdline); do
  case "$word" in
    bpfscope.scenarios=*) scenarios=$(echo "${word#bpfscope.scenarios=}" | tr ',' ' ') ;;
  esac
done
# "quiet": the console shows kernel messages up to KERN_ERR (panics, BUG:, Oops) while a
# scenario runs; only emergencies while the results are printed.
console_levels=$(cat /proc/sys/kernel/printk)

# print_results NAME STATUS: every file the scenario left in /results (plus dmesg.log) between
# markers, with its size and sha256, then the END marker with the scenario's exit status.
print_results() {
  echo 1 > /proc/sys/kernel/printk
  for file in /results/*; do
    [ -f "$file" ] || continue
    name=${file#/results/}
    added=0
    if [ -s "$file" ] && [ "$(tail -c 1 "$file" | wc -l)" -eq 0 ]; then added=1; fi
    echo "$MARK FILE name=$name bytes=$(wc -c < "$file") sha256=$(sha256sum "$file" | cut -d' ' -f1) newline_added=$added"
    cat "$file"
    [ "$added" -eq 1 ] && echo
    echo "$MARK ENDFILE name=$name"
  done
  echo "$MARK END scenario=$1 status=$2"
  echo "$console_levels" > /proc/sys/kernel/printk
}

# The firmware leaves escape sequences without a newline on the console: start a fresh line.
echo
if [ -z "$scenarios" ]; then
  rm -rf /results && mkdir -p /results
  echo "$MARK BEGIN scenario= kernel=$(uname -r)"
  echo "no bpfscope.scenarios=NAME[,NAME...] on the kernel command line" > /results/init.error
  print_results "" 2
fi
for scenario in $scenarios; do
  # Each scenario starts with an empty /results and its own part of the kernel log.
  rm -rf /results && mkdir -p /results
  echo "$MARK BEGIN scenario=$scenario kernel=$(uname -r)"
  if [ ! -f "/scenarios/$scenario.sh" ]; then
    echo "no /scenarios/$scenario.sh in the initramfs: $(ls /scenarios | tr '\n' ' ')" > /results/init.error
    status=2
  else
    # The scenario runs in its own shell inside the test cgroup, so what it allocates is charged
    # there, with the helpers of /guest-lib.sh.
    sh -c 'echo $$ > /sys/fs/cgroup/bpfscope-test/cgroup.procs && cd /tmp && . /guest-lib.sh &&
           . "/scenarios/$1.sh"' scenario "$scenario"
    status=$?
  fi
  dmesg -c > /results/dmesg.log
  print_results "$scenario" "$status"
done
sync
poweroff -f
